import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthUserRm extends CairnCommand {
  static override summary = 'Remove a user and every token of it.';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Remove a user and every token of it',
      command: '<%= config.bin %> <%= command.id %> alice',
    },
  ];
  static override args = {
    name: Args.string({ description: 'user name', required: true }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthUserRm);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).removeUser(args.name);
      this.log(`user ${args.name} removed (its tokens no longer work)`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
