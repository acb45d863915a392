// The one planner behind rebalance, repair and dead-node re-replication. Pure: given
// the referenced chunks, the ring data should follow and what each member holds (its
// inventory), it says which copies to make and which copies are surplus.
//
// Why one planner: a join, a leave, a dead node and a rotten copy all look the same
// from here — a chunk whose target replicas do not all hold a good copy. Planning from
// real inventories (not from the ring diff alone) makes a pass idempotent: after a
// crash the next pass skips the copies already in place and only does what is left.

import type { Ring } from '../../placement/index.js';
import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';

export interface ChunkReference {
  readonly sha256: string;
  readonly bytes: number;
}

export interface MemberInventory {
  readonly memberId: string;
  /** False when the member did not answer: it holds nothing we can use and takes no copies. */
  readonly reachable: boolean;
  /** Used fraction of the member's data file system, 0..1 (statfs). */
  readonly fillRatio: number;
  readonly chunks: ReadonlySet<string>;
}

export interface CopyTask {
  readonly sha256: string;
  readonly bytes: number;
  readonly targetId: string;
  /** Reachable members holding a copy, in the order to try them. */
  readonly sourceIds: readonly string[];
}

export interface SurplusCopy {
  readonly sha256: string;
  readonly memberId: string;
}

export interface RefusedTarget {
  readonly memberId: string;
  readonly reason: string;
  readonly chunks: number;
  readonly bytes: number;
}

export interface ReconcilePlan {
  readonly chunksExamined: number;
  readonly bytesExamined: number;
  readonly copies: CopyTask[];
  readonly copyBytes: number;
  /** Copies the plan cannot make: the target is full or unreachable. */
  readonly refused: RefusedTarget[];
  /** Chunks no reachable member holds: lost unless a member comes back. */
  readonly lostChunks: string[];
  readonly lostChunkCount: number;
  /** Copies outside the target placement of chunks whose every target holds a copy. */
  readonly surplus: SurplusCopy[];
}

export interface ReconcileInput {
  readonly chunks: Iterable<ChunkReference>;
  readonly ring: Ring;
  readonly inventories: readonly MemberInventory[];
  readonly fillRatioMax: number;
}

/** Plans one pass. Deterministic: same input, same plan. */
export function planReconcile(input: ReconcileInput): ReconcilePlan {
  assert(input.fillRatioMax > 0 && input.fillRatioMax <= 1, 'fill ratio threshold in (0, 1]');
  const byMember = new Map(input.inventories.map((inventory) => [inventory.memberId, inventory]));
  assert(byMember.size === input.inventories.length, 'one inventory per member');
  const refused = new Map<string, RefusedTarget>();
  const copies: CopyTask[] = [];
  const surplus: SurplusCopy[] = [];
  const lostChunks: string[] = [];
  let lostChunkCount = 0;
  let chunksExamined = 0;
  let bytesExamined = 0;
  let copyBytes = 0;
  for (const chunk of input.chunks) {
    chunksExamined++;
    assert(
      chunksExamined <= limits.maintenanceChunksScanMax,
      'chunks within maintenanceChunksScanMax',
    );
    bytesExamined += chunk.bytes;
    const targets = input.ring.replicasFor(chunk.sha256);
    const holders = holdersOf(chunk.sha256, input.inventories);
    if (holders.length === 0) {
      lostChunkCount++;
      if (lostChunks.length < limits.maintenanceFailuresKeptMax) lostChunks.push(chunk.sha256);
      continue;
    }
    let complete = true;
    for (const targetId of targets) {
      if (holders.includes(targetId)) continue;
      complete = false;
      const problem = targetProblem(byMember.get(targetId), input.fillRatioMax);
      if (problem !== undefined) {
        noteRefusal(refused, targetId, problem, chunk.bytes);
        continue;
      }
      copies.push({
        sha256: chunk.sha256,
        bytes: chunk.bytes,
        targetId,
        sourceIds: rotate(holders, chunk.sha256),
      });
      copyBytes += chunk.bytes;
    }
    if (!complete) continue;
    for (const holderId of holders)
      if (!targets.includes(holderId)) surplus.push({ sha256: chunk.sha256, memberId: holderId });
  }
  return {
    chunksExamined,
    bytesExamined,
    copies,
    copyBytes,
    refused: [...refused.values()],
    lostChunks,
    lostChunkCount,
    surplus,
  };
}

function holdersOf(sha256: string, inventories: readonly MemberInventory[]): string[] {
  const holders: string[] = [];
  for (const inventory of inventories)
    if (inventory.reachable && inventory.chunks.has(sha256)) holders.push(inventory.memberId);
  return holders;
}

function targetProblem(
  inventory: MemberInventory | undefined,
  fillRatioMax: number,
): string | undefined {
  if (inventory === undefined || !inventory.reachable) return 'unreachable';
  if (inventory.fillRatio > fillRatioMax) {
    return `its disk is ${(inventory.fillRatio * 100).toFixed(1)}% full, above the ${(fillRatioMax * 100).toFixed(0)}% fill threshold`;
  }
  return undefined;
}

function noteRefusal(
  refused: Map<string, RefusedTarget>,
  memberId: string,
  reason: string,
  bytes: number,
): void {
  const previous = refused.get(memberId);
  refused.set(memberId, {
    memberId,
    reason,
    chunks: (previous?.chunks ?? 0) + 1,
    bytes: (previous?.bytes ?? 0) + bytes,
  });
}

/** Spreads reads over the holders: the first source depends on the chunk id. */
function rotate(holders: readonly string[], sha256: string): string[] {
  const start = Number.parseInt(sha256.slice(0, 8), 16) % holders.length;
  return [...holders.slice(start), ...holders.slice(0, start)];
}
