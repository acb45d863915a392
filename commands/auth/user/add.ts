import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthUserAdd extends CairnCommand {
  static override summary = 'Add a user (no roles yet; grant one with cairn auth user grant-role).';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Add a user (no roles yet; grant one with cairn auth user grant-role)',
      command: '<%= config.bin %> <%= command.id %> alice',
    },
  ];
  static override args = {
    name: Args.string({ description: 'user name', required: true }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthUserAdd);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).addUser(args.name);
      this.log(`user ${args.name} added`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
