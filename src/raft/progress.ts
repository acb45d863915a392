// What the leader knows about one member's log, and how it may send to it:
// probe (one append per heartbeat until the match point is found), replicate
// (pipelined appends bounded by Inflights), snapshot (waiting for an InstallSnapshot).

import { assert } from '../util/assert.js';
import { Inflights } from './inflights.js';
import type { ProgressState, ProgressStatus } from './types.js';

export class Progress {
  /** Highest index known to be in the member's log. */
  match: number;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** In probe state: an append was sent and no answer or heartbeat response came yet. */
  probeSent = false;
  isLearner: boolean;
  /** In snapshot state: heartbeat responses received since the snapshot was sent. */
  heartbeatsSinceSnapshot = 0;
  readonly inflights: Inflights;

  constructor(options: {
    match: number;
    next: number;
    isLearner: boolean;
    inflightMessagesMax: number;
    inflightBytesMax: number;
  }) {
    assert(options.next > options.match, 'next > match');
    this.match = options.match;
    this.next = options.next;
    this.isLearner = options.isLearner;
    this.inflights = new Inflights(options.inflightMessagesMax, options.inflightBytesMax);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.heartbeatsSinceSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // The snapshot may have been applied: do not probe below it.
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An append was acknowledged up to `index`. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * An append at `rejectedIndex` was refused; `matchHint` is the highest index that
   * may match. Returns false when the refusal is stale (answers an older append).
   */
  maybeDecreaseTo(rejectedIndex: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejectedIndex <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejectedIndex) return false;
    if (rejectedIndex <= this.match) {
      // The member no longer holds what it acknowledged: its log was lost (a wiped
      // disk rejoining under the same id, or a stale acknowledgement of an earlier
      // incarnation). Believe its hint and replicate again from there.
      this.match = Math.max(0, Math.min(matchHint, rejectedIndex - 1));
    }
    this.next = Math.max(Math.min(rejectedIndex, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader must hold appends to this member for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Account for an append carrying `entryCount` entries ending at `lastIndex` of `sizeBytes`. */
  sentAppend(entryCount: number, lastIndex: number, sizeBytes: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        assert(lastIndex >= this.next, 'replicate sends forward');
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, sizeBytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    } else {
      assert(false, 'no append is sent in snapshot state');
    }
  }

  status(): ProgressStatus {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      isLearner: this.isLearner,
      recentActive: this.recentActive,
      probeSent: this.probeSent,
      pendingSnapshot: this.pendingSnapshot,
      inflightMessages: this.inflights.count,
      inflightBytes: this.inflights.bytes,
    };
  }
}
