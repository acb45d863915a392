import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Ring,
  RingDiffAccumulator,
  createRingDescription,
  diffChunk,
  diffRings,
} from '../../src/placement/index.js';
import type { RingMember } from '../../src/placement/index.js';

function uniformMembers(count: number, zones: number): RingMember[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `n${index}`,
    zone: `z${index % zones}`,
    weight: 1,
    state: 'active' as const,
  }));
}

function ring(memberList: readonly RingMember[], epoch: number, replicationFactor = 3): Ring {
  return Ring.fromDescription(
    createRingDescription({
      epoch,
      settings: { replicationFactor, vnodesPerWeightUnit: 64 },
      members: memberList,
    }),
  );
}

const chunks = Array.from({ length: 2000 }, (_, index) => ({
  id: `chunk-${index}`,
  bytes: 1000 + index,
}));
const memberList = uniformMembers(6, 3);
const before = ring(memberList, 1);
const after = ring([...memberList, { id: 'n6', zone: 'z0', weight: 1, state: 'active' }], 2);

test('identical rings diff to nothing', () => {
  const diff = diffRings(before, ring(memberList, 2), chunks);
  assert.is(diff.chunksExamined, chunks.length);
  assert.is(diff.chunksChanged, 0);
  assert.is(diff.copiesMoved, 0);
  assert.equal(diff.members, []);
  assert.equal(diff.changes, []);
  assert.is(diff.oldEpoch, 1);
  assert.is(diff.newEpoch, 2);
});

test('per-chunk changes are exactly the set differences of the two placements', () => {
  const diff = diffRings(before, after, chunks);
  const changedById = new Map(diff.changes.map((change) => [change.chunkId, change]));
  for (const chunk of chunks) {
    const old = before.replicasFor(chunk.id);
    const next = after.replicasFor(chunk.id);
    const gaining = next.filter((id) => !old.includes(id));
    const losing = old.filter((id) => !next.includes(id));
    const change = changedById.get(chunk.id);
    if (gaining.length === 0) {
      assert.is(change, undefined, chunk.id);
      continue;
    }
    assert.equal(change?.gaining, gaining, chunk.id);
    assert.equal(change?.losing, losing, chunk.id);
    assert.equal(change?.oldReplicas, old);
    assert.equal(change?.newReplicas, next);
    assert.is(change?.bytes, chunk.bytes);
  }
  assert.is(diff.chunksChanged, changedById.size);
  assert.not.ok(diff.changesTruncated);
});

test('per-member totals add up: only the new member gains, in = out = copies moved', () => {
  const diff = diffRings(before, after, chunks);
  assert.ok(diff.chunksChanged > 100, `chunks changed ${diff.chunksChanged}`);
  let chunksIn = 0;
  let chunksOut = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  for (const totals of diff.members) {
    chunksIn += totals.chunksIn;
    chunksOut += totals.chunksOut;
    bytesIn += totals.bytesIn;
    bytesOut += totals.bytesOut;
    if (totals.memberId !== 'n6') assert.is(totals.chunksIn, 0, `${totals.memberId} gains nothing`);
  }
  const newMember = diff.members.find((totals) => totals.memberId === 'n6');
  assert.is(newMember?.chunksIn, diff.chunksChanged);
  assert.is(newMember?.chunksOut, 0);
  assert.is(chunksIn, diff.copiesMoved);
  assert.is(chunksOut, diff.copiesMoved);
  assert.is(bytesIn, diff.bytesMoved);
  assert.is(bytesOut, diff.bytesMoved);
  const expectedBytes = diff.changes.reduce((sum, change) => sum + change.bytes, 0);
  assert.is(diff.bytesMoved, expectedBytes);
  assert.is(
    diff.bytesExamined,
    chunks.reduce((sum, chunk) => sum + chunk.bytes, 0),
  );
  // Sorted by member id for stable output.
  assert.equal(
    diff.members.map((totals) => totals.memberId),
    [...diff.members.map((totals) => totals.memberId)].sort(),
  );
});

test('changesKeptMax bounds the per-chunk list but not the totals', () => {
  const full = diffRings(before, after, chunks);
  const bounded = diffRings(before, after, chunks, { changesKeptMax: 10 });
  assert.is(bounded.changes.length, 10);
  assert.ok(bounded.changesTruncated);
  assert.is(bounded.chunksChanged, full.chunksChanged);
  assert.equal(bounded.members, full.members);
  assert.equal(bounded.changes, full.changes.slice(0, 10));
});

test('the streaming accumulator equals diffRings; bare ids count zero bytes', () => {
  const accumulator = new RingDiffAccumulator(before, after);
  for (const chunk of chunks) accumulator.add(chunk);
  assert.equal(accumulator.result(), diffRings(before, after, chunks));
  const bare = diffRings(
    before,
    after,
    chunks.map((chunk) => chunk.id),
  );
  assert.is(bare.bytesMoved, 0);
  assert.is(bare.chunksChanged, accumulator.result().chunksChanged);
});

test('diffChunk returns null for a chunk that stays, and the change for one that moves', () => {
  const staying = chunks.find((chunk) => !after.replicasFor(chunk.id).includes('n6'));
  const moving = chunks.find((chunk) => after.replicasFor(chunk.id).includes('n6'));
  assert.ok(staying !== undefined && moving !== undefined);
  assert.is(diffChunk(before, after, staying), null);
  assert.equal(diffChunk(before, after, moving)?.gaining, ['n6']);
});

test('a change of R diffs as extra copies without losses', () => {
  const wider = ring(memberList, 2, 4);
  const diff = diffRings(before, wider, chunks);
  assert.is(diff.chunksChanged, chunks.length);
  assert.is(diff.copiesMoved, chunks.length);
  for (const totals of diff.members) assert.is(totals.chunksOut, 0);
});

test.run();
