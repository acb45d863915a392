import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags } from '../src/cli/flags.js';
import type { ObjectMetadata } from '../src/client/index.js';

export default class Ls extends CairnCommand {
  static override summary = 'List object keys under a prefix.';
  static override description =
    'Streams every key under PREFIX in byte order, a page (1000 keys) at a time. --long adds version, size and SHA-256.';
  static override examples = [
    { description: 'Every key', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Keys under backups/, with sizes',
      command: '<%= config.bin %> <%= command.id %> backups/ --long',
    },
  ];
  static override args = { prefix: Args.string({ description: 'key prefix', default: '' }) };
  static override flags = {
    ...clientFlags,
    long: Flags.boolean({ char: 'l', description: 'show version, size and SHA-256' }),
  };

  async run(): Promise<ObjectMetadata[]> {
    const { args, flags } = await this.parse(Ls);
    const client = this.makeClient(flags);
    const collected: ObjectMetadata[] = [];
    try {
      for await (const page of client.listAllObjects(args.prefix)) {
        if (this.jsonEnabled()) collected.push(...page.items);
        else
          for (const item of page.items)
            this.log(
              flags.long ? `${item.version}\t${item.size}\t${item.sha256}\t${item.key}` : item.key,
            );
      }
      return collected;
    } finally {
      await client.close();
    }
  }
}
