import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthRoleAdd extends CairnCommand {
  static override summary = 'Add a role (no permissions yet; add them with cairn auth role grant).';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Add a role (no permissions yet; add them with cairn auth role grant)',
      command: '<%= config.bin %> <%= command.id %> readers',
    },
  ];
  static override args = {
    name: Args.string({ description: 'role name', required: true }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthRoleAdd);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).addRole(args.name);
      this.log(`role ${args.name} added`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
