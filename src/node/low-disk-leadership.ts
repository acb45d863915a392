// A leader low on disk hands leadership to a voter with space (issue 13) instead of
// refusing every write: its own disk holds the log every write passes through. A
// leader duty asks each voter how much it has free, and transfers to the caught-up one
// with the most (at least twice the reserve, so leadership does not bounce). Writes
// that arrive meanwhile are refused as UNAVAILABLE (retryable) naming the new leader.

import type { NodeStatus } from '../api/index.js';
import { CairnError } from '../util/errors.js';
import type { DiskGuard } from './disk-guard.js';
import type { RaftStatus } from './meta-group.js';

export interface LowDiskGroup {
  readonly nodeId: string;
  isLeader(): boolean;
  status(): RaftStatus | undefined;
  transferLeader(to: string): void;
  peerAddressOf(memberId: string): string | undefined;
}

export interface LowDiskOptions {
  readonly group: LowDiskGroup;
  readonly diskGuard: Pick<DiskGuard, 'freeBytes' | 'reserveBytes'>;
  readonly nodeStatus: (peerAddress: string) => Promise<NodeStatus>;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

/** A voter is caught up enough to lead when this close to the commit index. */
const caughtUpEntriesMax = 64;

export class LowDiskLeadership {
  private handingOverTo: string | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: LowDiskOptions) {}

  private isLow(): boolean {
    return this.options.diskGuard.freeBytes() < this.options.diskGuard.reserveBytes;
  }

  /** Leader duty (and at once when a write meets a low disk): one run at a time. */
  duty(): Promise<void> {
    this.running ??= this.handOver().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Called before a write on the leader: throws while the disk is below the reserve. */
  refuseWriteWhenLow(): void {
    if (!this.isLow()) return;
    if (this.options.group.isLeader()) void this.duty();
    const to = this.handingOverTo;
    const free = this.options.diskGuard.freeBytes();
    if (to !== undefined)
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        `${this.options.group.nodeId} is low on disk (${free} bytes free) and hands leadership to ${to}; retry`,
        { details: { outcome: 'failed', leaderId: to } },
      );
    throw new CairnError(
      'CAIRN_ERR_DISK_FULL',
      `node ${this.options.group.nodeId} has ${free} bytes free, below its reserve of ${this.options.diskGuard.reserveBytes}, and no voter with space can take over; writes are refused until space is freed (reads go on)`,
      { details: { outcome: 'failed', freeBytes: free } },
    );
  }

  private async handOver(): Promise<void> {
    const { group } = this.options;
    const status = group.status();
    if (!group.isLeader() || status === undefined || !this.isLow()) {
      this.handingOverTo = undefined;
      return;
    }
    const candidates = status.confState.voters.filter((voter) => voter !== group.nodeId);
    const answers = await Promise.all(
      candidates.map(async (id) => {
        const address = group.peerAddressOf(id);
        const match = status.progress[id]?.match ?? 0;
        if (address === undefined || match + caughtUpEntriesMax < status.commit) return undefined;
        const answer = await this.options.nodeStatus(address).catch(() => undefined);
        const free = answer?.diskFreeBytes;
        return free === undefined ? undefined : { id, free };
      }),
    );
    const enough = 2 * this.options.diskGuard.reserveBytes;
    const best = answers
      .filter((answer): answer is { id: string; free: number } => answer !== undefined)
      .filter((answer) => answer.free >= enough)
      .sort((left, right) => right.free - left.free)[0];
    if (best === undefined) {
      this.handingOverTo = undefined;
      return;
    }
    this.options.log('low-disk-leader-transfer', {
      to: best.id,
      freeBytes: this.options.diskGuard.freeBytes(),
      theirFreeBytes: best.free,
    });
    this.handingOverTo = best.id;
    group.transferLeader(best.id);
  }
}
