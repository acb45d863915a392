import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { endpointsFlag } from '../src/cli/flags.js';
import { nodeInfo, removeMember } from '../src/client/lifecycle.js';
import { parseEndpoints } from '../src/client/index.js';

export default class Leave extends CairnCommand {
  static override summary = 'Make a node leave the cluster.';
  static override description = 'The node at --node is removed from the cluster reached through --endpoints (like `cairn remove`, naming the node by its address).';
  static override examples = [{ description: 'Node 127.0.0.3:7070 leaves', command: '<%= config.bin %> <%= command.id %> --endpoints 127.0.0.1:7070 --node 127.0.0.3:7070' }];
  static override flags = {
    endpoints: endpointsFlag,
    node: Flags.string({ description: 'client address (HOST:PORT) of the node that leaves', required: true }),
  };

  async run(): Promise<{ removed: string }> {
    const { flags } = await this.parse(Leave);
    const [endpoint] = parseEndpoints(flags.node);
    const info = await nodeInfo(endpoint as NonNullable<typeof endpoint>);
    const client = this.makeClient(flags);
    try {
      const result = await removeMember(client, info.id);
      this.log(`${result.removed} left the cluster`);
      return result;
    } finally {
      await client.close();
    }
  }
}
