// The difference between two rings over a set of chunks: which members gain and
// which lose a copy of each chunk, and per-member totals. It is the plan that
// `cairn rebalance --dry-run` prints and that the rebalance executor follows.
// Streaming: RingDiffAccumulator takes chunks one at a time, so a scan over
// millions of chunks keeps only totals (and at most placementDiffChangesKeptMax
// per-chunk changes) in memory.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import type { Ring } from './ring.js';

export interface ChunkReference {
  readonly id: string;
  readonly bytes: number;
}

export interface ChunkPlacementChange {
  readonly chunkId: string;
  readonly bytes: number;
  readonly oldReplicas: readonly string[];
  readonly newReplicas: readonly string[];
  /** Members in the new placement that do not hold the chunk in the old one (copy in). */
  readonly gaining: readonly string[];
  /** Members in the old placement that are not in the new one (copy out, deleted once settled). */
  readonly losing: readonly string[];
}

export interface MemberTransferTotals {
  readonly memberId: string;
  chunksIn: number;
  bytesIn: number;
  chunksOut: number;
  bytesOut: number;
}

export interface RingDiff {
  readonly oldEpoch: number;
  readonly newEpoch: number;
  readonly chunksExamined: number;
  readonly bytesExamined: number;
  /** Chunks whose replica set changed. */
  readonly chunksChanged: number;
  /** Copies to create (sum of gaining over all chunks) and their bytes. */
  readonly copiesMoved: number;
  readonly bytesMoved: number;
  /** Per member, sorted by member id; only members with any transfer appear. */
  readonly members: readonly MemberTransferTotals[];
  /** Per-chunk changes in examination order, at most `changesKeptMax` of them. */
  readonly changes: readonly ChunkPlacementChange[];
  /** True when more chunks changed than `changes` holds. */
  readonly changesTruncated: boolean;
}

/** The change of one chunk's placement between two rings, or null when it stays put. */
export function diffChunk(
  oldRing: Ring,
  newRing: Ring,
  chunk: ChunkReference,
): ChunkPlacementChange | null {
  assertInteger(chunk.bytes, 'chunk bytes');
  const oldReplicas = oldRing.replicasFor(chunk.id);
  const newReplicas = newRing.replicasFor(chunk.id);
  const gaining = newReplicas.filter((memberId) => !oldReplicas.includes(memberId));
  const losing = oldReplicas.filter((memberId) => !newReplicas.includes(memberId));
  if (gaining.length === 0 && losing.length === 0) return null;
  // Both placements have R distinct members, so a changed set gains as many as it loses
  // unless R itself changed between the rings.
  assert(
    oldRing.replicationFactor !== newRing.replicationFactor || gaining.length === losing.length,
    'gains balance losses',
  );
  return { chunkId: chunk.id, bytes: chunk.bytes, oldReplicas, newReplicas, gaining, losing };
}

export class RingDiffAccumulator {
  private readonly oldRing: Ring;
  private readonly newRing: Ring;
  private readonly changesKeptMax: number;
  private readonly totals = new Map<string, MemberTransferTotals>();
  private readonly changes: ChunkPlacementChange[] = [];
  private chunksExamined = 0;
  private bytesExamined = 0;
  private chunksChanged = 0;
  private copiesMoved = 0;
  private bytesMoved = 0;

  constructor(oldRing: Ring, newRing: Ring, options: { changesKeptMax?: number } = {}) {
    this.oldRing = oldRing;
    this.newRing = newRing;
    this.changesKeptMax = options.changesKeptMax ?? limits.placementDiffChangesKeptMax;
    assertInteger(this.changesKeptMax, 'changesKeptMax', 0, limits.placementDiffChangesKeptMax);
  }

  /** Adds one chunk; returns its change (or null), which is also kept while room remains. */
  add(chunk: ChunkReference): ChunkPlacementChange | null {
    const change = diffChunk(this.oldRing, this.newRing, chunk);
    this.chunksExamined++;
    this.bytesExamined += chunk.bytes;
    if (change === null) return null;
    this.chunksChanged++;
    this.copiesMoved += change.gaining.length;
    this.bytesMoved += change.gaining.length * change.bytes;
    for (const memberId of change.gaining) {
      const totals = this.totalsFor(memberId);
      totals.chunksIn++;
      totals.bytesIn += change.bytes;
    }
    for (const memberId of change.losing) {
      const totals = this.totalsFor(memberId);
      totals.chunksOut++;
      totals.bytesOut += change.bytes;
    }
    if (this.changes.length < this.changesKeptMax) this.changes.push(change);
    return change;
  }

  result(): RingDiff {
    const members = [...this.totals.values()]
      .map((totals) => ({ ...totals }))
      .sort((left, right) =>
        left.memberId < right.memberId ? -1 : left.memberId > right.memberId ? 1 : 0,
      );
    return {
      oldEpoch: this.oldRing.epoch,
      newEpoch: this.newRing.epoch,
      chunksExamined: this.chunksExamined,
      bytesExamined: this.bytesExamined,
      chunksChanged: this.chunksChanged,
      copiesMoved: this.copiesMoved,
      bytesMoved: this.bytesMoved,
      members,
      changes: [...this.changes],
      changesTruncated: this.chunksChanged > this.changes.length,
    };
  }

  private totalsFor(memberId: string): MemberTransferTotals {
    let totals = this.totals.get(memberId);
    if (totals === undefined) {
      totals = { memberId, chunksIn: 0, bytesIn: 0, chunksOut: 0, bytesOut: 0 };
      this.totals.set(memberId, totals);
    }
    return totals;
  }
}

/** Diffs two rings over `chunks` (ids with sizes; a bare id counts 0 bytes). */
export function diffRings(
  oldRing: Ring,
  newRing: Ring,
  chunks: Iterable<ChunkReference | string>,
  options: { changesKeptMax?: number } = {},
): RingDiff {
  const accumulator = new RingDiffAccumulator(oldRing, newRing, options);
  for (const chunk of chunks)
    accumulator.add(typeof chunk === 'string' ? { id: chunk, bytes: 0 } : chunk);
  return accumulator.result();
}
