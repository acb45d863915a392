// The objects family's keys:
//   c/objects         object count and bytes
//   o/<object key>    object metadata: version, created revision, size, SHA-256, chunks
//   v/<object key>    inline object bytes (apart from o/ so listing never reads values)
//   k/<chunk sha256>  reference count of a chunk (absent = unreferenced)
//   q/<request id>    the result of an object command, for retries (deduplication)
//   x/<index, 16 hex>/<request id>  a request id applied at that Raft index (expiry
//                     order of q/; one entry may apply several, in a batch)

import { fixedWidthHex } from '../keys.js';

export const objectKeys = {
  statistics: 'c/objects',
  objectPrefix: 'o/',
  inlineValuePrefix: 'v/',
  chunkReferencePrefix: 'k/',
  requestPrefix: 'q/',
  requestExpiryPrefix: 'x/',
} as const;

export const objectKey = (key: string): string => objectKeys.objectPrefix + key;
export const inlineValueKey = (key: string): string => objectKeys.inlineValuePrefix + key;
export const chunkReferenceKey = (sha256: string): string =>
  objectKeys.chunkReferencePrefix + sha256;
export const requestKey = (requestId: string): string => objectKeys.requestPrefix + requestId;
export const requestExpiryKey = (index: number, requestId: string): string =>
  `${objectKeys.requestExpiryPrefix}${fixedWidthHex(index)}/${requestId}`;

/** The Raft index of a request expiry key. */
export function requestExpiryIndex(key: string): number {
  const start = objectKeys.requestExpiryPrefix.length;
  return parseInt(key.slice(start, start + 16), 16);
}
