import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import {
  clientFlags,
  durationFlag,
  rateBytesPerSecondMax,
  sizeFlag,
  waitMillisecondsMax,
} from '../src/cli/flags.js';
import { formatBytes } from '../src/cli/output.js';
import { formatDuration, ProgressLine } from '../src/cli/progress.js';
import {
  configureRebalance,
  rebalancePlan,
  rebalanceStatus,
  waitForSettled,
  type RebalancePlan,
  type RebalanceStatusView,
} from '../src/data/maintenance/index.js';

export default class Rebalance extends CairnCommand {
  static override summary = 'Move chunks to their placement after a join, leave or weight change.';
  static override description =
    'Data starts moving as soon as a join, leave or weight change commits a new ring epoch, unless paused (`--pause` before a join holds it); this command resumes it, sets the rate and shows progress until the epoch settles. The leader copies exactly the chunks whose placement changed (node to node, --parallel transfers at most --rate bytes/s), commits "epoch settled" when every chunk has its copies, and only then deletes the surplus copies. It resumes by itself after a crash or a leader change (a pass re-reads what each node holds and skips what is in place). Nodes above the 90% fill threshold receive nothing, and the status says so. With --json, progress goes to stderr as one JSON object per line and the final status to stdout.';
  static override examples = [
    {
      description: 'What would move, per node, and how long at 100 MiB/s',
      command: '<%= config.bin %> <%= command.id %> --dry-run --rate 100MiB',
    },
    {
      description: 'Rebalance with a progress bar, at most 50 MiB/s',
      command: '<%= config.bin %> <%= command.id %> --rate 50MiB',
    },
    {
      description: 'Where a running rebalance stands',
      command: '<%= config.bin %> <%= command.id %> --status',
    },
    {
      description: 'Pause, then resume',
      command:
        '<%= config.bin %> <%= command.id %> --pause && <%= config.bin %> <%= command.id %> --resume',
    },
  ];
  static override flags = {
    ...clientFlags,
    'dry-run': Flags.boolean({
      description:
        'print the plan (bytes and chunks in and out per node, share moved, time estimate) and move nothing',
      exclusive: ['status', 'pause', 'resume'],
    }),
    rate: sizeFlag({
      description:
        'bytes per second across all transfers, 0 = unlimited (kept by the cluster until changed)',
      perSecond: true,
      minimumBytes: 0,
      maximumBytes: rateBytesPerSecondMax,
    }),
    parallel: Flags.integer({ description: 'chunk transfers in flight', min: 1, max: 64 }),
    status: Flags.boolean({
      description: 'show the state of the rebalance and return',
      exclusive: ['pause', 'resume'],
    }),
    pause: Flags.boolean({
      description: 'pause the rebalance (in-flight copies finish)',
      exclusive: ['resume'],
    }),
    resume: Flags.boolean({ description: 'resume a paused rebalance and return' }),
    timeout: durationFlag({
      description: 'how long to wait for the rebalance to settle',
      fallback: '1h',
      minimumMilliseconds: 1000,
      maximumMilliseconds: waitMillisecondsMax,
    }),
  };

  async run(): Promise<RebalancePlan | RebalanceStatusView> {
    const { flags } = await this.parse(Rebalance);
    const rate = flags.rate;
    const client = this.makeClient(flags);
    try {
      if (flags['dry-run'])
        return this.printPlan(
          (await rebalancePlan(
            client,
            rate ?? (await rebalanceStatus(client)).rateBytesPerSecond,
          )) as RebalancePlan,
        );
      if (flags.status) return this.printStatus(await rebalanceStatus(client));
      const settings = {
        ...(rate === undefined ? {} : { rateBytesPerSecond: rate }),
        ...(flags.parallel === undefined ? {} : { parallel: flags.parallel }),
      };
      if (flags.pause || flags.resume)
        return this.printStatus(
          await configureRebalance(client, flags.pause ? 'pause' : 'resume', settings),
        );
      await configureRebalance(client, 'start', settings);
      return this.printStatus(await this.watch(client, flags.timeout));
    } finally {
      await client.close();
    }
  }

  private async watch(
    client: Parameters<typeof waitForSettled>[0],
    timeoutMilliseconds: number,
  ): Promise<RebalanceStatusView> {
    let progress: ProgressLine | undefined;
    let pass = -1;
    let shown = 0;
    const final = await waitForSettled(client, {
      timeoutMilliseconds,
      intervalMilliseconds: 500,
      onStatus: (status) => {
        if (this.jsonEnabled()) {
          process.stderr.write(
            `${JSON.stringify({ state: status.state, epoch: status.currentEpoch, settledEpoch: status.settledEpoch, bytesCopied: status.bytesCopied, bytesPlanned: status.bytesPlanned, chunksCopied: status.chunksCopied, chunksPlanned: status.chunksPlanned, bytesPerSecond: status.bytesPerSecond, failed: status.failedCount })}\n`,
          );
          return;
        }
        if (status.passes !== pass) {
          progress?.finish();
          progress = new ProgressLine({
            label: `rebalance to epoch ${status.currentEpoch}`,
            total: status.bytesPlanned,
            unit: 'bytes',
          });
          pass = status.passes;
          shown = 0;
        }
        progress?.advance(Math.max(0, status.bytesCopied - shown));
        shown = Math.max(shown, status.bytesCopied);
      },
    });
    progress?.finish();
    return final;
  }

  private printPlan(plan: RebalancePlan): RebalancePlan {
    if (this.jsonEnabled()) return plan;
    this.log(
      `epoch ${plan.fromEpoch} -> ${plan.toEpoch}: ${plan.chunksChanged} of ${plan.chunksExamined} chunks change placement; ${plan.copiesMoved} copies, ${formatBytes(plan.bytesMoved)} move (${(plan.movedShare * 100).toFixed(1)}% of ${formatBytes(plan.bytesStored)} stored)`,
    );
    this.printTable(
      ['node', 'chunks in', 'bytes in', 'chunks out', 'bytes out', 'disk', 'note'],
      plan.members.map((member) => [
        member.memberId,
        String(member.chunksIn),
        formatBytes(member.bytesIn),
        String(member.chunksOut),
        formatBytes(member.bytesOut),
        member.fillRatio === null ? '?' : `${(member.fillRatio * 100).toFixed(0)}%`,
        member.refusal ?? '',
      ]),
    );
    this.log(
      plan.estimatedSeconds === null
        ? 'estimate: rate unlimited (--rate to estimate)'
        : `estimate: ${formatDuration(plan.estimatedSeconds)} at ${formatBytes(plan.rateBytesPerSecond)}/s`,
    );
    return plan;
  }

  private printStatus(status: RebalanceStatusView): RebalanceStatusView {
    if (this.jsonEnabled()) return status;
    this.log(
      `epoch ${status.currentEpoch}, settled ${status.settledEpoch}: ${status.state}; last pass copied ${status.chunksCopied}/${status.chunksPlanned} chunks, ${formatBytes(status.bytesCopied)}/${formatBytes(status.bytesPlanned)} at ${formatBytes(status.bytesPerSecond)}/s; rate limit ${status.rateBytesPerSecond === 0 ? 'off' : `${formatBytes(status.rateBytesPerSecond)}/s`}, ${status.parallel} parallel; surplus copies removed ${status.surplusRemoved}`,
    );
    for (const refusal of status.refused)
      this.log(
        `refused: ${refusal.memberId} receives nothing (${refusal.reason}); ${refusal.chunks} chunks wait`,
      );
    if (status.failedCount > 0)
      this.log(
        `${status.failedCount} copies failed (retried by the next pass), e.g. ${status.failures[0]?.reason ?? ''}`,
      );
    if (status.lostChunkCount > 0)
      this.log(`${status.lostChunkCount} chunks have no reachable copy`);
    return status;
  }
}
