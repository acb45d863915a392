// Weight calibration. Picking R distinct members in turn gives heavy members less
// than their weight's share when one member is a large part of the total (once it
// is chosen for a chunk, its other virtual nodes are skipped): the "multi-pick
// anomaly" that CRUSH also has. Calibration measures the exact share of every member
// (Ring.expectedCopySharesByMemberIndex) and rescales virtual node counts toward the
// fair share, a few rounds, keeping the best. The counts are stored in the
// description (member.virtualNodes), so placement stays a pure function of the
// description. Calibrating moves some data once; later joins and leaves stay
// minimal until the next calibration.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { createRingDescription, virtualNodeCountOf } from './description.js';
import type { RingDescription, RingMember } from './description.js';
import { Ring } from './ring.js';

export interface CalibrationResult {
  /** The calibrated description: epoch + 1 when any count changed, else the input. */
  readonly description: RingDescription;
  /** Worst |share / fair share - 1| over active members, before and after. */
  readonly worstErrorBefore: number;
  readonly worstErrorAfter: number;
  readonly rounds: number;
}

const bisectionSteps = 200;

/**
 * The fair share of all copies for each active member: zones get shares in
 * proportion to their weight within what the zone rule allows (with at least R zones
 * a zone holds at most one copy of a chunk), and members within a zone in proportion
 * to weight, at most 1/R each (one copy per chunk).
 */
export function targetCopyShares(description: RingDescription): Map<string, number> {
  const targets = targetSharesByMemberIndex(description);
  const result = new Map<string, number>();
  description.members.forEach((member, index) => {
    if (member.state === 'active') result.set(member.id, targets[index] as number);
  });
  return result;
}

function targetSharesByMemberIndex(description: RingDescription): Float64Array {
  const replicationFactor = description.settings.replicationFactor;
  const zoneMembers = new Map<string, number[]>();
  description.members.forEach((member, index) => {
    if (member.state !== 'active') return;
    const list = zoneMembers.get(member.zone) ?? [];
    list.push(index);
    zoneMembers.set(member.zone, list);
  });
  const zones = [...zoneMembers.values()];
  // The pass that completes a replica set: every zone holds min(pass - 1, size) or min(pass, size) copies.
  let finalPass = 1;
  const capacity = (pass: number): number =>
    zones.reduce((sum, list) => sum + Math.min(pass, list.length), 0);
  while (capacity(finalPass) < replicationFactor) finalPass++;
  assert(finalPass <= replicationFactor, 'R active members exist');
  const weightOf = (index: number): number => (description.members[index] as RingMember).weight;
  const zoneShares = waterFill(
    zones.map((list) => list.reduce((sum, index) => sum + weightOf(index), 0)),
    zones.map((list) => Math.min(finalPass - 1, list.length) / replicationFactor),
    zones.map((list) => Math.min(finalPass, list.length) / replicationFactor),
    1,
  );
  const targets = new Float64Array(description.members.length);
  zones.forEach((list, zone) => {
    const memberShares = waterFill(
      list.map(weightOf),
      list.map(() => 0),
      list.map(() => 1 / replicationFactor),
      zoneShares[zone] as number,
    );
    list.forEach((memberIndex, position) => {
      targets[memberIndex] = memberShares[position] as number;
    });
  });
  return targets;
}

/** Shares clamp(lambda * weight, low, high) summing to `total`; lambda found by bisection. */
function waterFill(
  weights: readonly number[],
  low: readonly number[],
  high: readonly number[],
  total: number,
): number[] {
  const lowSum = low.reduce((sum, value) => sum + value, 0);
  const highSum = high.reduce((sum, value) => sum + value, 0);
  assert(
    lowSum <= total + 1e-12 && total <= highSum + 1e-12,
    `feasible shares: ${lowSum} <= ${total} <= ${highSum}`,
  );
  const shareAt = (lambda: number): number[] =>
    weights.map((weight, index) =>
      Math.min(high[index] as number, Math.max(low[index] as number, lambda * weight)),
    );
  let lambdaLow = 0;
  let lambdaHigh = Math.max(...weights.map((weight, index) => (high[index] as number) / weight));
  for (let step = 0; step < bisectionSteps; step++) {
    const middle = (lambdaLow + lambdaHigh) / 2;
    if (shareAt(middle).reduce((sum, value) => sum + value, 0) < total) lambdaLow = middle;
    else lambdaHigh = middle;
  }
  return shareAt(lambdaHigh);
}

function worstError(
  shares: Float64Array,
  targets: Float64Array,
  description: RingDescription,
): number {
  let worst = 0;
  description.members.forEach((member, index) => {
    if (member.state !== 'active') return;
    worst = Math.max(worst, Math.abs((shares[index] as number) / (targets[index] as number) - 1));
  });
  return worst;
}

/** Rescales virtual node counts toward the fair shares; `roundsMax` ring builds at most. */
export function calibrateVirtualNodes(
  input: RingDescription,
  options: { roundsMax?: number; errorGoal?: number } = {},
): CalibrationResult {
  const roundsMax = options.roundsMax ?? limits.placementCalibrationRoundsMax;
  const errorGoal = options.errorGoal ?? 0.005;
  assertInteger(roundsMax, 'roundsMax', 1, limits.placementCalibrationRoundsMax);
  const original = createRingDescription(input);
  const targets = targetSharesByMemberIndex(original);
  let current = original;
  let best = { description: original, error: Number.POSITIVE_INFINITY };
  let worstErrorBefore = 0;
  let rounds = 0;
  while (rounds < roundsMax) {
    const shares = Ring.fromDescription(current).expectedCopySharesByMemberIndex();
    const error = worstError(shares, targets, current);
    if (rounds === 0) worstErrorBefore = error;
    rounds++;
    if (error < best.error) best = { description: current, error };
    if (error <= errorGoal || rounds === roundsMax) break;
    current = rescaled(current, shares, targets);
  }
  const changed = best.description !== original;
  const description = changed
    ? createRingDescription({ ...best.description, epoch: original.epoch + 1 })
    : original;
  return { description, worstErrorBefore, worstErrorAfter: best.error, rounds };
}

function rescaled(
  description: RingDescription,
  shares: Float64Array,
  targets: Float64Array,
): RingDescription {
  const settings = description.settings;
  const counts = description.members.map((member, index) => {
    if (member.state !== 'active') return virtualNodeCountOf(member, settings);
    const factor = (targets[index] as number) / Math.max(shares[index] as number, 1e-12);
    return Math.round(virtualNodeCountOf(member, settings) * factor);
  });
  // Keep the total within the ring's limit, then each count within the member limit.
  let activeTotal = 0;
  description.members.forEach((member, index) => {
    if (member.state === 'active') activeTotal += counts[index] as number;
  });
  const scale = Math.min(1, limits.placementVirtualNodesTotalMax / activeTotal);
  const members = description.members.map((member, index): RingMember => {
    if (member.state !== 'active') return member;
    const count = Math.min(
      limits.placementVirtualNodesPerNodeMax,
      Math.max(1, Math.floor((counts[index] as number) * scale)),
    );
    return { ...member, virtualNodes: count };
  });
  return createRingDescription({ epoch: description.epoch, settings, members });
}
