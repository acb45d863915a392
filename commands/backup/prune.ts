import { Args, Flags } from '@oclif/core';
import { type PruneSummary, pruneBackups } from '../../src/cli/backup-prune.js';
import { CairnCommand } from '../../src/cli/base-command.js';

export default class BackupPrune extends CairnCommand {
  static override summary = 'Remove old backups from DEST and the chunks no kept backup needs.';
  static override description =
    'Keeps the newest N finished backups, removes the older ones, then removes every chunk file that no kept backup references. Unfinished backups (no manifest yet) are left alone. Do not prune while a backup into the same DEST is running: it may still reference a chunk an older backup brought. Reads and writes DEST only; no cluster is needed.';
  static override examples = [
    {
      description: 'Keep the last seven backups',
      command: '<%= config.bin %> <%= command.id %> ./backup --keep 7',
    },
  ];
  static override args = {
    dest: Args.directory({ description: 'the backup destination directory', required: true }),
  };
  static override flags = {
    keep: Flags.integer({
      description: 'how many of the newest backups to keep',
      required: true,
      min: 1,
    }),
  };

  async run(): Promise<PruneSummary> {
    const { args, flags } = await this.parse(BackupPrune);
    const summary = await pruneBackups(args.dest, flags.keep);
    this.log(
      `kept ${summary.kept.length} backups, removed ${summary.removed.length} and ${summary.chunksRemoved} chunks no kept backup references`,
    );
    return summary;
  }
}
