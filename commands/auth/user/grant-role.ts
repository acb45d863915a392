import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthUserGrantRole extends CairnCommand {
  static override summary =
    "Grant a role to a user: the user's tokens gain its permissions at once.";
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Grant a role to a user',
      command: '<%= config.bin %> <%= command.id %> alice readers',
    },
  ];
  static override args = {
    user: Args.string({ description: 'user name', required: true }),
    role: Args.string({ description: 'role name', required: true }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthUserGrantRole);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).grantRole(args.user, args.role);
      this.log(`role ${args.role} granted to ${args.user}`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
