import { Args, Flags } from '@oclif/core';
import { type RestoreSummary, restoreBackup } from '../../src/cli/backup.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags } from '../../src/cli/flags.js';
import { formatBytes } from '../../src/cli/output.js';
import { ProgressLine } from '../../src/cli/progress.js';

export default class BackupRestore extends CairnCommand {
  static override summary =
    'Restore a backup from DEST into a new, empty cluster (or keys under a prefix).';
  static override description =
    "Into a new cluster (refused when it has objects): first its revisions are raised above the backup's revision, so revisions, fencing tokens and lease ids continue strictly above everything the old cluster handed out; then every object is written from DEST (each chunk checked against its SHA-256 as it is read), and at the end every object is checked (size and SHA-256). With --prefix only the keys under it are written, into a live cluster, as new versions of those keys (the fix for a wrong delete). Exit code 1 if any object does not check out. Needs the admin permission.";
  static override examples = [
    {
      description: 'Restore the newest backup into a freshly bootstrapped cluster',
      command: '<%= config.bin %> <%= command.id %> /mnt/backups/cairn --endpoints 10.0.0.5:7000',
    },
    {
      description: 'Undo a wrong delete of everything under reports/',
      command: '<%= config.bin %> <%= command.id %> ./backup --prefix reports/',
    },
  ];
  static override args = {
    dest: Args.directory({ description: 'the backup destination directory', required: true }),
  };
  static override flags = {
    ...clientFlags,
    backup: Flags.string({ description: 'the backup id (default: the newest)' }),
    prefix: Flags.string({
      description: 'restore only keys under this prefix, into a live cluster',
    }),
  };

  async run(): Promise<RestoreSummary> {
    const { args, flags } = await this.parse(BackupRestore);
    const client = this.makeClient({ ...flags });
    const progress = new ProgressLine({ label: 'restore', unit: 'items' });
    let summary: RestoreSummary;
    try {
      summary = await restoreBackup(client, args.dest, {
        ...(flags.backup === undefined ? {} : { id: flags.backup }),
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        onObject: () => progress.advance(1),
      });
    } finally {
      progress.finish();
      await client.close();
    }
    for (const problem of summary.problems) this.logToStderr(problem);
    const base =
      summary.revisionBase === undefined
        ? ''
        : `, revisions continue above ${summary.revisionBase}`;
    this.log(
      `restored ${summary.objectsWritten} objects (${formatBytes(summary.bytesWritten)}) of backup ${summary.id} (revision ${summary.backupRevision})${base}; ${summary.objectsVerified} verified`,
    );
    if (summary.problems.length === 0) return summary;
    if (this.jsonEnabled()) this.logJson(summary);
    this.exit(1);
  }
}
