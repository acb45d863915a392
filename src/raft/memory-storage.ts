// An in-memory RaftLogReader that the driver writes after each Ready: used by tests,
// the simulator, and as the in-memory view the real node keeps over its WAL.

import { assert, assertInteger } from '../util/assert.js';
import { copyLimited } from './log.js';
import type { ConfState, Entry, HardState, RaftLogReader, Snapshot } from './types.js';

const emptyConfState: ConfState = { voters: [], learners: [] };

export class MemoryLogStorage implements RaftLogReader {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private currentSnapshot: Snapshot = {
    metadata: { index: 0, term: 0, confState: emptyConfState },
    data: new Uint8Array(0),
  };
  /** The entry just before log[0] (compacted away, its term still known). */
  private compactedIndex = 0;
  private compactedTerm = 0;
  /** log[i] has index compactedIndex + 1 + i. */
  private log: Entry[] = [];

  /**
   * Storage of a founding member of a new group: an initial snapshot at index 1, term 1
   * holding the founding configuration and empty state-machine data. A node that joins
   * later starts from `new MemoryLogStorage()` and receives that (or a newer) snapshot,
   * so it always learns the configuration from the leader.
   */
  static bootstrap(
    confState: ConfState,
    snapshotData: Uint8Array = new Uint8Array(0),
  ): MemoryLogStorage {
    assert(confState.voters.length > 0, 'a group starts with at least one voter');
    const storage = new MemoryLogStorage();
    storage.applySnapshot({ metadata: { index: 1, term: 1, confState }, data: snapshotData });
    storage.setHardState({ term: 1, vote: null, commit: 1 });
    return storage;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  hardStateValue(): HardState {
    return this.hardState;
  }

  setHardState(hardState: HardState): void {
    assert(hardState.term >= this.hardState.term, 'persisted term never decreases');
    assert(hardState.commit >= this.hardState.commit, 'persisted commit never decreases');
    this.hardState = hardState;
  }

  firstIndex(): number {
    return this.compactedIndex + 1;
  }

  lastIndex(): number {
    return this.compactedIndex + this.log.length;
  }

  term(index: number): number | undefined {
    if (index === this.compactedIndex) return this.compactedTerm;
    if (index < this.compactedIndex || index > this.lastIndex()) return undefined;
    return this.log[index - this.compactedIndex - 1]?.term;
  }

  entries(lowIndex: number, highIndexExclusive: number, sizeBytesMax: number): Entry[] {
    assert(
      lowIndex >= this.firstIndex(),
      `entries from ${lowIndex} are compacted (first ${this.firstIndex()})`,
    );
    assert(
      highIndexExclusive <= this.lastIndex() + 1 && lowIndex <= highIndexExclusive,
      'entries range within the log',
    );
    const base = this.compactedIndex + 1;
    return copyLimited(this.log, lowIndex - base, highIndexExclusive - base, sizeBytesMax, 0);
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  /** Persist `entries`; entries at or after entries[0].index are replaced (a new leader's suffix). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(
      first.index <= this.lastIndex() + 1,
      `append at ${first.index} leaves a gap after ${this.lastIndex()}`,
    );
    let fresh = entries;
    if (first.index < this.firstIndex()) {
      // Already covered by compaction: keep only what lies beyond it.
      fresh = entries.slice(this.firstIndex() - first.index);
      if (fresh.length === 0) return;
    }
    // Truncate the replaced suffix (if any) in place, then append: no copy of the log.
    this.log.length = (fresh[0] as Entry).index - this.firstIndex();
    for (const entry of fresh) this.log.push(entry);
  }

  /** Replace everything by a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void {
    assert(
      snapshot.metadata.index >= this.currentSnapshot.metadata.index,
      'snapshots move forward',
    );
    this.currentSnapshot = snapshot;
    this.compactedIndex = snapshot.metadata.index;
    this.compactedTerm = snapshot.metadata.term;
    this.log = [];
    if (this.hardState.commit < snapshot.metadata.index)
      this.hardState = { ...this.hardState, commit: snapshot.metadata.index };
  }

  /**
   * The application took a snapshot of its state machine at `index` (applied, hence
   * committed) whose configuration is `confState` (RaftNode.status().confState at that
   * applied index): record it, so raft can send it to followers behind the first
   * index. Call `compact` afterwards to drop the entries it covers.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    assertInteger(
      index,
      'snapshot index',
      this.currentSnapshot.metadata.index + 1,
      this.lastIndex(),
    );
    assert(index <= this.hardState.commit, 'only committed state is snapshotted');
    const term = this.term(index);
    assert(term !== undefined, 'snapshot index has a term');
    this.currentSnapshot = { metadata: { index, term, confState }, data };
    return this.currentSnapshot;
  }

  /** Drop entries up to and including `index`, which the latest snapshot must cover. */
  compact(index: number): void {
    assert(index <= this.currentSnapshot.metadata.index, 'compact only what a snapshot covers');
    if (index <= this.compactedIndex) return;
    const term = this.term(index);
    assert(term !== undefined, 'compaction point has a term');
    this.log = this.log.slice(index - this.compactedIndex);
    this.compactedIndex = index;
    this.compactedTerm = term;
  }
}
