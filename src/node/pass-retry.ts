// When the leader's reconcile pass comes back after one that left copies undone (a target
// unreachable or still starting, a copy that failed, a full disk). Without it such a pass
// waited for the 10-minute background repair: a node back from a crash could stay short
// of copies that long when the sweep its return asked for ran before it answered.

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export class PassRetry {
  private delayMilliseconds = 0;
  private dueAtMilliseconds: number | undefined;

  /** True once when a retry is due (the caller then plans a pass). */
  due(nowMilliseconds: number): boolean {
    if (this.dueAtMilliseconds === undefined || nowMilliseconds < this.dueAtMilliseconds)
      return false;
    this.dueAtMilliseconds = undefined;
    return true;
  }

  /** After a pass: complete clears the backoff; incomplete doubles it up to its bound. */
  record(complete: boolean, nowMilliseconds: number): void {
    if (complete) {
      this.delayMilliseconds = 0;
      this.dueAtMilliseconds = undefined;
      return;
    }
    this.delayMilliseconds = Math.min(
      Math.max(limits.maintenanceRetryMillisecondsMin, this.delayMilliseconds * 2),
      limits.maintenanceRetryMillisecondsMax,
    );
    this.dueAtMilliseconds = nowMilliseconds + this.delayMilliseconds;
    assert(this.delayMilliseconds <= limits.maintenanceRetryMillisecondsMax, 'backoff bounded');
  }

  get delay(): number {
    return this.delayMilliseconds;
  }
}
