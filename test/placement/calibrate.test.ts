import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Ring,
  applyRingChange,
  calibrateVirtualNodes,
  createRingDescription,
  targetCopyShares,
} from '../../src/placement/index.js';
import type { RingDescription, RingMember } from '../../src/placement/index.js';

function description(
  weights: readonly number[],
  zones: number,
  vnodesPerWeightUnit = 64,
): RingDescription {
  const members: RingMember[] = weights.map((weight, index) => ({
    id: `n${index}`,
    zone: `z${index % zones}`,
    weight,
    state: 'active',
  }));
  return createRingDescription({
    epoch: 4,
    settings: { replicationFactor: 3, vnodesPerWeightUnit },
    members,
  });
}

function sampledShares(ring: Ring, keyCount: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let index = 0; index < keyCount; index++) {
    for (const id of ring.replicasFor(`key-${index}`)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return new Map([...counts].map(([id, count]) => [id, count / (keyCount * 3)]));
}

test('expectedCopyShares is exact: sums to 1 and matches sampled shares', () => {
  const ring = Ring.fromDescription(description([1, 1, 2, 3, 1, 2], 2));
  const expected = ring.expectedCopyShares();
  assert.is(expected.size, 6);
  const sum = [...expected.values()].reduce((total, share) => total + share, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
  const sampled = sampledShares(ring, 30_000);
  for (const [id, share] of expected) {
    const observed = sampled.get(id) ?? 0;
    assert.ok(
      Math.abs(observed / share - 1) < 0.04,
      `${id}: expected ${share.toFixed(4)}, sampled ${observed.toFixed(4)}`,
    );
  }
});

test('targetCopyShares: proportional to weight, capped at 1/R per member', () => {
  // Weight 6 of 12 would be half of all copies, but a member holds at most one copy per chunk.
  const targets = targetCopyShares(description([1, 1, 1, 1, 2, 6], 1));
  assert.ok(Math.abs((targets.get('n5') ?? 0) - 1 / 3) < 1e-9);
  // The rest share 2/3 in proportion 1:1:1:1:2.
  assert.ok(Math.abs((targets.get('n0') ?? 0) - 2 / 3 / 6) < 1e-9);
  assert.ok(Math.abs((targets.get('n4') ?? 0) - 2 / 3 / 3) < 1e-9);
});

test('targetCopyShares: with at least R zones a zone holds at most 1/R; with fewer, at least 1/R', () => {
  // 4 zones, zone z0 holds almost all weight: capped at 1/3, the rest split by weight.
  const manyZones = targetCopyShares(description([10, 1, 1, 1, 10, 1, 1, 1], 4));
  assert.ok(Math.abs((manyZones.get('n0') ?? 0) + (manyZones.get('n4') ?? 0) - 1 / 3) < 1e-9);
  // 2 zones, R=3: every zone holds 1 or 2 copies of every chunk, so between 1/3 and 2/3.
  const twoZones = targetCopyShares(description([5, 1, 5, 1, 5, 1], 2));
  const zoneOne = (twoZones.get('n1') ?? 0) + (twoZones.get('n3') ?? 0) + (twoZones.get('n5') ?? 0);
  assert.ok(Math.abs(zoneOne - 1 / 3) < 1e-9, `zone z1 ${zoneOne}`);
  const sum = [...twoZones.values()].reduce((total, share) => total + share, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9);
});

test('calibration brings skewed weights within 2% and stores counts in the description', () => {
  const input = description([1, 1, 1, 1, 1, 2, 2, 2, 3, 4], 1, 128);
  const result = calibrateVirtualNodes(input);
  assert.ok(result.worstErrorBefore > 0.05, `uncalibrated error ${result.worstErrorBefore}`);
  assert.ok(result.worstErrorAfter < 0.02, `calibrated error ${result.worstErrorAfter}`);
  assert.is(result.description.epoch, input.epoch + 1);
  assert.ok(result.description.members.every((member) => member.virtualNodes !== undefined));
  // The heaviest member needs more than its proportional count to overcome the anomaly.
  const heaviest = result.description.members.find((member) => member.id === 'n9');
  assert.ok((heaviest?.virtualNodes ?? 0) > 4 * 128, `n9 has ${heaviest?.virtualNodes}`);
  // The reported error is the real one.
  const shares = Ring.fromDescription(result.description).expectedCopyShares();
  const targets = targetCopyShares(result.description);
  for (const [id, share] of shares)
    assert.ok(Math.abs(share / (targets.get(id) ?? 1) - 1) <= result.worstErrorAfter + 1e-12, id);
});

test('calibration of an already fair ring changes nothing', () => {
  const input = description([1, 1, 1], 3);
  const result = calibrateVirtualNodes(input);
  assert.is(result.worstErrorAfter, 0);
  assert.equal(result.description, input);
  assert.is(result.description.epoch, input.epoch);
  assert.is(result.rounds, 1);
});

test('after calibration, a join still moves only chunks the new member holds', () => {
  const calibrated = calibrateVirtualNodes(description([1, 2, 1, 3, 1, 1], 1)).description;
  const grown = applyRingChange(calibrated, {
    kind: 'add-member',
    member: { id: 'new', zone: 'z0', weight: 1, state: 'active' },
  });
  const before = Ring.fromDescription(calibrated);
  const after = Ring.fromDescription(grown);
  let moved = 0;
  for (let index = 0; index < 3000; index++) {
    const old = before.replicasFor(`key-${index}`);
    const next = after.replicasFor(`key-${index}`);
    if ([...old].sort().join() === [...next].sort().join()) continue;
    moved++;
    assert.ok(next.includes('new'), `key-${index}: ${old.join(',')} -> ${next.join(',')}`);
  }
  assert.ok(moved > 100, `moved ${moved}`);
});

test.run();
