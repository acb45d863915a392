import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags } from '../src/cli/flags.js';
import { formatBytes } from '../src/cli/output.js';
import { collectGarbage, repairCluster } from '../src/data/maintenance/index.js';

interface RepairResult {
  readonly chunksExamined: number;
  readonly copiesMissing: number;
  readonly copiesRestored: number;
  readonly bytesRestored: number;
  readonly failedCount: number;
  readonly lostChunkCount: number;
  readonly surplusRemoved: number;
  readonly refused: readonly { memberId: string; reason: string; chunks: number }[];
  readonly garbage?: unknown;
}

export default class Repair extends CairnCommand {
  static override summary = 'Bring every chunk of every object back to R healthy copies.';
  static override description =
    'The leader reads every manifest, asks each node which chunks it holds, and copies each missing copy from a surviving one (verified by SHA-256). Run `cairn scrub` first to find copies that rotted on disk. Reports what it fixed; exit code 1 if some copies could not be restored. With --gc the leader also commits a collection of the chunk files nothing references (no manifest, staged upload or retained revision); every node deletes them once it applied it, and a put still in flight whose chunks were taken is refused at its commit and retried by its client.';
  static override examples = [
    {
      description: 'Repair after a disk or node loss',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Repair, then collect unreferenced chunks',
      command: '<%= config.bin %> <%= command.id %> --gc',
    },
  ];
  static override flags = {
    ...clientFlags,
    gc: Flags.boolean({
      description: 'also collect unreferenced chunks (through the meta group; no grace period)',
    }),
  };

  async run(): Promise<RepairResult> {
    const { flags } = await this.parse(Repair);
    const client = this.makeClient({ ...flags });
    try {
      const report = (await repairCluster(client)) as RepairResult;
      const garbage = flags.gc ? await collectGarbage(client) : undefined;
      this.log(
        `examined ${report.chunksExamined} chunks: ${report.copiesMissing} copies missing, ${report.copiesRestored} restored (${formatBytes(report.bytesRestored)}), ${report.failedCount} failed, ${report.lostChunkCount} chunks with no surviving copy; ${report.surplusRemoved} surplus copies removed`,
      );
      for (const refusal of report.refused)
        this.log(`refused: ${refusal.memberId} (${refusal.reason}); ${refusal.chunks} copies wait`);
      if (garbage !== undefined) this.log(`gc: ${JSON.stringify(garbage)}`);
      if (report.failedCount > 0 || report.lostChunkCount > 0 || report.refused.length > 0)
        process.exitCode = 1;
      return { ...report, ...(garbage === undefined ? {} : { garbage }) };
    } finally {
      await client.close();
    }
  }
}
