import { Args } from '@oclif/core';
import { type CreateSummary, createBackup } from '../../src/cli/backup.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags, rateBytesPerSecondMax, sizeFlag } from '../../src/cli/flags.js';
import { formatBytes } from '../../src/cli/output.js';
import { ProgressLine } from '../../src/cli/progress.js';

export default class BackupCreate extends CairnCommand {
  static override summary = 'Back up every object and the chunks it references into DEST.';
  static override description =
    'Online, while writes go on: one node exports every object as of one point of the meta state (one revision), and every chunk those objects reference is copied into DEST (a directory: local disk or a mounted share), verified by SHA-256. Chunks already in DEST are not copied again, so a later backup into the same DEST copies only new data, and a backup interrupted part way copies nothing twice when run again. A manifest lists every file with its SHA-256 and a root hash over the list. Leases and lock holders are not backed up. Needs the admin permission.';
  static override examples = [
    {
      description: 'Back up into a mounted share',
      command: '<%= config.bin %> <%= command.id %> /mnt/backups/cairn',
    },
    {
      description: 'At most 50 MiB/s of chunk copies, a JSON summary',
      command: '<%= config.bin %> <%= command.id %> ./backup --rate 50MiB --json',
    },
  ];
  static override args = {
    dest: Args.directory({ description: 'the backup destination directory', required: true }),
  };
  static override flags = {
    ...clientFlags,
    rate: sizeFlag({
      description: 'bound on the chunk copy rate',
      perSecond: true,
      minimumBytes: 1,
      maximumBytes: rateBytesPerSecondMax,
    }),
  };

  async run(): Promise<CreateSummary> {
    const { args, flags } = await this.parse(BackupCreate);
    const client = this.makeClient({ ...flags });
    const progress = new ProgressLine({ label: 'backup', unit: 'bytes' });
    try {
      const summary = await createBackup(client, args.dest, {
        ...(flags.rate === undefined ? {} : { rateBytesPerSecond: flags.rate }),
        onBytes: (bytes) => progress.advance(bytes),
      });
      progress.finish();
      this.log(
        `backup ${summary.id}: ${summary.objects} objects (${formatBytes(summary.bytes)}) at revision ${summary.revision}; ${summary.chunksCopied} chunks copied (${formatBytes(summary.bytesCopied)}), ${summary.chunksSkipped} already in ${args.dest}; ${summary.seconds.toFixed(1)} s`,
      );
      return summary;
    } finally {
      progress.finish();
      await client.close();
    }
  }
}
