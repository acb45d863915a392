import type { AuthUserView } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthUserList extends CairnCommand {
  static override summary = 'List the users and their roles.';
  static override description = 'Needs admin on every key once authentication is on.';
  static override examples = [
    { description: 'List users', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json' },
  ];
  static override flags = { ...clientFlags };

  async run(): Promise<AuthUserView[]> {
    const { flags } = await this.parse(AuthUserList);
    const client = this.makeClient(flags);
    try {
      const users = await new AuthClient(client).users();
      this.printTable(
        ['user', 'roles'],
        users.map((user) => [user.name, user.roles.join(', ')]),
      );
      return users;
    } finally {
      await client.close();
    }
  }
}
