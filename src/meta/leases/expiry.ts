// Lease deadlines on one node's monotonic clock. Pure: time is passed in (`now`, in
// milliseconds of a monotonic clock), so tests drive it by hand. The node feeds it
// every lease record it applies (`observe`); the leader asks it which leases ran out
// (`due`) and what time each has left (`checkpoints`). Why this gives both bounds of
// a lease (never early, never more than about one election timeout late across leader
// changes) is in README.md.

import { assert } from '../../util/assert.js';
import type { LeaseRecord } from './records.js';

export interface LeaseDeadline {
  readonly id: number;
  readonly renewedIndex: number;
  /** The Raft index of the record this deadline was measured from. */
  readonly remainingIndex: number;
  /** On this node's monotonic clock. */
  readonly deadline: number;
}

type Basis = Pick<LeaseRecord, 'renewedIndex' | 'remainingMilliseconds' | 'remainingIndex'>;

export class LeaseDeadlines {
  private readonly byId = new Map<number, LeaseDeadline>();

  /**
   * This node applied (or first read) the lease's record at `now`: the lease has at
   * least `remainingMilliseconds` from now, since the record committed no later.
   * A checkpoint of the same renewal never moves a deadline later (the earlier
   * measure stands: both are safe, the earlier one is tighter).
   */
  observe(id: number, record: Basis, now: number): void {
    assert(Number.isFinite(now), 'now is a clock reading');
    const known = this.byId.get(id);
    if (known !== undefined && record.remainingIndex <= known.remainingIndex) return;
    let deadline = now + record.remainingMilliseconds;
    if (known !== undefined && known.renewedIndex === record.renewedIndex)
      deadline = Math.min(deadline, known.deadline);
    const { renewedIndex, remainingIndex } = record;
    this.byId.set(id, { id, renewedIndex, remainingIndex, deadline });
  }

  forget(id: number): void {
    this.byId.delete(id);
  }

  /** Forgets every lease not in `ids` (the stored ones, after a snapshot or a restart). */
  retainOnly(ids: ReadonlySet<number>): void {
    for (const id of [...this.byId.keys()]) if (!ids.has(id)) this.byId.delete(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Milliseconds left at `now` (0 when past), or undefined for a lease not known here. */
  remaining(id: number, now: number): number | undefined {
    const known = this.byId.get(id);
    return known === undefined ? undefined : Math.max(0, known.deadline - now);
  }

  /** Whether the lease is past its deadline at `now` (unknown leases are not). */
  isPast(id: number, now: number): boolean {
    const known = this.byId.get(id);
    return known !== undefined && known.deadline <= now;
  }

  /** Leases whose deadline is at or before `now`, earliest first, at most `countMax`. */
  due(now: number, countMax: number): LeaseDeadline[] {
    const past = [...this.byId.values()].filter((lease) => lease.deadline <= now);
    past.sort((left, right) => left.deadline - right.deadline || left.id - right.id);
    return past.slice(0, countMax);
  }

  /** Time left of every lease not yet due, in id order, at most `countMax`. */
  checkpoints(
    now: number,
    countMax: number,
  ): { id: number; renewedIndex: number; remainingMilliseconds: number }[] {
    const live = [...this.byId.values()].filter((lease) => lease.deadline > now);
    live.sort((left, right) => left.id - right.id);
    return live.slice(0, countMax).map((lease) => ({
      id: lease.id,
      renewedIndex: lease.renewedIndex,
      remainingMilliseconds: Math.ceil(lease.deadline - now),
    }));
  }
}
