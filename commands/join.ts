import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { durationFlag, endpointsFlag, tlsFlags, tokenFlags } from '../src/cli/flags.js';
import { joinNode } from '../src/client/lifecycle.js';

export default class Join extends CairnCommand {
  static override summary = 'Add a running node to the cluster.';
  static override description =
    'The node at --node (running `cairn serve` with an empty data directory) joins the cluster reached through --endpoints. It starts as a non-voting learner, catches up, and is promoted to voter while the cluster has fewer than 5 voters; beyond that it stays a learner. A node of another cluster is refused.';
  static override examples = [
    {
      description: 'Add a fourth node',
      command:
        '<%= config.bin %> <%= command.id %> --endpoints 127.0.0.1:7070 --node 127.0.0.4:7070',
    },
  ];
  static override flags = {
    endpoints: endpointsFlag,
    ...tlsFlags,
    ...tokenFlags,
    node: Flags.string({
      description: 'client address (HOST:PORT) of the node to add',
      required: true,
    }),
    timeout: durationFlag({
      description: 'how long to wait for the node to catch up',
      fallback: '60s',
      minimumMilliseconds: 1000,
      maximumMilliseconds: 3_600_000,
    }),
  };

  async run(): Promise<{ id: string; membership: string }> {
    const { flags } = await this.parse(Join);
    const client = this.makeClient(flags);
    try {
      const result = await joinNode(client, flags.node, flags.timeout);
      this.log(`${result.id} joined as ${result.membership}`);
      return result;
    } finally {
      await client.close();
    }
  }
}
