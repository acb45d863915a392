// The dry-run plan of a rebalance: per member the chunks and bytes it receives and the
// copies it will drop once the epoch settles, the share of all data that moves, and an
// estimate of the time at a given rate. Pure (ring diff over the referenced chunks).

import { RingDiffAccumulator, type Ring } from '../../placement/index.js';
import { assert } from '../../util/assert.js';
import type { ChunkReference } from './reconcile.js';

export interface MemberPlan {
  readonly memberId: string;
  readonly chunksIn: number;
  readonly bytesIn: number;
  readonly chunksOut: number;
  readonly bytesOut: number;
  /** Used fraction of the member's disk, or null when it did not answer. */
  readonly fillRatio: number | null;
  /** Why the member will not receive data (full or unreachable), if so. */
  readonly refusal: string | null;
}

export interface RebalancePlan {
  readonly fromEpoch: number;
  readonly toEpoch: number;
  readonly chunksExamined: number;
  /** Bytes of all copies (chunk bytes times R): the whole of the data. */
  readonly bytesStored: number;
  readonly chunksChanged: number;
  readonly copiesMoved: number;
  readonly bytesMoved: number;
  /** bytesMoved / bytesStored (0 when nothing is stored). */
  readonly movedShare: number;
  readonly rateBytesPerSecond: number;
  /** Seconds at the rate; null when the rate is unlimited. */
  readonly estimatedSeconds: number | null;
  readonly members: MemberPlan[];
}

export interface RebalancePlanInput {
  readonly fromRing: Ring;
  readonly toRing: Ring;
  readonly chunks: Iterable<ChunkReference>;
  readonly fillRatios: ReadonlyMap<string, number | null>;
  readonly fillRatioMax: number;
  readonly rateBytesPerSecond: number;
}

export function planRebalance(input: RebalancePlanInput): RebalancePlan {
  assert(input.rateBytesPerSecond >= 0, 'rate is not negative');
  const accumulator = new RingDiffAccumulator(input.fromRing, input.toRing, { changesKeptMax: 0 });
  for (const chunk of input.chunks) accumulator.add({ id: chunk.sha256, bytes: chunk.bytes });
  const diff = accumulator.result();
  const totals = new Map(diff.members.map((member) => [member.memberId, member]));
  const memberIds = [
    ...new Set([
      ...input.toRing.members.map((member) => member.id),
      ...input.fromRing.members.map((member) => member.id),
      ...totals.keys(),
    ]),
  ].sort();
  const members = memberIds.map((memberId): MemberPlan => {
    const total = totals.get(memberId);
    const fillRatio = input.fillRatios.get(memberId) ?? null;
    const receives = (total?.chunksIn ?? 0) > 0;
    const refusal = !receives
      ? null
      : fillRatio === null
        ? 'unreachable'
        : fillRatio > input.fillRatioMax
          ? `disk ${(fillRatio * 100).toFixed(1)}% full, above the ${(input.fillRatioMax * 100).toFixed(0)}% threshold: it will receive nothing`
          : null;
    return {
      memberId,
      chunksIn: total?.chunksIn ?? 0,
      bytesIn: total?.bytesIn ?? 0,
      chunksOut: total?.chunksOut ?? 0,
      bytesOut: total?.bytesOut ?? 0,
      fillRatio,
      refusal,
    };
  });
  const bytesStored = diff.bytesExamined * input.fromRing.replicationFactor;
  const rate = input.rateBytesPerSecond;
  return {
    fromEpoch: diff.oldEpoch,
    toEpoch: diff.newEpoch,
    chunksExamined: diff.chunksExamined,
    bytesStored,
    chunksChanged: diff.chunksChanged,
    copiesMoved: diff.copiesMoved,
    bytesMoved: diff.bytesMoved,
    movedShare: bytesStored === 0 ? 0 : diff.bytesMoved / bytesStored,
    rateBytesPerSecond: rate,
    estimatedSeconds: rate === 0 ? null : diff.bytesMoved / rate,
    members,
  };
}
