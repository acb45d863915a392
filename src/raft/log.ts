// The Raft log as the core sees it: a stable part (what the driver persisted, read
// through RaftLogReader) followed by an unstable part (entries and possibly a snapshot
// not yet handed to the driver, or handed and not yet acknowledged by advance()).

import { assert, assertInteger } from '../util/assert.js';
import type { Entry, RaftLogReader, Snapshot } from './types.js';

/** Bytes an entry counts for in message and flow-control bounds (payload plus header). */
export const entryOverheadBytes = 16;

export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + entryOverheadBytes;
}

export function entriesSizeBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += entrySizeBytes(entry);
  return total;
}

/** Keep a prefix of `entries` of at least one entry and at most `sizeBytesMax` beyond it. */
export function limitSize(entries: Entry[], sizeBytesMax: number): Entry[] {
  return copyLimited(entries, 0, entries.length, sizeBytesMax, 0);
}

/**
 * Copy source[start, end) into a new array, stopping before the total size passes
 * `sizeBytesMax` (`alreadyBytes` counts entries taken before; the very first entry
 * overall is always taken). Reads only what it returns, so a far-behind follower
 * does not cost a copy of the whole log per message.
 */
export function copyLimited(
  source: readonly Entry[],
  start: number,
  end: number,
  sizeBytesMax: number,
  alreadyBytes: number,
): Entry[] {
  assert(start >= 0 && end <= source.length, 'copy within the source');
  const result: Entry[] = [];
  let total = alreadyBytes;
  for (let i = start; i < end; i++) {
    const entry = source[i] as Entry;
    total += entrySizeBytes(entry);
    if (total > sizeBytesMax && (result.length > 0 || alreadyBytes > 0)) break;
    result.push(entry);
  }
  return result;
}

export class UnstableLog {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of entries[0] (or where the next unstable entry will go). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== undefined) return this.snapshot.metadata.index;
    return undefined;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index)
        return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]?.term;
  }

  /** The driver persisted entries up to `index` (of `term`): drop them from here. */
  stableTo(index: number, term: number): void {
    if (index < this.offset) return;
    if (this.maybeTerm(index) !== term) return; // Replaced meanwhile by a newer leader's entries.
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index)
      this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    assert(first !== undefined, 'append at least one entry');
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...entries);
    } else if (after <= this.offset) {
      // Replaces everything unstable and a suffix of the stable log (the driver truncates it).
      this.offset = after;
      this.entries = entries.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(entries);
    }
  }

  /** Entries in [lowIndex, highIndexExclusive) within the unstable entries, bounded by size (see copyLimited). */
  slice(
    lowIndex: number,
    highIndexExclusive: number,
    sizeBytesMax: number,
    alreadyBytes: number,
  ): Entry[] {
    assert(
      lowIndex >= this.offset && highIndexExclusive <= this.offset + this.entries.length,
      'unstable slice in range',
    );
    return copyLimited(
      this.entries,
      lowIndex - this.offset,
      highIndexExclusive - this.offset,
      sizeBytesMax,
      alreadyBytes,
    );
  }
}

/**
 * The core's view of its log (etcd's raftLog): the stable entries in storage, the
 * unstable ones not yet persisted, and the commit and applied indexes. Not the
 * durable log on disk (that is src/storage/raft-log.ts, RaftLog).
 */
export class RaftLogView {
  readonly storage: RaftLogReader;
  readonly unstable: UnstableLog;
  /** Highest index known committed. Never decreases. */
  committed: number;
  /** Highest index applied by the state machine (acknowledged by advance). */
  applied: number;

  constructor(storage: RaftLogReader) {
    this.storage = storage;
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    assert(firstIndex >= 1 && lastIndex >= firstIndex - 1, 'storage bounds are consistent');
    this.unstable = new UnstableLog(lastIndex + 1);
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, 'the last entry has a term');
    return term;
  }

  /** Term at `index`, or undefined when compacted away or beyond the last index. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Whether a candidate's log (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourLastTerm = this.lastTerm();
    return lastTerm > ourLastTerm || (lastTerm === ourLastTerm && lastIndex >= this.lastIndex());
  }

  /** Index of the first entry that is new or conflicts with ours, or 0 when all match. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term (fast
   * backtracking of a rejected append). Stops at the first compacted index.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let candidate = Math.min(index, this.lastIndex());
    const floor = this.firstIndex() - 1;
    while (candidate > floor) {
      const candidateTerm = this.term(candidate);
      if (candidateTerm === undefined || candidateTerm <= term) break;
      candidate--;
    }
    return { index: candidate, term: this.term(candidate) ?? 0 };
  }

  /**
   * Follower side of an append: when our entry at `previousIndex` has `previousTerm`,
   * append `entries` (truncating a conflicting suffix) and commit up to `leaderCommit`.
   * Returns the last index of the appended run, or undefined on a mismatch.
   */
  maybeAppend(
    previousIndex: number,
    previousTerm: number,
    leaderCommit: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(previousIndex, previousTerm)) return undefined;
    const lastNewIndex = previousIndex + entries.length;
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== 0) {
      assert(
        conflictIndex > this.committed,
        `conflict at ${conflictIndex} would rewrite committed ${this.committed}`,
      );
      this.append(entries.slice(conflictIndex - (previousIndex + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNewIndex));
    return lastNewIndex;
  }

  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, 'never append over committed entries');
    assert(first.index <= this.lastIndex() + 1, 'append leaves no gap');
    for (let i = 1; i < entries.length; i++)
      assert(entries[i]?.index === first.index + i, 'appended entries are contiguous');
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Leader side: commit `index` only if its entry is of the current term (Raft paper 5.4.2). */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(
      index <= this.committed && index >= this.applied,
      `applied ${index} outside [${this.applied}, ${this.committed}]`,
    );
    this.applied = index;
  }

  /** Entries in [lowIndex, highIndexExclusive) up to `sizeBytesMax` (at least one), or undefined when compacted. */
  slice(lowIndex: number, highIndexExclusive: number, sizeBytesMax: number): Entry[] | undefined {
    if (lowIndex >= highIndexExclusive) return [];
    if (lowIndex < this.firstIndex()) return undefined;
    assert(highIndexExclusive <= this.lastIndex() + 1, 'slice within the log');
    const offset = this.unstable.offset;
    let result: Entry[] = [];
    if (lowIndex < offset) {
      const stableEnd = Math.min(highIndexExclusive, offset);
      result = this.storage.entries(lowIndex, stableEnd, sizeBytesMax);
      assert(
        result.length > 0 && result.length <= stableEnd - lowIndex,
        'storage returns at least one entry of the range',
      );
      if (result.length < stableEnd - lowIndex) return result; // Cut by size.
    }
    if (highIndexExclusive > offset) {
      const unstable = this.unstable.slice(
        Math.max(lowIndex, offset),
        highIndexExclusive,
        sizeBytesMax,
        entriesSizeBytes(result),
      );
      result = result.length === 0 ? unstable : result.concat(unstable);
    }
    return result;
  }

  /** Entries from `index` to the end, bounded by size; undefined when compacted. */
  entriesFrom(index: number, sizeBytesMax: number): Entry[] | undefined {
    if (index > this.lastIndex()) return [];
    return this.slice(index, this.lastIndex() + 1, sizeBytesMax);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  nextCommittedEntries(sizeBytesMax: number): Entry[] {
    const low = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= low) return [];
    const entries = this.slice(low, this.committed + 1, sizeBytesMax);
    assert(entries !== undefined, 'committed entries above applied are never compacted');
    return entries;
  }

  /** The unstable entries: what the next Ready asks the driver to persist. */
  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replace the whole log by a snapshot (follower receiving InstallSnapshot). */
  restore(snapshot: Snapshot): void {
    assertInteger(snapshot.metadata.index, 'snapshot index', 1);
    assert(snapshot.metadata.index > this.committed, 'restore moves commit forward');
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  /** The highest index the driver has persisted (entries only; a pending snapshot is not stable). */
  stableLastIndex(): number {
    return this.unstable.offset - 1;
  }
}
