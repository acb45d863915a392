// Reads that span families. Each family's own queries live in its folder
// (cluster/queries.ts, objects/queries.ts); src/meta/index.ts exports them all.

import { readIdentity, readMembers, readRingState } from './cluster/queries.js';
import type { ClusterIdentity, RingState } from './cluster/records.js';
import { historyChunkReferenceCount } from './events/queries.js';
import { chunkReferenceCount } from './objects/queries.js';
import { type MetaProgress, readProgress } from './progress.js';
import type { MetaReader } from './store.js';

export interface ClusterInfo {
  readonly identity: ClusterIdentity | undefined;
  readonly progress: MetaProgress;
  readonly ring: RingState | undefined;
  readonly memberCount: number;
}

export function clusterInfo(reader: MetaReader): ClusterInfo {
  return {
    identity: readIdentity(reader),
    progress: readProgress(reader),
    ring: readRingState(reader),
    memberCount: readMembers(reader).length,
  };
}

/**
 * References to a chunk from current manifests and from replaced manifests the history
 * retains: garbage collection keeps the chunk while this is above 0, so a listing or a
 * backup at a retained revision can still read its objects.
 */
export function chunkRetainedReferenceCount(reader: MetaReader, sha256: string): number {
  return chunkReferenceCount(reader, sha256) + historyChunkReferenceCount(reader, sha256);
}
