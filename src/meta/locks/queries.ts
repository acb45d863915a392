// Reads of the locks family.

import type { MetaReader } from '../store.js';
import { lockKey } from './keys.js';
import { decodeLock, type LockRecord } from './records.js';

export function readLock(reader: MetaReader, name: string): LockRecord | undefined {
  const bytes = reader.get(lockKey(name));
  return bytes === undefined ? undefined : decodeLock(bytes);
}

/** Locks (with holders or waiters) named `prefix`..., after `after`, in name order. */
export function listLocks(
  reader: MetaReader,
  prefix: string,
  after: string,
  limit: number,
): { name: string; record: LockRecord }[] {
  const start = after === '' ? undefined : lockKey(after);
  return reader.rangeEntries(lockKey(prefix), start, limit).map((entry) => ({
    name: entry.key.slice(lockKey('').length),
    record: decodeLock(entry.value),
  }));
}

/** Where `owner` stands in the lock: its token when holding, its place in the queue when waiting. */
export function lockStanding(
  reader: MetaReader,
  name: string,
  owner: string,
): { held: true; token: number } | { held: false; position: number } | undefined {
  const record = readLock(reader, name);
  if (record === undefined) return undefined;
  const holder = record.holders.find((entry) => entry.owner === owner);
  if (holder !== undefined) return { held: true, token: holder.token };
  const position = record.waiters.findIndex((entry) => entry.owner === owner);
  return position < 0 ? undefined : { held: false, position: position + 1 };
}
