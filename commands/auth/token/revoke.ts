import { Args } from '@oclif/core';
import type { AuthDone } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags } from '../../../src/cli/flags.js';
import { AuthClient } from '../../../src/client/index.js';

export default class AuthTokenRevoke extends CairnCommand {
  static override summary =
    'Revoke a token: refused at once on the leader, on other nodes once applied.';
  static override description =
    'Needs admin on every key once authentication is on (cairn bootstrap --auth).';
  static override examples = [
    {
      description: 'Revoke a token',
      command: '<%= config.bin %> <%= command.id %> 0123456789abcdef',
    },
  ];
  static override args = {
    id: Args.string({
      description: 'token id (16 hex digits, from cairn auth token list)',
      required: true,
    }),
  };
  static override flags = { ...clientFlags };

  async run(): Promise<AuthDone> {
    const { args, flags } = await this.parse(AuthTokenRevoke);
    const client = this.makeClient(flags);
    try {
      const answer = await new AuthClient(client).revokeToken(args.id);
      this.log(`token ${args.id} revoked`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
