// The applied state machine on LMDB (the `lmdb` package, lmdb-js 2.9: see README.md,
// "the LMDB freelist failure", and state-environment.ts).
//
// Layout in one LMDB environment: database `meta` holds `appliedIndex`, `appliedTerm`
// and `active` ('a' or 'b'); databases `state-a` and `state-b` hold the key/value
// state (binary keys and values), one of them active. `applyBatch` writes the effects
// of a batch of entries and the new applied index in ONE transaction, so after a crash
// the applied index always matches the effects; entries at or below it are skipped,
// which makes re-applying after a restart harmless.
//
// Snapshots: `createSnapshot` reads one LMDB read transaction (a consistent copy) and
// streams it in bounded pieces (snapshot-format.ts). `installSnapshot` loads a stream
// into the inactive database, verifies the stream's checksum at its end, and only then
// switches `active` and the applied index in one transaction: a truncated or corrupt
// stream, or a crash mid-install, leaves the previous state untouched.
//
// LMDB does its own file I/O (memory map, its own fsync), so it does not go through
// `Disk`; the simulator keeps state stores in a per-node temporary directory.

import { TransactionFlags, type Database, type RootDatabase } from 'lmdb';
import { statfsSync } from 'node:fs';
import { AssertionFailure, assert, assertInteger } from '../util/assert.js';
import { CairnError, CorruptionError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type {
  AppliedEntry,
  AppliedStateStore,
  KeyValue,
  RangeOptions,
  StateReadView,
  StateWriter,
} from './applied-state-store.js';
import { SnapshotEncoder, SnapshotParser, type SnapshotIdentity } from './snapshot-format.js';
import type { Keyring } from './sealing.js';
import { StateValueSealing } from './state-value-sealing.js';
import { openEnvironment } from './state-environment.js';

// The store's types are declared once, with the interface the state machine needs.
export type { AppliedEntry, KeyValue, RangeOptions, StateWriter } from './applied-state-store.js';

export interface StateStoreOptions {
  /** LMDB map size: the most the state may grow to (default 8 GiB of address space). */
  readonly mapSizeBytes?: number;
  /** Encryption at rest: values are sealed (keys stay plain); snapshot streams stay plain. */
  readonly sealing?: Keyring | undefined;
}

type Side = 'a' | 'b';

const abortableCommitFlags =
  TransactionFlags.ABORTABLE | TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH;
type BinaryDatabase = Database<Buffer, Buffer>;

export class StateStore implements AppliedStateStore {
  private side: Side;
  private installing = false;
  private applying = false;
  private sealing: StateValueSealing | undefined;
  private closed = false;

  private constructor(
    private readonly root: RootDatabase,
    private readonly meta: Database<number | string, string>,
    private readonly databases: Record<Side, BinaryDatabase>,
    readonly path: string,
  ) {
    const active = meta.get('active');
    this.side = active === 'b' ? 'b' : 'a';
  }

  static open(path: string, options: StateStoreOptions = {}): StateStore {
    const mapSize = options.mapSizeBytes ?? 8 * 1024 ** 3;
    const root = openEnvironment(path, mapSize);
    const meta = root.openDB<number | string, string>({ name: 'meta', encoding: 'msgpack' });
    const databases = {
      a: root.openDB<Buffer, Buffer>({
        name: 'state-a',
        encoding: 'binary',
        keyEncoding: 'binary',
      }),
      b: root.openDB<Buffer, Buffer>({
        name: 'state-b',
        encoding: 'binary',
        keyEncoding: 'binary',
      }),
    };
    const store = new StateStore(root, meta, databases, path);
    if (options.sealing !== undefined) store.sealing = new StateValueSealing(options.sealing);
    return store;
  }

  appliedIndex(): number {
    return Number(this.meta.get('appliedIndex') ?? 0);
  }

  appliedTerm(): number {
    return Number(this.meta.get('appliedTerm') ?? 0);
  }

  get(key: string): Uint8Array | undefined {
    return this.opened(key, this.active().get(encodeKey(key)));
  }

  rangeByPrefix(prefix: string, options: RangeOptions = {}): KeyValue[] {
    return this.openedRange(rangeOf(this.active(), prefix, options));
  }

  private opened(key: string, value: Buffer | undefined): Buffer | undefined {
    return value === undefined || this.sealing === undefined
      ? value
      : this.sealing.open(key, value);
  }

  private openedRange(pairs: KeyValue[]): KeyValue[] {
    const sealing = this.sealing;
    if (sealing === undefined) return pairs;
    return pairs.map(({ key, value }) => ({ key, value: sealing.open(key, value) }));
  }

  /**
   * Applies committed entries in order in one transaction, with the applied index and
   * term. Entries at or below the applied index are skipped. `apply` must be
   * synchronous and deterministic; if it throws, nothing of the batch is written.
   */
  async applyBatch<E extends AppliedEntry>(
    entries: readonly E[],
    apply: (entry: E, writer: StateWriter) => void,
  ): Promise<void> {
    assert(!this.installing && !this.applying, 'no apply during an install or another apply');
    const applied = this.appliedIndex();
    const fresh = entries.filter((entry) => entry.index > applied);
    if (fresh.length === 0) return;
    assert(
      fresh[0]!.index === applied + 1,
      `entries continue the applied index ${applied}, got ${fresh[0]!.index}`,
    );
    for (let i = 1; i < fresh.length; i++)
      assert(fresh[i]!.index === fresh[i - 1]!.index + 1, 'entries are contiguous');
    const writer = this.writerFor(this.active());
    this.applying = true;
    try {
      // transactionSync is the abortable kind in lmdb-js (an exception rolls the whole
      // batch back); NO_SYNC_FLUSH leaves the fsync to lmdb-js's own thread. It is not
      // awaited: the Raft log holds every committed entry durably, and the applied index
      // is written in the same transaction as the effects, so after a crash the node
      // re-applies from whatever applied index reached the disk. Whoever deletes log
      // entries (compaction) calls flush() first.
      this.root.transactionSync(() => {
        for (const entry of fresh) apply(entry, writer);
        const last = fresh[fresh.length - 1]!;
        this.meta.putSync('appliedIndex', last.index);
        this.meta.putSync('appliedTerm', last.term);
      }, abortableCommitFlags);
    } catch (error) {
      throw toStateError(error, this.path);
    } finally {
      this.applying = false;
    }
  }

  /** Resolves once every applied batch so far is on disk (fsynced). */
  async flush(): Promise<void> {
    try {
      await this.root.flushed;
    } catch (error) {
      throw toStateError(error, this.path);
    }
  }

  /** A consistent copy of the state with its applied index and term, in bounded pieces. */
  createSnapshot(pieceBytesMax: number = limits.raftSnapshotPieceBytesMax): {
    identity: SnapshotIdentity;
    pieces: AsyncGenerator<Uint8Array, void, undefined>;
  } {
    const transaction = this.root.useReadTransaction();
    const index = Number(this.meta.get('appliedIndex', { transaction }) ?? 0);
    const term = Number(this.meta.get('appliedTerm', { transaction }) ?? 0);
    const database = this.databases[this.meta.get('active', { transaction }) === 'b' ? 'b' : 'a'];
    const identity = { index, term };
    const sealing = this.sealing;
    async function* pieces(): AsyncGenerator<Uint8Array, void, undefined> {
      try {
        const encoder = new SnapshotEncoder(identity, pieceBytesMax);
        for (const { key, value } of database.getRange({ transaction })) {
          encoder.add(key, sealing === undefined ? value : sealing.open(key, value));
          for (const piece of encoder.takePieces()) yield piece;
        }
        for (const piece of encoder.finish()) yield piece;
      } finally {
        transaction.done();
      }
    }
    return { identity, pieces: pieces() };
  }

  /**
   * A consistent read of the state as it is now, held until `close` (one LMDB read
   * transaction: writes go on beside it). For backups; close it promptly.
   */
  openReadView(): StateReadView {
    const transaction = this.root.useReadTransaction();
    const appliedIndex = Number(this.meta.get('appliedIndex', { transaction }) ?? 0);
    const database = this.databases[this.meta.get('active', { transaction }) === 'b' ? 'b' : 'a'];
    let open = true;
    return {
      appliedIndex,
      get: (key) => {
        assert(open, 'a read view is used before it is closed');
        return database.get(encodeKey(key), { transaction });
      },
      rangeByPrefix: (prefix, options = {}) => {
        assert(open, 'a read view is used before it is closed');
        return rangeOf(database, prefix, options, transaction);
      },
      close: () => {
        if (open) transaction.done();
        open = false;
      },
    };
  }

  /**
   * Replaces the whole state with a snapshot stream. Verified end to end before it
   * takes effect; a bad stream throws CorruptionError and changes nothing.
   */
  async installSnapshot(
    pieces: AsyncIterable<Uint8Array>,
    name = 'stream',
  ): Promise<SnapshotIdentity> {
    assert(!this.installing && !this.applying, 'one install at a time, not during apply');
    this.installing = true;
    const targetSide: Side = this.side === 'a' ? 'b' : 'a';
    const target = this.databases[targetSide];
    try {
      await target.clearAsync();
      const identity = await loadInto(target, pieces, name, this.sealing);
      this.root.transactionSync(() => {
        this.meta.putSync('active', targetSide);
        this.meta.putSync('appliedIndex', identity.index);
        this.meta.putSync('appliedTerm', identity.term);
      }, abortableCommitFlags);
      await this.root.flushed;
      const previous = this.databases[this.side];
      this.side = targetSide;
      await previous.clearAsync();
      return identity;
    } catch (error) {
      await target.clearAsync().catch(() => undefined);
      throw toStateError(error, this.path);
    } finally {
      this.installing = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  private active(): BinaryDatabase {
    return this.databases[this.side];
  }

  private writerFor(database: BinaryDatabase): StateWriter {
    return {
      get: (key) => this.opened(key, database.get(encodeKey(key))),
      put: (key, value) => {
        if (value.length > limits.stateValueBytesMax)
          throw new LimitExceededError(
            'stateValueBytesMax',
            limits.stateValueBytesMax,
            value.length,
            'bytes',
          );
        database.putSync(
          encodeKey(key),
          this.sealing === undefined
            ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
            : this.sealing.seal(key, value),
        );
      },
      delete: (key) => database.removeSync(encodeKey(key)),
      rangeByPrefix: (prefix, options) =>
        this.openedRange(rangeOf(database, prefix, options ?? {})),
    };
  }
}

async function loadInto(
  target: BinaryDatabase,
  pieces: AsyncIterable<Uint8Array>,
  name: string,
  sealing: StateValueSealing | undefined,
): Promise<SnapshotIdentity> {
  const parser = new SnapshotParser(name);
  let identity: SnapshotIdentity | null = null;
  let previousKey: Buffer | null = null;
  for await (const piece of pieces) {
    let lastWrite: Promise<boolean> | null = null;
    for (const item of parser.push(piece)) {
      if (item.kind === 'header') {
        identity = item.identity;
        continue;
      }
      const key = Buffer.from(item.key);
      if (previousKey !== null && Buffer.compare(previousKey, key) >= 0) {
        throw new CorruptionError(`snapshot ${name}: keys out of order`, {
          file: name,
          offset: -1,
        });
      }
      previousKey = key;
      const value = Buffer.from(item.value);
      lastWrite = target.put(key, sealing === undefined ? value : sealing.seal(key, value));
    }
    // Bounded memory: at most one piece's records are waiting to be written.
    if (lastWrite !== null) await lastWrite;
  }
  parser.finish();
  assert(identity !== null, 'a complete snapshot has a header');
  return identity;
}

function rangeOf(
  database: BinaryDatabase,
  prefix: string,
  options: RangeOptions,
  transaction?: ReturnType<RootDatabase['useReadTransaction']>,
): KeyValue[] {
  const limit = options.limit ?? limits.listPageKeysMax;
  assertInteger(limit, 'range limit', 1, limits.listPageKeysMax);
  const prefixBytes = encodeKey(prefix);
  const afterInside = options.after !== undefined && options.after >= prefix;
  const start = afterInside ? encodeKey(options.after!) : prefixBytes;
  // LMDB has no empty key: an empty prefix scans from the first key.
  const bounds = start.length === 0 ? {} : { start, exclusiveStart: afterInside };
  const range = transaction === undefined ? bounds : { ...bounds, transaction };
  const result: KeyValue[] = [];
  for (const { key, value } of database.getRange(range)) {
    if (
      key.length < prefixBytes.length ||
      key.compare(prefixBytes, 0, prefixBytes.length, 0, prefixBytes.length) !== 0
    )
      break;
    result.push({ key: key.toString('utf8'), value });
    if (result.length >= limit) break;
  }
  return result;
}

function encodeKey(key: string): Buffer {
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > limits.stateKeyBytesMax)
    throw new LimitExceededError(
      'stateKeyBytesMax',
      limits.stateKeyBytesMax,
      bytes.length,
      'bytes',
    );
  return bytes;
}

/** Free bytes below which a failed LMDB write is attributed to a full disk. */
const diskFullFreeBytesMax = 4 * 1024 * 1024;

/**
 * LMDB reports a short write on a full disk as EIO ("Input/output error"), not ENOSPC.
 * So a failed write on a file system with (almost) no free space is DISK_FULL; other
 * failures are CAIRN_ERR_IO.
 */
function toStateError(error: unknown, path: string): unknown {
  if (error instanceof CairnError || error instanceof AssertionFailure) return error;
  const text = String((error as { message?: unknown })?.message ?? error);
  let freeBytes = Number.POSITIVE_INFINITY;
  try {
    const stats = statfsSync(path);
    freeBytes = stats.bavail * stats.bsize;
  } catch {
    // Unknown free space: fall through to the message.
  }
  if (
    text.includes('MDB_MAP_FULL') ||
    text.includes('ENOSPC') ||
    text.includes('No space') ||
    freeBytes < diskFullFreeBytesMax
  ) {
    return new CairnError(
      'CAIRN_ERR_DISK_FULL',
      `state store write failed, disk full (${freeBytes} bytes free): ${text}`,
      { cause: error, details: { path } },
    );
  }
  if (!(error instanceof Error) || text.includes('Input/output')) {
    return new CairnError('CAIRN_ERR_IO', `state store write failed: ${text}`, {
      cause: error,
      details: { path },
    });
  }
  return error;
}
