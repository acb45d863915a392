// The rules that let a node delete a copy of a chunk, as named pure predicates. The
// leader proposes removals; the node holding the copy checks these again before it
// deletes anything, so a stale or wrong leader cannot make it drop a needed copy.

/** What a surplus check needs of the placement: the rings reads still use. */
export interface PlacementRings {
  readonly rings: readonly { replicasFor(sha256: string): readonly string[] }[];
}

/** While an epoch migrates two rings are read from: nothing is surplus until it settles. */
export function placementIsSettled(placement: PlacementRings): boolean {
  return placement.rings.length === 1;
}

/** The node is one of the chunk's replicas in some ring still in use. */
export function nodeIsReplica(placement: PlacementRings, nodeId: string, sha256: string): boolean {
  return placement.rings.some((ring) => ring.replicasFor(sha256).includes(nodeId));
}

/**
 * A surplus copy (the leader saw every target replica holding the chunk) may go only
 * when the placement is settled and this node is not one of the chunk's replicas.
 */
export function surplusCopyMayBeRemoved(
  placement: PlacementRings,
  nodeId: string,
  sha256: string,
): boolean {
  return placementIsSettled(placement) && !nodeIsReplica(placement, nodeId, sha256);
}

/** A copy of a chunk some collection took (src/meta/garbage), as its node sees it. */
export interface CollectedCopy {
  /** References to the chunk in this node's meta state (k/ and h/k/). */
  readonly referenceCount: number;
  /** The Raft index of the collection that took it. */
  readonly collectionIndex: number;
  /** The last collection this node applied. */
  readonly appliedCollectionIndex: number;
}

/** No manifest, staged upload or retained revision references the chunk here. */
export function chunkIsUnreferenced(copy: Pick<CollectedCopy, 'referenceCount'>): boolean {
  return copy.referenceCount === 0;
}

/**
 * A collected copy may go once the node applied the collection and nothing references
 * the chunk in its state (a put begun after the collection may have referenced it again).
 * No clock: a put still in flight is refused at its commit instead.
 */
export function collectedCopyMayBeRemoved(copy: CollectedCopy): boolean {
  return copy.collectionIndex <= copy.appliedCollectionIndex && chunkIsUnreferenced(copy);
}

/**
 * A chunk write may be stored once the node deleted the chunks of every collection its
 * writer had applied and of every one it applied itself: no later deletion of an
 * earlier collection can then remove the copy of a put the commit check lets through.
 */
export function chunkWriteMayBeStored(write: {
  readonly writerCollectionIndex: number;
  readonly appliedCollectionIndex: number;
  readonly reclaimedThroughIndex: number;
}): boolean {
  return (
    write.reclaimedThroughIndex >= write.writerCollectionIndex &&
    write.reclaimedThroughIndex >= write.appliedCollectionIndex
  );
}
