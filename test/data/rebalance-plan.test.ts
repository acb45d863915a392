import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planRebalance } from '../../src/data/maintenance/index.js';
import { chunkList, members, ring } from './maintenance-helpers.js';

const chunks = chunkList(2000);
const from = ring(members(3), 1);
const to = ring(members(4), 2);
const fills = new Map<string, number | null>([
  ['n1', 0.4],
  ['n2', 0.4],
  ['n3', 0.4],
  ['n4', 0.1],
]);

test('the dry-run plan: per member in and out, share moved near 1/4, estimate at the rate', () => {
  const plan = planRebalance({
    fromRing: from,
    toRing: to,
    chunks,
    fillRatios: fills,
    fillRatioMax: 0.9,
    rateBytesPerSecond: 1_000_000,
  });
  assert.is(plan.fromEpoch, 1);
  assert.is(plan.toEpoch, 2);
  assert.is(plan.chunksExamined, 2000);
  const n4 = plan.members.find((member) => member.memberId === 'n4');
  assert.ok(
    n4 !== undefined && n4.chunksIn === plan.copiesMoved && n4.chunksOut === 0,
    'the joining member only receives',
  );
  const out = plan.members.reduce((sum, member) => sum + member.bytesOut, 0);
  assert.is(out, plan.bytesMoved, 'every copy in is a copy out');
  assert.ok(Math.abs(plan.movedShare - 0.25) < 0.05, `moved share ${plan.movedShare}`);
  assert.is(plan.estimatedSeconds, plan.bytesMoved / 1_000_000);
  assert.ok(plan.members.every((member) => member.refusal === null));
});

test('the plan names a full or unreachable receiver; unlimited rate has no estimate', () => {
  const full = planRebalance({
    fromRing: from,
    toRing: to,
    chunks,
    fillRatios: new Map([...fills, ['n4', 0.95]]),
    fillRatioMax: 0.9,
    rateBytesPerSecond: 0,
  });
  assert.match(
    full.members.find((member) => member.memberId === 'n4')?.refusal ?? '',
    /95\.0% full, above the 90% threshold/,
  );
  assert.is(full.estimatedSeconds, null);
  const gone = planRebalance({
    fromRing: from,
    toRing: to,
    chunks,
    fillRatios: new Map([...fills, ['n4', null]]),
    fillRatioMax: 0.9,
    rateBytesPerSecond: 0,
  });
  assert.is(gone.members.find((member) => member.memberId === 'n4')?.refusal, 'unreachable');
});

test('no change, nothing moves', () => {
  const plan = planRebalance({
    fromRing: to,
    toRing: to,
    chunks,
    fillRatios: fills,
    fillRatioMax: 0.9,
    rateBytesPerSecond: 0,
  });
  assert.is(plan.bytesMoved, 0);
  assert.is(plan.movedShare, 0);
});

test.run();
