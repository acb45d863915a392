import type { AuthTokenView } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthTokenList extends CairnCommand {
  static override summary = 'List the tokens (never their secrets: only hashes are stored).';
  static override description = 'Needs admin on every key once authentication is on.';
  static override examples = [
    { description: 'List tokens', command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override flags = { ...clientFlags };

  async run(): Promise<AuthTokenView[]> {
    const { flags } = await this.parse(AuthTokenList);
    const client = this.makeClient(flags);
    try {
      const tokens = await new AuthClient(client).tokens();
      this.printTable(
        ['id', 'user', 'scope', 'expires', 'description'],
        tokens.map((token) => [
          token.id,
          token.user,
          token.scope?.join('  ') ?? '(all of the user)',
          token.expired ? `expired ${token.expiresAt}` : (token.expiresAt ?? 'never'),
          token.description,
        ]),
      );
      return tokens;
    } finally {
      await client.close();
    }
  }
}
