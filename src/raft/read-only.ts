// ReadIndex bookkeeping on the leader. Each read request gets a sequence number;
// heartbeats carry the latest sequence number as their context, and a follower's
// heartbeat response echoes it. A read with sequence s is confirmed once a quorum of
// voters has answered a heartbeat whose sequence is >= s: that heartbeat left after
// the read was registered, so the quorum proves we were still leader after it.

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { committedIndex } from './quorum.js';
import type { NodeId } from './types.js';

export interface PendingRead {
  readonly sequence: number;
  /** The commit index when the read arrived: the read may be served once applied reaches it. */
  readonly index: number;
  readonly requestContext: Uint8Array;
  /** Who asked: the leader itself or a follower that forwarded the request. */
  readonly from: NodeId;
}

export class ReadOnlyQueue {
  private pending: PendingRead[] = [];
  private lastSequence = 0;
  private readonly acknowledgedSequence = new Map<NodeId, number>();

  get size(): number {
    return this.pending.length;
  }

  /** The sequence number heartbeats carry now (0: nothing to confirm). */
  currentSequence(): number {
    return this.pending.length === 0 ? 0 : this.lastSequence;
  }

  isFull(): boolean {
    return this.pending.length >= limits.raftReadIndexPendingMax;
  }

  add(index: number, requestContext: Uint8Array, from: NodeId): PendingRead {
    assert(!this.isFull(), 'read index queue is full');
    this.lastSequence++;
    const read: PendingRead = { sequence: this.lastSequence, index, requestContext, from };
    this.pending.push(read);
    return read;
  }

  /** A heartbeat response from `from` echoed `sequence`. */
  acknowledge(from: NodeId, sequence: number): void {
    if (sequence <= (this.acknowledgedSequence.get(from) ?? 0)) return;
    assert(sequence <= this.lastSequence, 'acknowledged sequence was sent');
    this.acknowledgedSequence.set(from, sequence);
  }

  /** Remove and return the reads a quorum of `voters` has confirmed (the leader `self` confirms all). */
  takeConfirmed(voters: readonly NodeId[], self: NodeId): PendingRead[] {
    if (this.pending.length === 0) return [];
    const confirmed = committedIndex(voters, (id) =>
      id === self ? this.lastSequence : (this.acknowledgedSequence.get(id) ?? 0),
    );
    let count = 0;
    while (
      count < this.pending.length &&
      (this.pending[count] as PendingRead).sequence <= confirmed
    )
      count++;
    return this.pending.splice(0, count);
  }

  /** Leadership ended: pending reads are dropped (their waiters time out and retry). */
  reset(): void {
    this.pending = [];
    this.acknowledgedSequence.clear();
  }
}

export function encodeReadSequence(sequence: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, sequence);
  return bytes;
}

export function decodeReadSequence(context: Uint8Array | undefined): number {
  if (context === undefined || context.byteLength !== 8) return 0;
  const sequence = new DataView(context.buffer, context.byteOffset, 8).getFloat64(0);
  return Number.isSafeInteger(sequence) && sequence > 0 ? sequence : 0;
}
