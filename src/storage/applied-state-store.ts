// What a state machine needs from the store it applies committed entries to: atomic
// batches with the applied index, reads, a durability barrier and snapshots. The LMDB
// store (state-store.ts) provides it in production; MemoryStateStore
// (memory-state-store.ts) provides it to the simulator, which cannot run LMDB on its
// simulated disk, with the same crash semantics: applies not yet flushed may be lost.

import type { SnapshotIdentity } from './snapshot-format.js';

export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
}

export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
}

export interface RangeOptions {
  /** Start after this key (exclusive), for pagination. */
  readonly after?: string;
  /** At most this many results (default and maximum limits.listPageKeysMax). */
  readonly limit?: number;
}

/** What `applyBatch`'s function may do; everything lands in the batch's transaction. */
export interface StateWriter {
  get(key: string): Uint8Array | undefined;
  put(key: string, value: Uint8Array): void;
  delete(key: string): boolean;
  rangeByPrefix(prefix: string, options?: RangeOptions): KeyValue[];
}

/** A consistent read of the state at one applied index, until closed. */
export interface StateReadView {
  readonly appliedIndex: number;
  get(key: string): Uint8Array | undefined;
  rangeByPrefix(prefix: string, options?: RangeOptions): KeyValue[];
  close(): void;
}

export interface AppliedStateStore {
  appliedIndex(): number;
  appliedTerm(): number;
  get(key: string): Uint8Array | undefined;
  rangeByPrefix(prefix: string, options?: RangeOptions): KeyValue[];
  /**
   * Applies committed entries in order in one transaction, with the applied index and
   * term. Entries at or below the applied index are skipped. `apply` must be
   * synchronous and deterministic; if it throws, nothing of the batch is written.
   * Not durable until `flush`: a crash may lose the latest batches (never a part of
   * one, never an earlier one while keeping a later one).
   */
  applyBatch<E extends AppliedEntry>(
    entries: readonly E[],
    apply: (entry: E, writer: StateWriter) => void,
  ): Promise<void>;
  /** Resolves once every applied batch so far is durable. */
  flush(): Promise<void>;
  /** A consistent copy of the state with its applied index and term, in bounded pieces. */
  createSnapshot(pieceBytesMax?: number): {
    identity: SnapshotIdentity;
    pieces: AsyncGenerator<Uint8Array, void, undefined>;
  };
  /** Replaces the whole state with a verified snapshot stream; durable when it resolves. */
  installSnapshot(pieces: AsyncIterable<Uint8Array>, name?: string): Promise<SnapshotIdentity>;
  /** A consistent read held open (LMDB only: the simulator's store has none). */
  openReadView?(): StateReadView;
  close(): Promise<void>;
}
