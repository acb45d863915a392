import type { AuthRoleView } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthRoleList extends CairnCommand {
  static override summary = 'List the roles and their permissions (VERBS:PREFIX).';
  static override description = 'Needs admin on every key once authentication is on.';
  static override examples = [
    { description: 'List roles', command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override flags = { ...clientFlags };

  async run(): Promise<AuthRoleView[]> {
    const { flags } = await this.parse(AuthRoleList);
    const client = this.makeClient(flags);
    try {
      const roles = await new AuthClient(client).roles();
      this.printTable(
        ['role', 'permissions'],
        roles.map((role) => [role.name, role.permissions.join('  ')]),
      );
      return roles;
    } finally {
      await client.close();
    }
  }
}
