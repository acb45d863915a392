// etcd's NOSPACE alarm, simplified: writes stop before the disk is full, so applying
// committed entries does not meet ENOSPC; reads go on.

import { statfsSync } from 'node:fs';
import { CairnError } from '../util/errors.js';

/** Below this much free space the leader refuses new writes. */
const diskReserveBytes = 64 * 1024 * 1024;
const diskCheckIntervalMilliseconds = 1_000;

export class DiskGuard {
  private lastCheck: { at: number; freeBytes: number } | undefined;
  readonly reserveBytes = diskReserveBytes;

  constructor(
    private readonly nodeId: string,
    private readonly dataDirectory: string,
  ) {}

  /** Free bytes of the data directory's file system, read at most once a second. */
  freeBytes(): number {
    const now = performance.now();
    if (this.lastCheck === undefined || now - this.lastCheck.at > diskCheckIntervalMilliseconds) {
      const stats = statfsSync(this.dataDirectory);
      this.lastCheck = { at: now, freeBytes: stats.bavail * stats.bsize };
    }
    return this.lastCheck.freeBytes;
  }

  isLow(): boolean {
    return this.freeBytes() < diskReserveBytes;
  }

  refuseWritesWhenLow(): void {
    const freeBytes = this.freeBytes();
    if (freeBytes < diskReserveBytes) {
      throw new CairnError(
        'CAIRN_ERR_DISK_FULL',
        `node ${this.nodeId} has ${freeBytes} bytes free, below its reserve of ${diskReserveBytes}; writes are refused until space is freed (reads go on)`,
        { details: { outcome: 'failed', freeBytes } },
      );
    }
  }
}
