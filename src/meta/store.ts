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

/**
 * In-memory sorted map. Writes apply immediately (no rollback): the state machine
 * decides everything before it writes, so a rejected command writes nothing.
 * Values are stored as given; callers must not mutate them afterwards.
 */
export class MemoryMetaStore implements MetaTransaction {
  private readonly values = new Map<string, Uint8Array>();
  /** Keys in ascending UTF-8 byte order. */
  private readonly sortedKeys: string[] = [];

  get size(): number {
    return this.sortedKeys.length;
  }

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  put(key: string, value: Uint8Array): void {
    assert(value instanceof Uint8Array, 'a value is bytes');
    assert(value.length <= limits.metaStoredValueBytesMax, 'a stored value within metaStoredValueBytesMax');
    if (!this.values.has(key)) {
      const position = this.lowerBound(key);
      this.sortedKeys.splice(position, 0, key);
    }
    this.values.set(key, value);
  }

  delete(key: string): void {
    if (!this.values.delete(key)) return;
    const position = this.lowerBound(key);
    assert(this.sortedKeys[position] === key, 'a deleted key is in the sorted index');
    this.sortedKeys.splice(position, 1);
  }

  rangeEntries(prefix: string, after: string | undefined, limit: number): MetaEntry[] {
    assertInteger(limit, 'range limit', 0, rangeEntriesMax);
    let position = this.lowerBound(prefix);
    if (after !== undefined && compareUtf8(after, prefix) >= 0) {
      position = this.lowerBound(after);
      if (this.sortedKeys[position] === after) position++;
    }
    const entries: MetaEntry[] = [];
    while (entries.length < limit && position < this.sortedKeys.length) {
      const key = this.sortedKeys[position] as string;
      if (!key.startsWith(prefix)) break;
      entries.push({ key, value: this.values.get(key) as Uint8Array });
      position++;
    }
    return entries;
  }

  /** Every entry in order, in pages (for snapshots and comparisons). */
  *entries(pageEntries = 1024): Generator<MetaEntry> {
    let after: string | undefined;
    for (let pages = 0; pages <= this.sortedKeys.length; pages++) {
      const page = this.rangeEntries('', after, pageEntries);
      yield* page;
      if (page.length < pageEntries) return;
      after = (page[page.length - 1] as MetaEntry).key;
    }
    assert(false, 'paging through the store terminates');
  }

  /** First position whose key is >= `key` (binary search, iterative). */
  private lowerBound(key: string): number {
    let low = 0;
    let high = this.sortedKeys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareUtf8(this.sortedKeys[middle] as string, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
