import type { WhoAmI } from '../../src/api/index.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags } from '../../src/cli/flags.js';
import { AuthClient } from '../../src/client/index.js';

export default class AuthWhoami extends CairnCommand {
  static override summary = 'Show who the token is: its user, permissions, scope and expiry.';
  static override examples = [
    {
      description: 'Check a token',
      command: '<%= config.bin %> <%= command.id %> --token-file root.token',
    },
  ];
  static override flags = { ...clientFlags };

  async run(): Promise<WhoAmI> {
    const { flags } = await this.parse(AuthWhoami);
    const client = this.makeClient(flags);
    try {
      const me = await new AuthClient(client).whoami();
      if (!me.authEnabled) this.log('authentication is off: every caller may do everything');
      else {
        this.log(`user ${me.user} (token ${me.tokenId}), expires ${me.expiresAt ?? 'never'}`);
        this.log(`permissions: ${me.permissions.join('  ') || '(none)'}`);
        if (me.scope !== null) this.log(`narrowed by the token to: ${me.scope.join('  ')}`);
      }
      return me;
    } finally {
      await client.close();
    }
  }
}
