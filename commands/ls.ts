import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags } from '../src/cli/flags.js';
import type { ObjectMetadata } from '../src/client/index.js';

export default class Ls extends CairnCommand {
  static override summary = 'List object keys under a prefix.';
  static override description =
    'Streams every key under PREFIX in byte order, a page (1000 keys) at a time, every page at the revision of the first (or --at-revision). --long adds version, size and SHA-256.';
  static override examples = [
    { description: 'Every key', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Keys under backups/, with sizes',
      command: '<%= config.bin %> <%= command.id %> backups/ --long',
    },
    {
      description: 'The keys as they were at revision 1200 (while it is retained)',
      command: '<%= config.bin %> <%= command.id %> config/ --at-revision 1200',
    },
  ];
  static override args = { prefix: Args.string({ description: 'key prefix', default: '' }) };
  static override flags = {
    ...clientFlags,
    long: Flags.boolean({ char: 'l', description: 'show version, size and SHA-256' }),
    'at-revision': Flags.integer({
      min: 0,
      description:
        'list the state at this retained revision (410 COMPACTED below the history); every page is read at the same revision',
    }),
  };

  async run(): Promise<ObjectMetadata[]> {
    const { args, flags } = await this.parse(Ls);
    const client = this.makeClient(flags);
    const collected: ObjectMetadata[] = [];
    try {
      const atRevision = flags['at-revision'];
      const listing = client.listAllObjects(
        args.prefix,
        atRevision === undefined ? {} : { atRevision },
      );
      for await (const page of listing) {
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
