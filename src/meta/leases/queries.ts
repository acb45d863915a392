// Reads of the leases family.

import { limits } from '../../util/limits.js';
import type { MetaReader } from '../store.js';
import { decodeCounter } from '../record-format.js';
import {
  leaseCountKey,
  leaseIdOfKey,
  leaseKey,
  leaseKeys,
  leaseObjectKey,
  objectLeaseKey,
} from './keys.js';
import { decodeLease, type LeaseRecord } from './records.js';

export interface LeaseInfo extends LeaseRecord {
  readonly id: number;
}

export function readLease(reader: MetaReader, id: number): LeaseRecord | undefined {
  const bytes = reader.get(leaseKey(id));
  return bytes === undefined ? undefined : decodeLease(bytes);
}

/** Leases in id order after `afterId`, at most `limit` (bounded by leasesMax). */
export function listLeases(reader: MetaReader, afterId = 0, limit = limits.leasesMax): LeaseInfo[] {
  const after = afterId === 0 ? undefined : leaseKey(afterId);
  const entries = reader.rangeEntries(
    leaseKeys.leasePrefix,
    after,
    Math.min(limit, limits.leasesMax),
  );
  const leases: LeaseInfo[] = [];
  for (const entry of entries) {
    const id = leaseIdOfKey(entry.key);
    if (id === undefined) continue;
    leases.push({ id, ...decodeLease(entry.value) });
  }
  return leases;
}

export function countLeases(reader: MetaReader): number {
  const bytes = reader.get(leaseCountKey);
  return bytes === undefined ? 0 : decodeCounter(bytes, 'lease count');
}

/**
 * The lease the object `key` at `version` is attached to: the one it was last put with,
 * while that put is its current version (a later put without the lease detaches it,
 * and the lease's end no longer deletes it). Null when none.
 */
export function attachedLease(reader: MetaReader, key: string, version: number): number | null {
  const named = reader.get(objectLeaseKey(key));
  if (named === undefined) return null;
  const id = decodeCounter(named, 'object lease');
  const attached = reader.get(leaseObjectKey(id, key));
  if (attached === undefined) return null;
  return decodeCounter(attached, 'lease object version') === version ? id : null;
}
