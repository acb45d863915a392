import { Args } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, consistencyFlag } from '../src/cli/flags.js';
import { getObjectTo, type GetResult } from '../src/cli/object-transfer.js';

export default class Get extends CairnCommand {
  static override summary = 'Read an object to a file or stdout.';
  static override description =
    "Streams the object, verifying its SHA-256; a file is written under a temporary name and renamed only when complete and verified. Reads are linearizable by default; --consistency serializable reads the answering node's local state (faster, possibly stale).";
  static override examples = [
    {
      description: 'Read to a file',
      command: '<%= config.bin %> <%= command.id %> backups/db.tar ./db.tar',
    },
    { description: 'Read to stdout', command: '<%= config.bin %> <%= command.id %> greetings/en' },
    {
      description: 'Read locally, possibly stale',
      command: '<%= config.bin %> <%= command.id %> config.json - --consistency serializable',
    },
  ];
  static override args = {
    key: Args.string({ description: 'object key', required: true }),
    file: Args.string({
      description: 'file to write, or - for stdout (the default)',
      default: '-',
    }),
  };
  static override flags = { ...clientFlags, consistency: consistencyFlag };

  async run(): Promise<GetResult> {
    const { args, flags } = await this.parse(Get);
    if (this.jsonEnabled() && args.file === '-')
      this.error('--json needs a FILE argument: stdout carries the JSON result', { exit: 2 });
    const client = this.makeClient(flags);
    try {
      return await getObjectTo(client, args.key, args.file, flags.consistency);
    } finally {
      await client.close();
    }
  }
}
