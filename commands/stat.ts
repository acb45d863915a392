import { Args } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, consistencyFlag } from '../src/cli/flags.js';
import type { ObjectMetadata } from '../src/client/index.js';

export default class Stat extends CairnCommand {
  static override summary = "Show an object's version, size and SHA-256.";
  static override description = "Reads the object's metadata only (no data is transferred).";
  static override examples = [
    {
      description: 'Metadata of one object',
      command: '<%= config.bin %> <%= command.id %> backups/db.tar',
    },
  ];
  static override args = { key: Args.string({ description: 'object key', required: true }) };
  static override flags = { ...clientFlags, consistency: consistencyFlag };

  async run(): Promise<ObjectMetadata> {
    const { args, flags } = await this.parse(Stat);
    const client = this.makeClient(flags);
    try {
      const metadata = await client.headObject(args.key, { consistency: flags.consistency });
      this.printTable(
        ['key', 'version', 'size', 'sha256'],
        [[metadata.key, String(metadata.version), String(metadata.size), metadata.sha256]],
      );
      return metadata;
    } finally {
      await client.close();
    }
  }
}
