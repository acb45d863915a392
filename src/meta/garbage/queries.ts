// Reads of the garbage family, and the rule a chunked write's commit must pass.

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import { decodeCounter } from '../record-format.js';
import type { MetaReader } from '../store.js';
import { collectionPrefixOf, garbageKeys, parseCollectionKey, tombstoneKey } from './keys.js';
import { decodeGarbageState, emptyGarbageState, type GarbageState } from './records.js';

export function readGarbageState(reader: MetaReader): GarbageState {
  const stored = reader.get(garbageKeys.state);
  return stored === undefined ? emptyGarbageState : decodeGarbageState(stored);
}

/** The index of the last retained collection that took the chunk, or undefined. */
export function chunkTombstoneIndex(reader: MetaReader, sha256: string): number | undefined {
  const stored = reader.get(tombstoneKey(sha256));
  return stored === undefined ? undefined : decodeCounter(stored, 'chunk tombstone');
}

/** Marks a refusal of this rule in a result's message (the service answers it retryable). */
export const chunksCollectedMessagePrefix = 'chunks collected while the write was in flight';

/**
 * The garbage rule of a commit that references chunks it wrote: a write that began at
 * Raft index `writeStartIndex` (the index its node had applied before it stored the
 * first chunk) may commit only if no collection after that index took one of its
 * chunks, and only while the tombstones since then are all retained. A refused write
 * is retryable: its client writes the chunks again and the new start is past the
 * collection. Undefined when the commit may go on.
 */
export function chunksCollectedProblem(
  reader: MetaReader,
  chunks: readonly { readonly sha256: string }[],
  writeStartIndex: number,
): string | undefined {
  const state = readGarbageState(reader);
  if (writeStartIndex < state.droppedThroughIndex)
    return `${chunksCollectedMessagePrefix}: the write began at index ${writeStartIndex}, before the retained collections (tombstones through index ${state.droppedThroughIndex} were dropped, garbageCollectionsRetainedMax); write it again`;
  if (state.lastCollectionIndex <= writeStartIndex) return undefined; // nothing collected since
  for (const chunk of chunks) {
    const collectedAt = chunkTombstoneIndex(reader, chunk.sha256);
    if (collectedAt !== undefined && collectedAt > writeStartIndex)
      return `${chunksCollectedMessagePrefix}: chunk ${chunk.sha256} was collected at index ${collectedAt}, after the write began at index ${writeStartIndex}; write it again`;
  }
  return undefined;
}

/** The chunks one collection took, as a node deleting its copies reads them. */
export interface Collection {
  readonly index: number;
  readonly sha256s: readonly string[];
}

/**
 * The first retained collection above `afterIndex` and at or below `throughIndex`, whole
 * (one collection holds at most garbageCollectChunksPerEntryMax chunks), or undefined.
 */
export function nextCollection(
  reader: MetaReader,
  afterIndex: number,
  throughIndex: number,
): Collection | undefined {
  const after = `${collectionPrefixOf(afterIndex)}~`; // past every chunk of afterIndex
  const first = reader.rangeEntries(garbageKeys.collectionPrefix, after, 1)[0];
  if (first === undefined) return undefined;
  const { index } = parseCollectionKey(first.key);
  assert(index > afterIndex, 'the next collection is past the index asked for');
  if (index > throughIndex) return undefined;
  const pageMax = limits.garbageCollectChunksPerEntryMax;
  const entries = reader.rangeEntries(collectionPrefixOf(index), undefined, pageMax + 1);
  assert(entries.length >= 1 && entries.length <= pageMax, 'a collection holds 1 to a page');
  return { index, sha256s: entries.map((entry) => parseCollectionKey(entry.key).sha256) };
}
