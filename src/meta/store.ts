// The storage the meta state machine runs on: a sorted key-value map read and written
// inside one transaction per applied batch. The LMDB state store (src/storage) and
// MemoryMetaStore (tests, simulator) both provide it. Keys order by UTF-8 bytes.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { compareUtf8 } from './keys.js';

export interface MetaReader {
  get(key: string): Uint8Array | undefined;
  /**
   * Up to `limit` entries whose key starts with `prefix` and sorts after `after`
   * (all of the prefix when undefined), in ascending UTF-8 byte order of the key.
   */
  rangeEntries(prefix: string, after: string | undefined, limit: number): MetaEntry[];
}

export interface MetaTransaction extends MetaReader {
  put(key: string, value: Uint8Array): void;
  delete(key: string): void;
}

export interface MetaEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

/** Upper bound of one range call, so no caller can ask for an unbounded scan. */
export const rangeEntriesMax = 100_000;

/** Keys per block of the sorted index by default: inserts and deletes move at most this many. */
const blockKeysMaxDefault = 512;

/**
 * In-memory sorted map. Writes apply immediately (no rollback): the state machine
 * decides everything before it writes, so a rejected command writes nothing.
 * Values are stored as given; callers must not mutate them afterwards.
 * The key order lives in blocks of at most `blockKeysMax` sorted keys (a one-level
 * B-tree), so a write costs O(log n + blockKeysMax), not O(n).
 */
export class MemoryMetaStore implements MetaTransaction {
  private readonly values = new Map<string, Uint8Array>();
  /** Non-empty blocks; keys ascend in UTF-8 byte order within and across blocks. */
  private readonly blocks: string[][] = [];

  /** `blockKeysMax` is a tuning knob; tests make it small to exercise block splits. */
  constructor(private readonly blockKeysMax: number = blockKeysMaxDefault) {
    assertInteger(blockKeysMax, 'blockKeysMax', 2, 1 << 16);
    assert(blockKeysMax % 2 === 0, 'blockKeysMax is even (a full block splits in halves)');
  }

  get size(): number {
    return this.values.size;
  }

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  put(key: string, value: Uint8Array): void {
    assert(value instanceof Uint8Array, 'a value is bytes');
    assert(
      value.length <= limits.metaStoredValueBytesMax,
      'a stored value within metaStoredValueBytesMax',
    );
    if (!this.values.has(key)) this.insertKey(key);
    this.values.set(key, value);
  }

  delete(key: string): void {
    if (!this.values.delete(key)) return;
    const blockIndex = this.blockFor(key);
    const block = this.blocks[blockIndex] as string[];
    const position = lowerBound(block, key);
    assert(block[position] === key, 'a deleted key is in the sorted index');
    block.splice(position, 1);
    if (block.length === 0) this.blocks.splice(blockIndex, 1);
  }

  rangeEntries(prefix: string, after: string | undefined, limit: number): MetaEntry[] {
    assertInteger(limit, 'range limit', 0, rangeEntriesMax);
    const start = after !== undefined && compareUtf8(after, prefix) >= 0 ? after : prefix;
    let blockIndex = this.blockFor(start);
    let position =
      blockIndex < this.blocks.length ? lowerBound(this.blocks[blockIndex] as string[], start) : 0;
    const entries: MetaEntry[] = [];
    while (entries.length < limit && blockIndex < this.blocks.length) {
      const block = this.blocks[blockIndex] as string[];
      if (position >= block.length) {
        blockIndex++;
        position = 0;
        continue;
      }
      const key = block[position] as string;
      position++;
      if (key === after) continue;
      if (!key.startsWith(prefix)) break;
      entries.push({ key, value: this.values.get(key) as Uint8Array });
    }
    return entries;
  }

  /** Every entry in order, in pages (for snapshots and comparisons). */
  *entries(pageEntries = 1024): Generator<MetaEntry> {
    let after: string | undefined;
    for (let pages = 0; pages <= this.values.size; pages++) {
      const page = this.rangeEntries('', after, pageEntries);
      yield* page;
      if (page.length < pageEntries) return;
      after = (page[page.length - 1] as MetaEntry).key;
    }
    assert(false, 'paging through the store terminates');
  }

  private insertKey(key: string): void {
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      return;
    }
    const blockIndex = this.blockFor(key);
    const block = this.blocks[blockIndex] as string[];
    block.splice(lowerBound(block, key), 0, key);
    if (block.length > this.blockKeysMax)
      this.blocks.splice(blockIndex + 1, 0, block.splice(this.blockKeysMax / 2));
  }

  /** The block that holds `key` or would: the last block whose first key is <= key (0 if none). */
  private blockFor(key: string): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareUtf8((this.blocks[middle] as string[])[0] as string, key) <= 0) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : low - 1;
  }
}

/** First position in sorted `keys` whose key is >= `key` (binary search, iterative). */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareUtf8(keys[middle] as string, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Writes held in memory over another transaction until `commit()`: reads see them,
 * the target sees nothing before commit, and a discarded buffer leaves the target as
 * it was. Every family of one entry writes through the same buffer, so an entry's
 * changes to several families reach the store together or not at all.
 */
export class BufferedTransaction implements MetaTransaction {
  /** A buffered value, or null for a buffered delete. */
  private readonly writes = new Map<string, Uint8Array | null>();
  private committed = false;

  constructor(private readonly target: MetaTransaction | MetaReader) {}

  get writeCount(): number {
    return this.writes.size;
  }

  get(key: string): Uint8Array | undefined {
    const buffered = this.writes.get(key);
    if (buffered === null) return undefined;
    return buffered ?? this.target.get(key);
  }

  put(key: string, value: Uint8Array): void {
    assert(!this.committed, 'no write after commit');
    assert(value instanceof Uint8Array, 'a value is bytes');
    assert(
      value.length <= limits.metaStoredValueBytesMax,
      'a stored value within metaStoredValueBytesMax',
    );
    this.writes.set(key, value);
  }

  delete(key: string): void {
    assert(!this.committed, 'no write after commit');
    this.writes.set(key, null);
  }

  rangeEntries(prefix: string, after: string | undefined, limit: number): MetaEntry[] {
    assertInteger(limit, 'range limit', 0, rangeEntriesMax);
    const isAfterStart = (key: string): boolean =>
      key.startsWith(prefix) && (after === undefined || compareUtf8(key, after) > 0);
    const buffered = [...this.writes.keys()].filter(isAfterStart).sort(compareUtf8);
    // The target's page may lose up to one entry per buffered key (deleted or replaced),
    // so a page cut short still holds `limit` survivors before its last key.
    const fetchLimit = limit + buffered.length;
    assert(fetchLimit <= rangeEntriesMax, 'a buffered range within rangeEntriesMax');
    const stored = this.target.rangeEntries(prefix, after, fetchLimit);
    const merged: MetaEntry[] = [];
    let storedAt = 0;
    let bufferedAt = 0;
    const stepsMax = stored.length + buffered.length + 1;
    for (let steps = 0; steps < stepsMax && merged.length < limit; steps++) {
      const storedKey = stored[storedAt]?.key;
      const bufferedKey = buffered[bufferedAt];
      if (storedKey === undefined && bufferedKey === undefined) break;
      const order =
        storedKey === undefined
          ? 1
          : bufferedKey === undefined
            ? -1
            : compareUtf8(storedKey, bufferedKey);
      if (order < 0) {
        merged.push(stored[storedAt] as MetaEntry);
        storedAt++;
        continue;
      }
      if (order === 0) storedAt++; // the buffered write replaces the stored entry
      const value = this.writes.get(bufferedKey as string);
      bufferedAt++;
      if (value !== null && value !== undefined) merged.push({ key: bufferedKey as string, value });
    }
    return merged;
  }

  /** Writes every buffered change to the target, in the order first written (deterministic). */
  commit(): void {
    assert(!this.committed, 'a buffer commits once');
    assert('put' in this.target, 'a buffer over a read-only view is never committed');
    this.committed = true;
    const target = this.target as MetaTransaction;
    for (const [key, value] of this.writes) {
      if (value === null) target.delete(key);
      else target.put(key, value);
    }
  }
}
