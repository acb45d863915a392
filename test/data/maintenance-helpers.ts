// Shared fixtures of the maintenance tests: rings and inventories built from them.
import { createHash } from 'node:crypto';
import { Ring, createRingDescription, type RingMember } from '../../src/placement/index.js';
import type { ChunkReference, MemberInventory } from '../../src/data/maintenance/index.js';

export function members(count: number): RingMember[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `n${index + 1}`,
    zone: 'z',
    weight: 1,
    state: 'active' as const,
  }));
}

export function ring(
  memberList: readonly RingMember[],
  epoch: number,
  replicationFactor = 3,
): Ring {
  return Ring.fromDescription(
    createRingDescription({
      epoch,
      settings: { replicationFactor, vnodesPerWeightUnit: 64 },
      members: memberList,
    }),
  );
}

export function chunkList(count: number): ChunkReference[] {
  return Array.from({ length: count }, (_, index) => ({
    sha256: createHash('sha256').update(`chunk-${index}`).digest('hex'),
    bytes: 1000 + index,
  }));
}

/** Inventories where every chunk sits exactly on its replicas in `placedBy`. */
export function placedInventories(
  placedBy: Ring,
  chunks: readonly ChunkReference[],
  memberIds: readonly string[],
): Map<string, Set<string>> {
  const held = new Map(memberIds.map((id) => [id, new Set<string>()]));
  for (const chunk of chunks)
    for (const id of placedBy.replicasFor(chunk.sha256)) held.get(id)?.add(chunk.sha256);
  return held;
}

export function inventories(
  held: Map<string, Set<string>>,
  overrides: Record<string, Partial<MemberInventory>> = {},
): MemberInventory[] {
  return [...held].map(([memberId, chunks]) => ({
    memberId,
    reachable: true,
    fillRatio: 0.5,
    chunks,
    ...overrides[memberId],
  }));
}
