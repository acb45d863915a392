import { Args } from '@oclif/core';
import { type BackupRow, listBackups } from '../../src/cli/backup.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { formatBytes } from '../../src/cli/output.js';

export default class BackupList extends CairnCommand {
  static override summary = 'List the finished backups in DEST.';
  static override description =
    'One row per finished backup (one with its manifest), oldest first: its id, the revision of the source cluster it holds, when it was made, its objects and their bytes, and its files. Reads DEST only; no cluster is needed.';
  static override examples = [
    {
      description: 'The backups in a share',
      command: '<%= config.bin %> <%= command.id %> /mnt/backups/cairn',
    },
    {
      description: 'The newest backup id',
      command: "<%= config.bin %> <%= command.id %> ./backup --json | jq -r '.[-1].id'",
    },
  ];
  static override args = {
    dest: Args.directory({ description: 'the backup destination directory', required: true }),
  };

  async run(): Promise<BackupRow[]> {
    const { args } = await this.parse(BackupList);
    const rows = await listBackups(args.dest);
    this.printTable(
      ['id', 'revision', 'created', 'objects', 'bytes', 'files'],
      rows.map((row) => [
        row.id,
        String(row.revision),
        row.createdAt,
        String(row.objects),
        formatBytes(row.bytes),
        String(row.files),
      ]),
    );
    return rows;
  }
}
