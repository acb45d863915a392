import { Flags } from '@oclif/core';
import { tokenOf } from '../src/cli/token.js';
import { CairnCommand } from '../src/cli/base-command.js';
import {
  durationFlag,
  endpointsFlag,
  tlsFlags,
  tokenFlags,
  waitMillisecondsMax,
} from '../src/cli/flags.js';
import { nodeInfo, removeMember } from '../src/client/lifecycle.js';
import { parseEndpoints } from '../src/client/index.js';
import { drainMember } from '../src/data/maintenance/index.js';
import { InvalidArgumentError } from '../src/util/errors.js';

export default class Leave extends CairnCommand {
  static override summary = 'Make a node leave the cluster (drained first).';
  static override description =
    'The node at --node stops receiving data, its chunks move to their new homes, then it leaves the Raft group and the ring (like `cairn remove`, naming the node by its address). A leader hands its leadership over before it leaves.';
  static override examples = [
    {
      description: 'Node 127.0.0.3:7070 leaves',
      command:
        '<%= config.bin %> <%= command.id %> --endpoints 127.0.0.1:7070 --node 127.0.0.3:7070',
    },
  ];
  static override flags = {
    endpoints: endpointsFlag,
    ...tlsFlags,
    ...tokenFlags,
    node: Flags.string({
      description: 'client address (HOST:PORT) of the node that leaves',
      required: true,
    }),
    timeout: durationFlag({
      description: 'how long to wait for draining',
      fallback: '1h',
      minimumMilliseconds: 1000,
      maximumMilliseconds: waitMillisecondsMax,
    }),
  };

  async run(): Promise<{ removed: string }> {
    const { flags } = await this.parse(Leave);
    const [endpoint] = parseEndpoints(flags.node);
    if (endpoint === undefined) throw new InvalidArgumentError('--node needs HOST:PORT');
    const info = await nodeInfo(endpoint, tokenOf(flags));
    const client = this.makeClient(flags);
    try {
      await drainMember(client, info.id, {
        timeoutMilliseconds: flags.timeout,
        intervalMilliseconds: 500,
      });
      const result = await removeMember(client, info.id);
      this.log(`${result.removed} drained and left the cluster`);
      return result;
    } finally {
      await client.close();
    }
  }
}
