import { Flags } from '@oclif/core';
import type { AuthTokenCreated } from '../../../src/api/index.js';
import { CairnCommand } from '../../../src/cli/base-command.js';
import { clientFlags, durationFlag } from '../../../src/cli/flags.js';
import { openSecretFile } from '../../../src/cli/secret-file.js';
import { AuthClient } from '../../../src/client/index.js';
import { limits } from '../../../src/util/limits.js';

export default class AuthTokenCreate extends CairnCommand {
  static override summary = 'Create a token for a user; its secret is printed once, never stored.';
  static override description =
    "A token carries its user's permissions, narrowed to --scope when given (a read-only token of an admin, a token for one prefix). Needs admin on every key.";
  static override examples = [
    {
      description: 'A token of alice for a day',
      command: '<%= config.bin %> <%= command.id %> --user alice --expires-in 24h',
    },
    {
      description: 'A read-only token for logs/, written to a 0600 file',
      command:
        '<%= config.bin %> <%= command.id %> --user root --scope read,list:logs/ --output-file logs.token',
    },
  ];
  static override flags = {
    ...clientFlags,
    user: Flags.string({ description: 'whose token it is', required: true }),
    scope: Flags.string({
      description:
        'narrow the token to VERB[,VERB...]:PREFIX (repeat for several); verbs read list write delete lock monitor admin, or all',
      multiple: true,
    }),
    'expires-in': durationFlag({
      description: 'how long the token is valid (default: until revoked)',
      minimumMilliseconds: 1_000,
      maximumMilliseconds: limits.authTokenLifetimeMillisecondsMax,
    }),
    description: Flags.string({ description: 'a note shown by cairn auth token list' }),
    'output-file': Flags.string({
      description:
        'write the token to this file (mode 0600, refused if it exists) instead of printing it',
    }),
  };

  async run(): Promise<AuthTokenCreated> {
    const { flags } = await this.parse(AuthTokenCreate);
    const path = flags['output-file'];
    const file = path === undefined ? undefined : openSecretFile(path);
    const client = this.makeClient(flags);
    try {
      const created = await new AuthClient(client).createToken({
        user: flags.user,
        ...(flags.scope === undefined ? {} : { scope: flags.scope }),
        ...(flags['expires-in'] === undefined
          ? {}
          : { expiresInMilliseconds: flags['expires-in'] }),
        ...(flags.description === undefined ? {} : { description: flags.description }),
      });
      if (file !== undefined) {
        file.write(`${created.token}\n`);
        this.log(`token ${created.id} of ${created.user} written to ${file.path}`);
        return { ...created, token: `(written to ${file.path})` };
      }
      this.log(created.token);
      return created;
    } finally {
      file?.abandon();
      await client.close();
    }
  }
}
