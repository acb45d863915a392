// The leases family's keys:
//   l/<lease id, 16 hex>  a lease: TTL, the index of its last grant or keepalive, and its
//                         remaining time as of the entry that last set it (a checkpoint)
//   l/count               how many leases exist (bounded by leasesMax)
//   l/a/<lease id>/<key>  an object put with the lease (its version then): deleted with it
//   l/k/<key>             the lease an object was last put with (a txn's lease compare)

import { fixedWidthHex, parseFixedWidthHex } from '../keys.js';

export const leaseKeys = { leasePrefix: 'l/' } as const;

/** How many leases exist (sorted after every lease key: ids start with 0). */
export const leaseCountKey = 'l/count';

export const leaseKey = (id: number): string => leaseKeys.leasePrefix + fixedWidthHex(id);

/** Objects put with a lease: l/a/<lease id>/<object key> = the object's version then. */
export const leaseObjectPrefix = 'l/a/';
export const leaseObjectsPrefix = (id: number): string =>
  `${leaseObjectPrefix}${fixedWidthHex(id)}/`;
export const leaseObjectKey = (id: number, key: string): string => leaseObjectsPrefix(id) + key;

/** l/k/<object key> = the id of the lease the object was last put with. */
export const objectLeasePrefix = 'l/k/';
export const objectLeaseKey = (key: string): string => objectLeasePrefix + key;

/** The lease id of a lease key, or undefined for any other key. */
export function leaseIdOfKey(key: string): number | undefined {
  if (!key.startsWith(leaseKeys.leasePrefix)) return undefined;
  return parseFixedWidthHex(key.slice(leaseKeys.leasePrefix.length));
}
