// Which chunk peers failed lately (a refused or timed-out copy, or one still unanswered
// when its chunk was done). One per node, shared by every put and get: a member that
// failed within the last `suspectMilliseconds` gets a stand-in straight away instead of
// costing every chunk a hedge delay, and reads try it last. A success clears it; after
// the window it is tried again, so a member that came back is used again soon.

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export class MemberSuspicion {
  /** Member id -> when it last failed (clock milliseconds). */
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly clock: () => number = () => performance.now(),
    private readonly suspectMilliseconds: number = limits.memberSuspectMillisecondsDefault,
  ) {
    assert(suspectMilliseconds >= 0, 'a non-negative suspicion window');
  }

  noteFailure(memberId: string): void {
    this.failedAt.delete(memberId); // re-inserted last: the map stays in failure order
    this.failedAt.set(memberId, this.clock());
    if (this.failedAt.size > limits.memberSuspectsMax) {
      const oldest = this.failedAt.keys().next().value as string;
      this.failedAt.delete(oldest);
    }
  }

  noteSuccess(memberId: string): void {
    this.failedAt.delete(memberId);
  }

  isSuspect(memberId: string): boolean {
    const failed = this.failedAt.get(memberId);
    if (failed === undefined) return false;
    if (this.clock() - failed < this.suspectMilliseconds) return true;
    this.failedAt.delete(memberId);
    return false;
  }
}
