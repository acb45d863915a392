// The garbage family's keys (issue 13: garbage reclaimed on evidence):
//   g/state                      last collection's index, collections retained, and the
//                                index through which tombstones were dropped
//   g/c/<chunk sha256>           the Raft index of the last collection that took the chunk
//   g/i/<index, 16 hex>/<sha256> the chunks one collection took, in index order (what
//                                every node deletes once it applied that collection)

import { fixedWidthHex } from '../keys.js';

export const garbageKeys = {
  state: 'g/state',
  tombstonePrefix: 'g/c/',
  collectionPrefix: 'g/i/',
} as const;

export const tombstoneKey = (sha256: string): string => garbageKeys.tombstonePrefix + sha256;
export const collectionPrefixOf = (index: number): string =>
  `${garbageKeys.collectionPrefix}${fixedWidthHex(index)}/`;
export const collectionKey = (index: number, sha256: string): string =>
  collectionPrefixOf(index) + sha256;

/** The index and chunk of a g/i/ key. */
export function parseCollectionKey(key: string): { index: number; sha256: string } {
  const start = garbageKeys.collectionPrefix.length;
  return { index: parseInt(key.slice(start, start + 16), 16), sha256: key.slice(start + 17) };
}
