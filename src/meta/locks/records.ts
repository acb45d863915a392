// The locks family's record: one per lock name, its holders and its waiters (FIFO).

import { limits } from '../../util/limits.js';
import { readBoundedString, readBoundedVarint, readTag } from '../codec.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from '../record-format.js';

/** exclusive: one holder; shared: readers together, a writer alone; semaphore: N holders. */
export type LockMode = 'exclusive' | 'shared' | 'semaphore';

export interface LockEntry {
  /** Who asked (the acquire's request id): a retry of the same request is the same entry. */
  readonly owner: string;
  readonly leaseId: number;
  readonly mode: LockMode;
  /** A holder's fencing token: the revision that granted it (0 while waiting). */
  readonly token: number;
}

export interface LockRecord {
  /** N for a semaphore lock, 0 otherwise. */
  readonly semaphoreLimit: number;
  readonly holders: readonly LockEntry[];
  readonly waiters: readonly LockEntry[];
}

export const modeTags: Record<LockMode, number> = { exclusive: 1, shared: 2, semaphore: 3 };
const modesByTag: readonly LockMode[] = ['exclusive', 'exclusive', 'shared', 'semaphore'];

export function encodeLock(record: LockRecord): Uint8Array {
  const out = recordWriter(32 + (record.holders.length + record.waiters.length) * 96);
  out.writeVarint(record.semaphoreLimit);
  for (const list of [record.holders, record.waiters]) {
    out.writeVarint(list.length);
    for (const entry of list) {
      out.writeString(entry.owner);
      out.writeVarint(entry.leaseId);
      out.writeUint8(modeTags[entry.mode]);
      out.writeVarint(entry.token);
    }
  }
  return finishRecord(out);
}

export function decodeLock(bytes: Uint8Array): LockRecord {
  const what = 'lock record';
  const input = recordReader(bytes, what);
  const semaphoreLimit = readBoundedVarint(input, what, 'semaphoreLimit', 0, limits.lockHoldersMax);
  const lists: LockEntry[][] = [[], []];
  for (const list of lists) {
    const count = readBoundedVarint(input, what, 'entry count', 0, limits.lockEntriesMax);
    for (let index = 0; index < count; index++) {
      const owner = readBoundedString(input, what, 'owner', limits.metaRequestIdBytesMax);
      const leaseId = readBoundedVarint(input, what, 'leaseId', 1, safeIntegerMax);
      const mode = modesByTag[readTag(input, what, 'mode', modeTags.semaphore)] as LockMode;
      const token = readBoundedVarint(input, what, 'token', 0, safeIntegerMax);
      list.push({ owner, leaseId, mode, token });
    }
  }
  input.expectEnd();
  return { semaphoreLimit, holders: lists[0] as LockEntry[], waiters: lists[1] as LockEntry[] };
}
