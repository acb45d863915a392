// An in-memory AppliedStateStore for the simulator and tests, with the crash semantics
// of the LMDB store (state-store.ts): every batch is one atomic transaction; a batch is
// durable only once a flush covering it completed; a crash keeps the durable state plus
// a prefix of the unflushed batches, in order (LMDB commits in order, and a crash
// without fsync may lose the latest commits, never a part of one).
//
// Two objects: `MemoryStateVolume` is the machine's medium and survives crashes;
// `MemoryStateStore` is one process's open store on it. After `crash()` a store opened
// before it refuses every call (its process died), like a file handle after a power
// loss. Keys order by UTF-8 bytes, as in LMDB.

import type {
  AppliedEntry,
  AppliedStateStore,
  KeyValue,
  RangeOptions,
  StateWriter,
} from './applied-state-store.js';
import { SnapshotEncoder, SnapshotParser, type SnapshotIdentity } from './snapshot-format.js';
import { assert, assertInteger } from '../util/assert.js';
import { CairnError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** One committed batch: its net writes (undefined = deleted) and the applied index after it. */
interface Batch {
  readonly index: number;
  readonly term: number;
  readonly writes: ReadonlyMap<string, Uint8Array | undefined>;
}

export interface MemoryStateStatistics {
  batches: number;
  flushes: number;
  batchesLostInCrashes: number;
  crashes: number;
}

/** A sorted map keyed by strings in UTF-8 byte order. */
class SortedState {
  private readonly values = new Map<string, Uint8Array>();
  private readonly keys: { key: string; bytes: Buffer }[] = [];

  get size(): number {
    return this.values.size;
  }

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  set(key: string, value: Uint8Array): void {
    if (!this.values.has(key)) {
      const bytes = Buffer.from(key, 'utf8');
      this.keys.splice(this.lowerBound(bytes), 0, { key, bytes });
    }
    this.values.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.values.delete(key)) return false;
    const position = this.lowerBound(Buffer.from(key, 'utf8'));
    assert(this.keys[position]?.key === key, 'a deleted key is in the sorted index');
    this.keys.splice(position, 1);
    return true;
  }

  range(prefix: string, after: string | undefined, limit: number): KeyValue[] {
    const prefixBytes = Buffer.from(prefix, 'utf8');
    const afterBytes = after === undefined ? undefined : Buffer.from(after, 'utf8');
    const afterInside = afterBytes !== undefined && Buffer.compare(afterBytes, prefixBytes) >= 0;
    let position = this.lowerBound(afterInside ? afterBytes : prefixBytes);
    const result: KeyValue[] = [];
    for (; position < this.keys.length && result.length < limit; position++) {
      const item = this.keys[position] as { key: string; bytes: Buffer };
      if (afterInside && item.key === after) continue;
      if (!startsWith(item.bytes, prefixBytes)) break;
      result.push({ key: item.key, value: this.values.get(item.key) as Uint8Array });
    }
    return result;
  }

  /** Every pair in key order (a copy: later writes do not show). */
  all(): { key: string; bytes: Buffer; value: Uint8Array }[] {
    return this.keys.map((item) => ({ ...item, value: this.values.get(item.key) as Uint8Array }));
  }

  private lowerBound(bytes: Buffer): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare((this.keys[middle] as { bytes: Buffer }).bytes, bytes) < 0)
        low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return (
    bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  );
}

function applyBatchTo(state: SortedState, batch: Batch): void {
  for (const [key, value] of batch.writes) {
    if (value === undefined) state.delete(key);
    else state.set(key, value);
  }
}

/** The medium of one machine: what survives a crash. */
export class MemoryStateVolume {
  private durable = new SortedState();
  private durableIdentity: SnapshotIdentity = { index: 0, term: 0 };
  private unflushed: Batch[] = [];
  private generationValue = 0;
  readonly statistics: MemoryStateStatistics = {
    batches: 0,
    flushes: 0,
    batchesLostInCrashes: 0,
    crashes: 0,
  };

  get generation(): number {
    return this.generationValue;
  }

  /** Opens the store as a restarted process sees it (the OS still holds unflushed batches). */
  open(options: MemoryStateStoreOptions = {}): MemoryStateStore {
    const state = new SortedState();
    for (const item of this.durable.all()) state.set(item.key, item.value);
    let identity = this.durableIdentity;
    for (const batch of this.unflushed) {
      applyBatchTo(state, batch);
      identity = { index: batch.index, term: batch.term };
    }
    return new MemoryStateStore(this, this.generationValue, state, identity, options);
  }

  unflushedBatches(): number {
    return this.unflushed.length;
  }

  /** Power loss: keeps the first `keptBatches` unflushed batches; open stores die. */
  crash(keptBatches: number): void {
    assertInteger(keptBatches, 'keptBatches', 0, this.unflushed.length);
    this.makeDurable(keptBatches);
    this.statistics.batchesLostInCrashes += this.unflushed.length;
    this.statistics.crashes++;
    this.unflushed = [];
    this.generationValue++;
  }

  /** What LMDB's own flushing does in the background: everything committed becomes durable. */
  flushAll(): void {
    this.makeDurable(this.unflushed.length);
  }

  /** @internal */
  record(batch: Batch): void {
    this.unflushed.push(batch);
    this.statistics.batches++;
  }

  /** @internal makes the first `count` unflushed batches durable */
  makeDurable(count: number): void {
    assertInteger(count, 'batch count', 0, this.unflushed.length);
    if (count === 0) return;
    for (const batch of this.unflushed.slice(0, count)) {
      applyBatchTo(this.durable, batch);
      this.durableIdentity = { index: batch.index, term: batch.term };
    }
    this.unflushed = this.unflushed.slice(count);
    this.statistics.flushes++;
  }

  /** @internal an installed snapshot is durable at once and replaces everything */
  replaceDurably(state: SortedState, identity: SnapshotIdentity): void {
    this.durable = new SortedState();
    for (const item of state.all()) this.durable.set(item.key, item.value);
    this.durableIdentity = identity;
    this.unflushed = [];
  }
}

export interface MemoryStateStoreOptions {
  /** How long a flush takes (the simulator resolves it on its clock); default at once. */
  readonly flushDelay?: () => Promise<void>;
}

export class MemoryStateStore implements AppliedStateStore {
  private applying = false;
  private installing = false;

  /** @internal use MemoryStateVolume.open */
  constructor(
    private readonly volume: MemoryStateVolume,
    private readonly generation: number,
    private state: SortedState,
    private identity: SnapshotIdentity,
    private readonly options: MemoryStateStoreOptions,
  ) {}

  appliedIndex(): number {
    this.checkAlive();
    return this.identity.index;
  }

  appliedTerm(): number {
    this.checkAlive();
    return this.identity.term;
  }

  get(key: string): Uint8Array | undefined {
    this.checkAlive();
    checkKey(key);
    return this.state.get(key);
  }

  rangeByPrefix(prefix: string, options: RangeOptions = {}): KeyValue[] {
    this.checkAlive();
    const limit = options.limit ?? limits.listPageKeysMax;
    assertInteger(limit, 'range limit', 1, limits.listPageKeysMax);
    return this.state.range(prefix, options.after, limit);
  }

  async applyBatch<E extends AppliedEntry>(
    entries: readonly E[],
    apply: (entry: E, writer: StateWriter) => void,
  ): Promise<void> {
    this.checkAlive();
    assert(!this.installing && !this.applying, 'no apply during an install or another apply');
    const applied = this.identity.index;
    const fresh = entries.filter((entry) => entry.index > applied);
    if (fresh.length === 0) return;
    assert(
      (fresh[0] as E).index === applied + 1,
      `entries continue the applied index ${applied}, got ${(fresh[0] as E).index}`,
    );
    for (let i = 1; i < fresh.length; i++)
      assert((fresh[i] as E).index === (fresh[i - 1] as E).index + 1, 'entries are contiguous');
    const writes = new Map<string, Uint8Array | undefined>();
    const undo = new Map<string, Uint8Array | undefined>();
    const writer = this.writerRecording(writes, undo);
    this.applying = true;
    try {
      for (const entry of fresh) apply(entry, writer);
    } catch (error) {
      // Nothing of a failed batch is written, as in an aborted LMDB transaction.
      for (const [key, value] of undo) {
        if (value === undefined) this.state.delete(key);
        else this.state.set(key, value);
      }
      throw error;
    } finally {
      this.applying = false;
    }
    const last = fresh[fresh.length - 1] as E;
    this.identity = { index: last.index, term: last.term };
    this.volume.record({ index: last.index, term: last.term, writes });
  }

  async flush(): Promise<void> {
    this.checkAlive();
    const count = this.volume.unflushedBatches();
    await this.options.flushDelay?.();
    this.checkAlive();
    // Batches recorded meanwhile are not covered, as with LMDB's `flushed` promise.
    this.volume.makeDurable(Math.min(count, this.volume.unflushedBatches()));
  }

  createSnapshot(pieceBytesMax: number = limits.raftSnapshotPieceBytesMax): {
    identity: SnapshotIdentity;
    pieces: AsyncGenerator<Uint8Array, void, undefined>;
  } {
    this.checkAlive();
    const identity = this.identity;
    const items = this.state.all();
    async function* pieces(): AsyncGenerator<Uint8Array, void, undefined> {
      const encoder = new SnapshotEncoder(identity, pieceBytesMax);
      for (const item of items) {
        encoder.add(item.bytes, item.value);
        for (const piece of encoder.takePieces()) yield piece;
      }
      for (const piece of encoder.finish()) yield piece;
    }
    return { identity, pieces: pieces() };
  }

  async installSnapshot(
    pieces: AsyncIterable<Uint8Array>,
    name = 'stream',
  ): Promise<SnapshotIdentity> {
    this.checkAlive();
    assert(!this.installing && !this.applying, 'one install at a time, not during apply');
    this.installing = true;
    try {
      const parser = new SnapshotParser(name);
      const loaded = new SortedState();
      let identity: SnapshotIdentity | null = null;
      for await (const piece of pieces) {
        for (const item of parser.push(piece)) {
          if (item.kind === 'header') identity = item.identity;
          else loaded.set(Buffer.from(item.key).toString('utf8'), item.value.slice());
        }
      }
      parser.finish();
      assert(identity !== null, 'a complete snapshot has a header');
      this.checkAlive();
      this.state = loaded;
      this.identity = identity;
      this.volume.replaceDurably(loaded, identity);
      return identity;
    } finally {
      this.installing = false;
    }
  }

  async close(): Promise<void> {}

  private writerRecording(
    writes: Map<string, Uint8Array | undefined>,
    undo: Map<string, Uint8Array | undefined>,
  ): StateWriter {
    const remember = (key: string): void => {
      if (!undo.has(key)) undo.set(key, this.state.get(key));
    };
    return {
      get: (key) => {
        checkKey(key);
        return this.state.get(key);
      },
      put: (key, value) => {
        checkKey(key);
        if (value.length > limits.stateValueBytesMax)
          throw new LimitExceededError(
            'stateValueBytesMax',
            limits.stateValueBytesMax,
            value.length,
            'bytes',
          );
        remember(key);
        const copy = value.slice();
        this.state.set(key, copy);
        writes.set(key, copy);
      },
      delete: (key) => {
        checkKey(key);
        remember(key);
        writes.set(key, undefined);
        return this.state.delete(key);
      },
      rangeByPrefix: (prefix, options) => this.rangeByPrefix(prefix, options ?? {}),
    };
  }

  private checkAlive(): void {
    if (this.volume.generation !== this.generation)
      throw new CairnError(
        'CAIRN_ERR_IO',
        'the state store was lost in a crash (its process died)',
      );
  }
}

function checkKey(key: string): void {
  const length = Buffer.byteLength(key, 'utf8');
  if (length > limits.stateKeyBytesMax)
    throw new LimitExceededError('stateKeyBytesMax', limits.stateKeyBytesMax, length, 'bytes');
}
