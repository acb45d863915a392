// What collectChunks does to the state. Deterministic: a chunk is taken only if nothing
// references it at this entry (current manifests and staged uploads under k/, retained
// revisions under h/k/); the leader's view when it proposed does not decide.

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import { readIdentity } from '../cluster/queries.js';
import type { ApplyContext } from '../family.js';
import { chunkRetainedReferenceCount } from '../queries.js';
import { encodeCounter } from '../record-format.js';
import { type MetaResult, notBootstrapped } from '../results.js';
import type { CollectChunksCommand } from './commands.js';
import {
  collectionKey,
  collectionPrefixOf,
  garbageKeys,
  parseCollectionKey,
  tombstoneKey,
} from './keys.js';
import { chunkTombstoneIndex, readGarbageState } from './queries.js';
import { encodeGarbageState, type GarbageState } from './records.js';

export function applyCollect(context: ApplyContext, command: CollectChunksCommand): MetaResult {
  const { transaction, index } = context;
  if (readIdentity(transaction) === undefined) return notBootstrapped();
  let taken = 0;
  for (const sha256 of command.sha256s) {
    if (chunkRetainedReferenceCount(transaction, sha256) > 0) continue; // referenced again
    transaction.put(tombstoneKey(sha256), encodeCounter(index));
    transaction.put(collectionKey(index, sha256), new Uint8Array(0));
    taken++;
  }
  const before = readGarbageState(transaction);
  const current = { type: 'ok', version: context.revision - 1 } as const; // nothing reported
  if (taken === 0) return current;
  assert(index > before.lastCollectionIndex, 'collections apply in index order');
  let state: GarbageState = {
    ...before,
    lastCollectionIndex: index,
    collectionsRetained: before.collectionsRetained + 1,
  };
  if (state.collectionsRetained > limits.garbageCollectionsRetainedMax)
    state = dropOldestCollection(context, state);
  transaction.put(garbageKeys.state, encodeGarbageState(state));
  return current;
}

/** Forgets the oldest collection's tombstones: writes that began before it are refused. */
function dropOldestCollection(context: ApplyContext, state: GarbageState): GarbageState {
  const { transaction } = context;
  const first = transaction.rangeEntries(garbageKeys.collectionPrefix, undefined, 1)[0];
  assert(first !== undefined, 'a retained collection has its chunks');
  const oldest = parseCollectionKey(first.key).index;
  assert(oldest < context.index, 'the oldest collection is not this one');
  const pageMax = limits.garbageCollectChunksPerEntryMax;
  const entries = transaction.rangeEntries(collectionPrefixOf(oldest), undefined, pageMax + 1);
  assert(entries.length <= pageMax, 'one collection holds at most a page of chunks');
  for (const entry of entries) {
    const { sha256 } = parseCollectionKey(entry.key);
    transaction.delete(entry.key);
    if (chunkTombstoneIndex(transaction, sha256) === oldest)
      transaction.delete(tombstoneKey(sha256));
  }
  return {
    ...state,
    collectionsRetained: state.collectionsRetained - 1,
    droppedThroughIndex: oldest,
  };
}
