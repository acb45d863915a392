// A simulated disk under one node. Raft reads `live` (what the node has written,
// as the OS page cache would show it). Writes are also queued in a journal; sync()
// makes them durable. A crash keeps only the durable state plus, when torn writes
// are enabled, a prefix of the journal (a WAL is written in order, so what
// survives an unsynced crash is a prefix).

import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';

type JournalRecord =
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot };

export interface DiskStats {
  syncs: number;
  recordsLost: number;
}

export class SimDisk {
  live: MemoryLogStorage;
  private durable: MemoryLogStorage;
  private journal: JournalRecord[] = [];
  readonly stats: DiskStats = { syncs: 0, recordsLost: 0 };

  constructor(storage: MemoryLogStorage) {
    this.durable = storage;
    this.live = copyStorage(storage);
  }

  /** A disk holding nothing (a node that will join later, or was wiped). */
  static empty(): SimDisk {
    return new SimDisk(new MemoryLogStorage());
  }

  setHardState(hardState: HardState): void {
    this.live.setHardState(hardState);
    this.journal.push({ kind: 'hardState', hardState });
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.live.append(entries);
    this.journal.push({ kind: 'entries', entries });
  }

  applySnapshot(snapshot: Snapshot): void {
    this.live.applySnapshot(snapshot);
    this.journal.push({ kind: 'snapshot', snapshot });
  }

  sync(): void {
    for (const record of this.journal) applyRecord(this.durable, record);
    this.journal = [];
    this.stats.syncs++;
  }

  hasUnsynced(): boolean {
    return this.journal.length > 0;
  }

  /** The application snapshotted its state at `index`: written and synced at once, then the log compacted to `compactIndex`. */
  snapshotAndCompact(
    index: number,
    confState: ConfState,
    data: Uint8Array,
    compactIndex: number,
  ): void {
    assert(compactIndex <= index, 'compact only what the snapshot covers');
    this.sync();
    this.durable.createSnapshot(index, confState, data);
    this.durable.compact(compactIndex);
    this.live.createSnapshot(index, confState, data);
    this.live.compact(compactIndex);
  }

  /** Power loss: unsynced records are lost, except a prefix of `survivingRecords`. */
  crash(survivingRecords: number): void {
    const surviving = Math.min(survivingRecords, this.journal.length);
    for (const record of this.journal.slice(0, surviving)) applyRecord(this.durable, record);
    this.stats.recordsLost += this.journal.length - surviving;
    this.journal = [];
    this.live = copyStorage(this.durable);
  }

  journalLength(): number {
    return this.journal.length;
  }
}

function applyRecord(storage: MemoryLogStorage, record: JournalRecord): void {
  switch (record.kind) {
    case 'hardState':
      // A snapshot applied later in the journal may already have raised commit.
      storage.setHardState({
        ...record.hardState,
        commit: Math.max(record.hardState.commit, storage.hardStateValue().commit),
      });
      return;
    case 'entries':
      storage.append(record.entries);
      return;
    case 'snapshot':
      if (record.snapshot.metadata.index >= storage.snapshot().metadata.index)
        storage.applySnapshot(record.snapshot);
      return;
  }
}

/** An independent copy: what a restarted process reads back from disk. */
export function copyStorage(source: MemoryLogStorage): MemoryLogStorage {
  const copy = new MemoryLogStorage();
  const snapshot = source.snapshot();
  const first = source.firstIndex();
  const last = source.lastIndex();
  // Entries kept below the snapshot (compaction lags it) must survive the copy:
  // start from the compaction point, then record the real snapshot over them.
  const keptBelowSnapshot = snapshot.metadata.index > 0 && first <= snapshot.metadata.index;
  if (keptBelowSnapshot) {
    const compactedTerm = source.term(first - 1);
    assert(compactedTerm !== undefined, 'the compaction point has a term');
    copy.applySnapshot({
      metadata: { ...snapshot.metadata, index: first - 1, term: compactedTerm },
      data: snapshot.data,
    });
  } else if (snapshot.metadata.index > 0) {
    copy.applySnapshot(snapshot);
  }
  if (last >= first) copy.append(source.entries(first, last + 1, Number.MAX_SAFE_INTEGER));
  const hardState = source.hardStateValue();
  copy.setHardState({
    ...hardState,
    commit: Math.max(hardState.commit, copy.hardStateValue().commit),
  });
  if (keptBelowSnapshot)
    copy.createSnapshot(snapshot.metadata.index, snapshot.metadata.confState, snapshot.data);
  assert(
    copy.firstIndex() === first && copy.lastIndex() === last,
    'the copy holds the same entries',
  );
  return copy;
}
