import { Args, Flags } from '@oclif/core';
import { type VerifyReport, verifyBackup } from '../../src/cli/backup.js';
import { CairnCommand } from '../../src/cli/base-command.js';

export default class BackupVerify extends CairnCommand {
  static override summary = 'Check a backup in DEST: its files, its objects, its bytes.';
  static override description =
    "files: the manifest's root hash, every file present at its size, the objects export matching its SHA-256. meta: also every object's chunks present. data: also every chunk re-hashed. Each problem names its file or object. Exit code 0 only when every check passes, 1 otherwise. Reads DEST only; no cluster is needed.";
  static override examples = [
    {
      description: 'Re-hash every chunk of the newest backup',
      command: '<%= config.bin %> <%= command.id %> ./backup --level data',
    },
    {
      description: 'Check one backup quickly',
      command:
        '<%= config.bin %> <%= command.id %> ./backup --backup 20261204T210000Z --level files',
    },
  ];
  static override args = {
    dest: Args.directory({ description: 'the backup destination directory', required: true }),
  };
  static override flags = {
    level: Flags.string({
      description: 'how deep to check',
      options: ['files', 'meta', 'data'],
      default: 'meta',
    }),
    backup: Flags.string({ description: 'the backup id (default: the newest)' }),
  };

  async run(): Promise<VerifyReport> {
    const { args, flags } = await this.parse(BackupVerify);
    const level = flags.level as VerifyReport['level'];
    const report = await verifyBackup(args.dest, level, flags.backup);
    for (const problem of report.problems) this.logToStderr(problem);
    this.log(
      `backup ${report.id}, level ${level}: ${report.filesChecked} files, ${report.objectsChecked} objects, ${report.chunksHashed} chunks re-hashed; ${report.ok ? 'ok' : `${report.problems.length} problems`}`,
    );
    if (report.ok) return report;
    // bin/run.js sets the exit code main() returns: a failure must exit through oclif.
    if (this.jsonEnabled()) this.logJson(report);
    this.exit(1);
  }
}
