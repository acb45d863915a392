// The Raft log on top of the generic WAL: entries, the hard state, suffix truncation
// (a leader overwriting uncommitted entries) and snapshot boundaries, as WAL records.
//
// Types are structurally identical to src/raft/types.ts (Entry, HardState) without
// importing them: storage and raft sit side by side, and both import only util.
//
// Records (payloads little endian):
//   entry     u64 index, u64 term, u8 kind (0 normal, 1 confChange), data
//   hardState u64 term, u64 commit, u16 vote length (0 = no vote), vote UTF-8
//   truncate  u64 index: entries from index on are removed (new ones follow)
//   snapshot  u64 index, u64 term, u8 discardLog: entries up to index are compacted;
//             discardLog 1 (a snapshot installed from the leader) removes all entries
//   sealedEntry (encryption at rest only) as entry, with data sealed (sealing.ts) and
//             bound to its index and term; an encrypted log holds no plain entry records
// Replay rebuilds the log with `LogReplayer` (pure, table tested).

import type { Disk } from './disk.js';
import { Wal, type ReplayedRecord, type WalOptions, type WalStatistics } from './wal.js';
import { assert, assertInteger } from '../util/assert.js';
import { CorruptionError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { type Keyring, openSealed, seal, sealedLength } from './sealing.js';

export type LogEntryType = 'normal' | 'confChange';

export interface LogEntry {
  readonly term: number;
  readonly index: number;
  readonly type: LogEntryType;
  readonly data: Uint8Array;
}

export interface LogHardState {
  readonly term: number;
  readonly vote: string | null;
  readonly commit: number;
}

export interface SnapshotBoundary {
  readonly index: number;
  readonly term: number;
}

export const raftRecordType = {
  entry: 1,
  hardState: 2,
  truncate: 3,
  snapshot: 4,
  sealedEntry: 5,
} as const;

export interface RaftLogOptions extends WalOptions {
  /** Encryption at rest: entry data is sealed under this keyring's newest key. */
  readonly sealing?: Keyring | undefined;
}

function entryContext(index: number, term: number): string {
  return `raft-entry:${index}:${term}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeEntry(entry: LogEntry, sealing?: Keyring): Uint8Array {
  assertInteger(entry.index, 'entry index', 1);
  assertInteger(entry.term, 'entry term', 1);
  const data =
    sealing === undefined
      ? entry.data
      : seal(sealing, entryContext(entry.index, entry.term), entry.data);
  const bytes = new Uint8Array(17 + data.length);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(entry.index), true);
  view.setBigUint64(8, BigInt(entry.term), true);
  bytes[16] = entry.type === 'normal' ? 0 : 1;
  bytes.set(data, 17);
  return bytes;
}

export function encodeHardState(state: LogHardState): Uint8Array {
  const vote = state.vote === null ? new Uint8Array(0) : encoder.encode(state.vote);
  assert(state.vote === null || vote.length > 0, 'a vote names a node');
  assert(vote.length < 0xffff, 'vote fits');
  const bytes = new Uint8Array(18 + vote.length);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(state.term), true);
  view.setBigUint64(8, BigInt(state.commit), true);
  view.setUint16(16, vote.length, true);
  bytes.set(vote, 18);
  return bytes;
}

function encodeIndex(index: number, term?: number, flag?: number): Uint8Array {
  const bytes = new Uint8Array(term === undefined ? 8 : 17);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(index), true);
  if (term !== undefined) view.setBigUint64(8, BigInt(term), true);
  if (flag !== undefined) bytes[16] = flag;
  return bytes;
}

export interface ReplayedLog {
  readonly hardState: LogHardState;
  readonly snapshot: SnapshotBoundary;
  /** Contiguous, starting at snapshot.index + 1 (or empty). */
  readonly entries: readonly LogEntry[];
}

/** Rebuilds the log from records in WAL order. Pure; throws CorruptionError on nonsense. */
export class LogReplayer {
  private entries: LogEntry[] = [];
  private hardState: LogHardState = { term: 0, vote: null, commit: 0 };
  private snapshot: SnapshotBoundary = { index: 0, term: 0 };
  /** Highest entry index seen per segment (for compaction). */
  readonly segmentMaxIndex = new Map<number, number>();

  constructor(private readonly sealing?: Keyring) {}

  apply(record: ReplayedRecord, file: string): void {
    const view = new DataView(
      record.payload.buffer,
      record.payload.byteOffset,
      record.payload.byteLength,
    );
    const fail = (why: string): never => {
      throw new CorruptionError(`raft log ${file}: ${why} at offset ${record.offset}`, {
        file,
        offset: record.offset,
      });
    };
    const u64 = (at: number): number => {
      if (record.payload.length < at + 8) fail('short record');
      const value = view.getBigUint64(at, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail('index out of range');
      return Number(value);
    };
    switch (record.type) {
      case raftRecordType.sealedEntry:
      case raftRecordType.entry: {
        const index = u64(0);
        const term = u64(8);
        const kind = record.payload[16];
        if (kind !== 0 && kind !== 1) fail('unknown entry kind');
        const sealed = record.type === raftRecordType.sealedEntry;
        if (sealed !== (this.sealing !== undefined))
          fail(
            sealed ? 'a sealed entry, but no encryption key' : 'a plain entry in an encrypted log',
          );
        const data = record.payload.subarray(17);
        this.addEntry(
          {
            index,
            term,
            type: kind === 0 ? 'normal' : 'confChange',
            data: sealed ? openEntry(this.sealing!, index, term, data, fail) : data,
          },
          fail,
        );
        this.segmentMaxIndex.set(
          record.segment,
          Math.max(this.segmentMaxIndex.get(record.segment) ?? 0, index),
        );
        return;
      }
      case raftRecordType.hardState: {
        const voteLength =
          record.payload.length >= 18 ? view.getUint16(16, true) : fail('short hard state');
        if (record.payload.length !== 18 + voteLength) fail('hard state length');
        const vote = voteLength === 0 ? null : decoder.decode(record.payload.subarray(18));
        this.hardState = { term: u64(0), commit: u64(8), vote };
        return;
      }
      case raftRecordType.truncate:
        this.truncateFrom(u64(0));
        return;
      case raftRecordType.snapshot:
        this.compactTo({ index: u64(0), term: u64(8) }, record.payload[16] === 1, fail);
        return;
      default:
        fail(`unknown record type ${record.type}`);
    }
  }

  result(file: string): ReplayedLog {
    const first = this.entries[0];
    if (first !== undefined && first.index !== this.snapshot.index + 1) {
      throw new CorruptionError(
        `raft log ${file}: entries start at ${first.index} but the snapshot ends at ${this.snapshot.index}`,
        { file, offset: 0 },
      );
    }
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries };
  }

  private addEntry(entry: LogEntry, fail: (why: string) => never): void {
    if (entry.index <= this.snapshot.index) return;
    const last = this.entries.at(-1);
    // An empty log may start anywhere: older segments may have been removed.
    if (last !== undefined && entry.index !== last.index + 1)
      fail(`entry ${entry.index} does not follow ${last.index}`);
    if (last !== undefined && entry.term < last.term)
      fail(`entry ${entry.index} has a lower term than its predecessor`);
    this.entries.push(entry);
  }

  private truncateFrom(index: number): void {
    const first = this.entries[0];
    if (first === undefined) return;
    const keep = Math.max(0, Math.min(this.entries.length, index - first.index));
    this.entries.length = keep;
  }

  private compactTo(
    boundary: SnapshotBoundary,
    discardLog: boolean,
    fail: (why: string) => never,
  ): void {
    if (boundary.index < this.snapshot.index) fail('snapshot boundary moves backwards');
    this.snapshot = boundary;
    if (discardLog) {
      this.entries = [];
      return;
    }
    const first = this.entries[0];
    if (first === undefined) return;
    this.entries = this.entries.slice(
      Math.max(0, Math.min(this.entries.length, boundary.index + 1 - first.index)),
    );
  }
}

function openEntry(
  sealing: Keyring,
  index: number,
  term: number,
  data: Uint8Array,
  fail: (why: string) => never,
): Uint8Array {
  try {
    return openSealed(sealing, entryContext(index, term), data);
  } catch (error) {
    if (error instanceof CorruptionError) return fail(error.message);
    throw error;
  }
}

export interface RaftLogOpened {
  readonly log: RaftLog;
  readonly replayed: ReplayedLog;
}

/** The durable Raft log of one group. Call order per driver iteration: append, setHardState, sync. */
export class RaftLog {
  private lastIndexValue: number;
  private snapshot: SnapshotBoundary;
  private hardState: LogHardState;

  private constructor(
    private readonly wal: Wal,
    private readonly segmentMaxIndex: Map<number, number>,
    replayed: ReplayedLog,
    private readonly sealing: Keyring | undefined,
  ) {
    this.snapshot = replayed.snapshot;
    this.hardState = replayed.hardState;
    this.lastIndexValue = replayed.entries.at(-1)?.index ?? replayed.snapshot.index;
  }

  static async open(
    disk: Disk,
    directory: string,
    options: RaftLogOptions = {},
  ): Promise<RaftLogOpened> {
    const { sealing, ...walOptions } = options;
    const replayer = new LogReplayer(sealing);
    const entryBytesMax =
      sealing === undefined ? limits.raftEntryBytesMax : sealedLength(limits.raftEntryBytesMax);
    const wal = await Wal.open(
      disk,
      directory,
      { recordBytesMax: entryBytesMax + 64, ...walOptions },
      (record) => replayer.apply(record, `${directory}/segment ${record.segment}`),
    );
    const replayed = replayer.result(directory);
    const log = new RaftLog(wal, replayer.segmentMaxIndex, replayed, sealing);
    return { log, replayed };
  }

  lastIndex(): number {
    return this.lastIndexValue;
  }

  /** Appends entries; entries at or below the last index replace the existing suffix. */
  append(entries: readonly LogEntry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.snapshot.index, 'appended entries are above the snapshot');
    assert(first.index <= this.lastIndexValue + 1, 'appended entries leave no gap');
    if (first.index <= this.lastIndexValue)
      this.wal.append(raftRecordType.truncate, encodeIndex(first.index));
    let expected = first.index;
    for (const entry of entries) {
      assertEqualIndex(entry.index, expected);
      if (entry.data.length > limits.raftEntryBytesMax)
        throw new LimitExceededError(
          'raftEntryBytesMax',
          limits.raftEntryBytesMax,
          entry.data.length,
          'bytes',
        );
      const segment =
        this.sealing === undefined
          ? this.wal.append(raftRecordType.entry, encodeEntry(entry))
          : this.wal.append(raftRecordType.sealedEntry, encodeEntry(entry, this.sealing));
      this.segmentMaxIndex.set(
        segment,
        Math.max(this.segmentMaxIndex.get(segment) ?? 0, entry.index),
      );
      expected++;
    }
    this.lastIndexValue = expected - 1;
  }

  setHardState(state: LogHardState): void {
    this.hardState = state;
    this.wal.append(raftRecordType.hardState, encodeHardState(state));
  }

  /** Group commit: everything appended so far is durable when this resolves. */
  sync(): Promise<void> {
    return this.wal.sync();
  }

  /** A snapshot from the leader replaces the whole log. Durable after `sync()`. */
  installSnapshot(boundary: SnapshotBoundary): void {
    assert(boundary.index >= this.snapshot.index, 'snapshots move forward');
    this.wal.append(raftRecordType.snapshot, encodeIndex(boundary.index, boundary.term, 1));
    this.snapshot = boundary;
    this.lastIndexValue = boundary.index;
  }

  /**
   * Our own state store has a durable snapshot at `boundary`: record it, and delete the
   * segments whose entries are all covered. The hard state is re-recorded first so it
   * survives the removal of the segment that held it.
   */
  async compact(boundary: SnapshotBoundary): Promise<number> {
    assert(
      boundary.index >= this.snapshot.index && boundary.index <= this.lastIndexValue,
      'compaction inside the log',
    );
    const snapshotSegment = this.wal.append(
      raftRecordType.snapshot,
      encodeIndex(boundary.index, boundary.term, 0),
    );
    this.wal.append(raftRecordType.hardState, encodeHardState(this.hardState));
    this.snapshot = boundary;
    await this.wal.sync();
    // Keep the segment holding the snapshot record even when it holds no entry above the
    // boundary: the hard state after it may have rolled over into the next segment (W1).
    let removeBefore = snapshotSegment;
    assert(snapshotSegment <= this.wal.currentSegment(), 'the snapshot record is in the log');
    for (const segment of this.wal.segments()) {
      if ((this.segmentMaxIndex.get(segment) ?? 0) > boundary.index) {
        removeBefore = Math.min(removeBefore, segment);
        break;
      }
    }
    const removed = await this.wal.removeSegmentsBefore(removeBefore);
    for (const segment of [...this.segmentMaxIndex.keys()])
      if (segment < removeBefore) this.segmentMaxIndex.delete(segment);
    return removed;
  }

  segments(): readonly number[] {
    return this.wal.segments();
  }

  statistics(): WalStatistics {
    return this.wal.statistics();
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}

function assertEqualIndex(actual: number, expected: number): void {
  assert(actual === expected, `entries are contiguous: expected index ${expected}, got ${actual}`);
}
