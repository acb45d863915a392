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

export interface GarbageCopy {
  /** Manifests referencing the chunk in this node's meta state. */
  readonly referenceCount: number;
  /** Age of the chunk file (now minus its modification time); undefined if it is gone. */
  readonly ageMilliseconds: number | undefined;
  readonly graceMilliseconds: number;
}

/** No manifest references the chunk here: only then is it garbage at all. */
export function chunkIsUnreferenced(copy: Pick<GarbageCopy, 'referenceCount'>): boolean {
  return copy.referenceCount === 0;
}

/**
 * An unreferenced copy may go once its file is older than the grace period: a put
 * stores chunks first and commits after, so a young unreferenced chunk may be in flight.
 */
export function garbageCopyMayBeRemoved(copy: GarbageCopy): boolean {
  return (
    chunkIsUnreferenced(copy) &&
    copy.ageMilliseconds !== undefined &&
    copy.ageMilliseconds >= copy.graceMilliseconds
  );
}
