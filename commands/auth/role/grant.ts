import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthRoleGrant extends CairnCommand {
  static override summary = 'Grant a role a permission: verbs on a key prefix.';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Grant a role a permission',
      command: '<%= config.bin %> <%= command.id %> readers read,list:logs/',
    },
  ];
  static override args = {
    role: Args.string({ description: 'role name', required: true }),
    permission: Args.string({
      description:
        'VERB[,VERB...]:PREFIX, verbs read list write delete lock monitor admin (or all)',
      required: true,
    }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthRoleGrant);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).grantPermission(args.role, args.permission);
      this.log(`${args.role} may now ${args.permission}`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
