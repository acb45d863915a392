import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import {
  durationFlag,
  endpointsFlag,
  tlsFlags,
  tokenFlags,
  waitMillisecondsMax,
} from '../src/cli/flags.js';
import { removeMember } from '../src/client/lifecycle.js';
import { drainMember, waitForSettled } from '../src/data/maintenance/index.js';

export default class Remove extends CairnCommand {
  static override summary = 'Remove a member from the cluster by name.';
  static override description =
    'A live member is drained first: it stops receiving data, its chunks move to their new homes (a rebalance), and then it leaves the Raft group and the ring. With --dead the member is removed at once and what it held is re-replicated from the surviving copies. One member at a time, so the cluster never loses its quorum. Removing the last voter is refused.';
  static override examples = [
    {
      description: 'Drain and remove node n3',
      command: '<%= config.bin %> <%= command.id %> n3 --endpoints 127.0.0.1:7070',
    },
    {
      description: 'Remove a node that died; re-replicate its chunks',
      command: '<%= config.bin %> <%= command.id %> n3 --dead',
    },
  ];
  static override args = {
    name: Args.string({ description: 'name of the member to remove', required: true }),
  };
  static override flags = {
    endpoints: endpointsFlag,
    ...tlsFlags,
    ...tokenFlags,
    dead: Flags.boolean({
      description:
        'the member is gone: skip draining, re-replicate its chunks from the other copies',
    }),
    timeout: durationFlag({
      description: 'how long to wait for draining or re-replication',
      fallback: '1h',
      minimumMilliseconds: 1000,
      maximumMilliseconds: waitMillisecondsMax,
    }),
  };

  async run(): Promise<{ removed: string }> {
    const { args, flags } = await this.parse(Remove);
    const client = this.makeClient(flags);
    const wait = { timeoutMilliseconds: flags.timeout, intervalMilliseconds: 500 };
    try {
      if (!flags.dead) await drainMember(client, args.name, wait);
      const result = await removeMember(client, args.name);
      if (flags.dead) await waitForSettled(client, wait);
      this.log(
        flags.dead
          ? `${result.removed} removed; its chunks are re-replicated`
          : `${result.removed} drained and removed`,
      );
      return result;
    } finally {
      await client.close();
    }
  }
}
