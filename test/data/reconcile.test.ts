import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planReconcile, type CopyTask } from '../../src/data/maintenance/index.js';
import { diffRings } from '../../src/placement/index.js';
import { chunkList, inventories, members, placedInventories, ring } from './maintenance-helpers.js';

const chunks = chunkList(600);
const three = members(3);
const four = members(4);
const before = ring(three, 1);
const after = ring(four, 2);

function execute(held: Map<string, Set<string>>, copies: readonly CopyTask[]): void {
  for (const copy of copies) {
    assert.ok(
      copy.sourceIds.every((id) => held.get(id)?.has(copy.sha256)),
      'every source holds the chunk',
    );
    held.get(copy.targetId)?.add(copy.sha256);
  }
}

test('a balanced cluster needs no copies and has no surplus', () => {
  const held = placedInventories(before, chunks, ['n1', 'n2', 'n3']);
  const plan = planReconcile({
    chunks,
    ring: before,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  assert.is(plan.chunksExamined, chunks.length);
  assert.is(plan.copies.length, 0);
  assert.is(plan.surplus.length, 0);
  assert.is(plan.lostChunkCount, 0);
});

test('after a join the plan copies exactly the chunks whose placement changed, to the new member', () => {
  const held = placedInventories(before, chunks, ['n1', 'n2', 'n3', 'n4']);
  const plan = planReconcile({
    chunks,
    ring: after,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  const diff = diffRings(
    before,
    after,
    chunks.map((chunk) => ({ id: chunk.sha256, bytes: chunk.bytes })),
  );
  assert.is(plan.copies.length, diff.copiesMoved);
  assert.is(plan.copyBytes, diff.bytesMoved);
  assert.ok(
    plan.copies.length > chunks.length * 0.5,
    'R/(N+1) of chunks change when the 4th of 4 joins at R=3',
  );
  assert.ok(
    plan.copies.every((copy) => copy.targetId === 'n4'),
    'only the new member receives copies',
  );
  assert.is(plan.surplus.length, 0, 'nothing is surplus before the new copies exist');
  execute(held, plan.copies);
  const next = planReconcile({
    chunks,
    ring: after,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  assert.is(next.copies.length, 0, 'a second pass has nothing left to copy');
  assert.is(next.surplus.length, diff.copiesMoved, 'each moved copy leaves one surplus copy');
  for (const copy of next.surplus)
    assert.not.ok(
      after.replicasFor(copy.sha256).includes(copy.memberId),
      'surplus is outside the new placement',
    );
});

test('a pass interrupted half way resumes with only what is left', () => {
  const held = placedInventories(before, chunks, ['n1', 'n2', 'n3', 'n4']);
  const plan = planReconcile({
    chunks,
    ring: after,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  const half = Math.floor(plan.copies.length / 2);
  execute(held, plan.copies.slice(0, half));
  const resumed = planReconcile({
    chunks,
    ring: after,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  assert.equal(
    resumed.copies.map((copy) => `${copy.sha256}>${copy.targetId}`),
    plan.copies.slice(half).map((copy) => `${copy.sha256}>${copy.targetId}`),
  );
});

test('a member above the fill threshold receives nothing and the plan says why', () => {
  const held = placedInventories(before, chunks, ['n1', 'n2', 'n3', 'n4']);
  const plan = planReconcile({
    chunks,
    ring: after,
    inventories: inventories(held, { n4: { fillRatio: 0.93 } }),
    fillRatioMax: 0.9,
  });
  assert.is(plan.copies.length, 0);
  assert.is(plan.refused.length, 1);
  assert.is(plan.refused[0]?.memberId, 'n4');
  assert.match(plan.refused[0]?.reason ?? '', /93\.0% full, above the 90% fill threshold/);
  assert.is(plan.surplus.length, 0, 'no copy is surplus while its new home lacks it');
});

test('a dead member: its chunks are re-replicated from survivors to the ring without it', () => {
  const held = placedInventories(after, chunks, ['n1', 'n2', 'n3', 'n4']);
  held.delete('n2');
  const withoutN2 = ring(
    four.filter((member) => member.id !== 'n2'),
    3,
  );
  const plan = planReconcile({
    chunks,
    ring: withoutN2,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  assert.ok(plan.copies.length > 0);
  assert.ok(plan.copies.every((copy) => copy.targetId !== 'n2' && !copy.sourceIds.includes('n2')));
  execute(held, plan.copies);
  for (const chunk of chunks) {
    const holders = [...held].filter(([, set]) => set.has(chunk.sha256)).map(([id]) => id);
    assert.is(holders.length, 3, 'R copies again');
  }
});

test('an unreachable holder is no source; a chunk only it holds is reported lost', () => {
  const held = placedInventories(before, chunks, ['n1', 'n2', 'n3']);
  const only = chunks[0] as (typeof chunks)[number];
  for (const id of ['n1', 'n2']) held.get(id)?.delete(only.sha256);
  held.get('n3')?.add(only.sha256);
  const plan = planReconcile({
    chunks,
    ring: before,
    inventories: inventories(held, { n3: { reachable: false } }),
    fillRatioMax: 0.9,
  });
  assert.ok(plan.lostChunks.includes(only.sha256));
  assert.ok(plan.copies.every((copy) => !copy.sourceIds.includes('n3')));
  assert.ok(
    plan.refused.some((refusal) => refusal.memberId === 'n3' && refusal.reason === 'unreachable'),
  );
});

test('a rotten or deleted copy on one node is restored from the others', () => {
  const held = placedInventories(before, chunks, ['n1', 'n2', 'n3']);
  const lostOnN1 = [...(held.get('n1') as Set<string>)].slice(0, 25);
  for (const sha256 of lostOnN1) held.get('n1')?.delete(sha256);
  const plan = planReconcile({
    chunks,
    ring: before,
    inventories: inventories(held),
    fillRatioMax: 0.9,
  });
  assert.equal(plan.copies.map((copy) => copy.sha256).sort(), [...lostOnN1].sort());
  assert.ok(plan.copies.every((copy) => copy.targetId === 'n1' && copy.sourceIds.length === 2));
});

test.run();
