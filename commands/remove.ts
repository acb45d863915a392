import { Args } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { endpointsFlag } from '../src/cli/flags.js';
import { removeMember } from '../src/client/lifecycle.js';

export default class Remove extends CairnCommand {
  static override summary = 'Remove a member from the cluster by name.';
  static override description =
    'Takes the named member out of the Raft group and the placement ring, one member at a time so the cluster never loses its quorum. Removing the last voter is refused.';
  static override examples = [{ description: 'Remove node n3', command: '<%= config.bin %> <%= command.id %> n3 --endpoints 127.0.0.1:7070' }];
  static override args = { name: Args.string({ description: 'name of the member to remove', required: true }) };
  static override flags = { endpoints: endpointsFlag };

  async run(): Promise<{ removed: string }> {
    const { args, flags } = await this.parse(Remove);
    const client = this.makeClient(flags);
    try {
      const result = await removeMember(client, args.name);
      this.log(`${result.removed} removed`);
      return result;
    } finally {
      await client.close();
    }
  }
}
