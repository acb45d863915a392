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
