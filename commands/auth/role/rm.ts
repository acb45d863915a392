import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthRoleRm extends CairnCommand {
  static override summary = 'Remove a role; every user holding it loses it.';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Remove a role; every user holding it loses it',
      command: '<%= config.bin %> <%= command.id %> readers',
    },
  ];
  static override args = {
    name: Args.string({ description: 'role name', required: true }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthRoleRm);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).removeRole(args.name);
      this.log(`role ${args.name} removed`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
