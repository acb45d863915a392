import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthRoleRevoke extends CairnCommand {
  static override summary = 'Revoke verbs on a prefix from a role.';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Revoke verbs on a prefix from a role',
      command: '<%= config.bin %> <%= command.id %> readers list:logs/',
    },
  ];
  static override args = {
    role: Args.string({ description: 'role name', required: true }),
    permission: Args.string({ description: 'VERB[,VERB...]:PREFIX', required: true }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthRoleRevoke);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).revokePermission(args.role, args.permission);
      this.log(`${args.role} may no longer ${args.permission}`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
