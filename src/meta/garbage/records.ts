// The garbage family's stored record: g/state.

import { readBoundedVarint } from '../codec.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from '../record-format.js';

export interface GarbageState {
  /** The Raft index of the last collection that took at least one chunk (0: none yet). */
  readonly lastCollectionIndex: number;
  /** Collections whose tombstones are kept (at most garbageCollectionsRetainedMax). */
  readonly collectionsRetained: number;
  /** Tombstones of collections at or below this index were dropped: an older write is refused. */
  readonly droppedThroughIndex: number;
}

export const emptyGarbageState: GarbageState = {
  lastCollectionIndex: 0,
  collectionsRetained: 0,
  droppedThroughIndex: 0,
};

const what = 'garbage state record';

export function encodeGarbageState(state: GarbageState): Uint8Array {
  const out = recordWriter(32);
  out.writeVarint(state.lastCollectionIndex);
  out.writeVarint(state.collectionsRetained);
  out.writeVarint(state.droppedThroughIndex);
  return finishRecord(out);
}

export function decodeGarbageState(bytes: Uint8Array): GarbageState {
  const input = recordReader(bytes, what);
  const lastCollectionIndex = readBoundedVarint(input, what, 'last', 0, safeIntegerMax);
  const collectionsRetained = readBoundedVarint(input, what, 'retained', 0, safeIntegerMax);
  const droppedThroughIndex = readBoundedVarint(input, what, 'dropped', 0, safeIntegerMax);
  input.expectEnd();
  return { lastCollectionIndex, collectionsRetained, droppedThroughIndex };
}
