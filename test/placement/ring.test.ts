import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ring, createRingDescription } from '../../src/placement/index.js';
import type { MemberState, RingMember } from '../../src/placement/index.js';
import { Prng } from '../../src/util/prng.js';

// Small vnode counts keep these tests fast (about 1 s for the file); the
// benchmark measures balance at the default.
const vnodesPerWeightUnit = 64;

function members(
  spec: readonly (readonly [id: string, zone: string, weight?: number, state?: MemberState])[],
): RingMember[] {
  return spec.map(([id, zone, weight, state]) => ({
    id,
    zone,
    weight: weight ?? 1,
    state: state ?? 'active',
  }));
}

function uniformMembers(count: number, zones: number): RingMember[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `n${index}`,
    zone: `z${index % zones}`,
    weight: 1,
    state: 'active' as const,
  }));
}

function ring(
  memberList: readonly RingMember[],
  replicationFactor = 3,
  epoch = 1,
  vnodes = vnodesPerWeightUnit,
): Ring {
  return Ring.fromDescription(
    createRingDescription({
      epoch,
      settings: { replicationFactor, vnodesPerWeightUnit: vnodes },
      members: memberList,
    }),
  );
}

function keys(count: number, prefix = 'chunk'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

function zonesOf(target: Ring, replicas: readonly string[]): string[] {
  return replicas.map((id) => target.members.find((member) => member.id === id)?.zone ?? '?');
}

test('replicas are R distinct active members for many shapes', () => {
  // [members, zones, R]
  const shapes: readonly [number, number, number][] = [
    [1, 1, 1],
    [3, 1, 3],
    [3, 3, 3],
    [5, 2, 3],
    [6, 3, 3],
    [7, 7, 7],
    [10, 4, 5],
    [20, 3, 2],
    [12, 12, 7],
  ];
  for (const [count, zones, replicationFactor] of shapes) {
    const target = ring(uniformMembers(count, zones), replicationFactor);
    for (const key of keys(500)) {
      const replicas = target.replicasFor(key);
      assert.is(replicas.length, replicationFactor, `${count}/${zones}/${replicationFactor}`);
      assert.is(new Set(replicas).size, replicationFactor, `distinct for ${key}`);
      // With at least R zones, R distinct zones; otherwise every zone is used.
      assert.is(
        new Set(zonesOf(target, replicas)).size,
        Math.min(zones, replicationFactor),
        `zones for ${key}`,
      );
    }
  }
});

test('3 zones x 2 members, R=3: every chunk lands in all 3 zones', () => {
  const target = ring(
    members([
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
      ['b2', 'b'],
      ['c1', 'c'],
      ['c2', 'c'],
    ]),
  );
  for (const key of keys(2000))
    assert.equal(new Set(zonesOf(target, target.replicasFor(key))), new Set(['a', 'b', 'c']));
});

test('2 zones, R=3: both zones used, split 2 + 1, and each zone is the double about half the time', () => {
  const target = ring(
    members([
      ['a1', 'a'],
      ['a2', 'a'],
      ['a3', 'a'],
      ['b1', 'b'],
      ['b2', 'b'],
      ['b3', 'b'],
    ]),
  );
  let zoneAHoldsTwo = 0;
  const chunkCount = 4000;
  for (const key of keys(chunkCount)) {
    const zones = zonesOf(target, target.replicasFor(key));
    const inA = zones.filter((zone) => zone === 'a').length;
    assert.ok(inA === 1 || inA === 2, `split for ${key}: ${zones.join(',')}`);
    if (inA === 2) zoneAHoldsTwo++;
  }
  assert.ok(
    Math.abs(zoneAHoldsTwo / chunkCount - 0.5) < 0.1,
    `zone a doubled ${zoneAHoldsTwo} of ${chunkCount}`,
  );
});

test('uneven zones: 5 members in one zone and 1 in another, R=4: the lone zone is always used', () => {
  const target = ring(
    members([
      ['a1', 'a'],
      ['a2', 'a'],
      ['a3', 'a'],
      ['a4', 'a'],
      ['a5', 'a'],
      ['b1', 'b'],
    ]),
    4,
  );
  for (const key of keys(1000)) {
    const replicas = target.replicasFor(key);
    assert.ok(replicas.includes('b1'), `b1 in ${replicas.join(',')}`);
    assert.is(new Set(replicas).size, 4);
  }
});

test('draining and gone members receive nothing', () => {
  const memberList = members([
    ['a', 'z1'],
    ['b', 'z2'],
    ['c', 'z3'],
    ['d', 'z1', 1, 'draining'],
    ['e', 'z2', 1, 'gone'],
  ]);
  const target = ring(memberList);
  assert.equal(target.activeMemberIds, ['a', 'b', 'c']);
  for (const key of keys(500)) assert.equal([...target.replicasFor(key)].sort(), ['a', 'b', 'c']);
});

test('placement is fixed across machines (golden values)', () => {
  const target = ring(
    ['a', 'b', 'c', 'd', 'e', 'f'].map((id, index) => ({
      id: `node-${id}`,
      zone: `zone-${index % 3}`,
      weight: 1,
      state: 'active' as const,
    })),
    3,
    1,
    128,
  );
  assert.is(target.virtualNodeCount, 768);
  const golden: readonly [string, string[]][] = [
    ['', ['node-d', 'node-f', 'node-e']],
    ['photos/2026/cat.jpg', ['node-e', 'node-f', 'node-d']],
    [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ['node-d', 'node-e', 'node-f'],
    ],
    ['日本語/キー', ['node-d', 'node-b', 'node-c']],
  ];
  for (const [key, expected] of golden)
    assert.equal(target.replicasFor(key), expected, JSON.stringify(key));
});

test('member order in the description does not change placement', () => {
  const memberList = uniformMembers(12, 4);
  const shuffled = new Prng(5).shuffle([...memberList]);
  const first = ring(memberList);
  const second = ring(shuffled);
  for (const key of keys(1000)) assert.equal(second.replicasFor(key), first.replicasFor(key));
});

test('weights: a member of weight 2 holds about twice a member of weight 1', () => {
  const memberList = uniformMembers(20, 1).map((member, index) =>
    index === 0 ? { ...member, weight: 2 } : member,
  );
  const target = ring(memberList, 3, 1, 256);
  const counts = new Map<string, number>();
  for (const key of keys(30_000))
    for (const id of target.replicasFor(key)) counts.set(id, (counts.get(id) ?? 0) + 1);
  let others = 0;
  for (let index = 1; index < 20; index++) others += counts.get(`n${index}`) ?? 0;
  const ratio = (counts.get('n0') ?? 0) / (others / 19);
  assert.ok(ratio > 1.8 && ratio < 2.2, `weight 2 holds ${ratio.toFixed(3)}x`);
});

function changedKeys(
  before: Ring,
  after: Ring,
  keyList: readonly string[],
): { key: string; old: string[]; next: string[] }[] {
  const changed: { key: string; old: string[]; next: string[] }[] = [];
  for (const key of keyList) {
    const old = before.replicasFor(key);
    const next = after.replicasFor(key);
    if ([...old].sort().join() !== [...next].sort().join()) changed.push({ key, old, next });
  }
  return changed;
}

test('adding a member moves only chunks that the new member now holds (with and without zones)', () => {
  for (const zones of [1, 3, 4]) {
    const memberList = uniformMembers(9, zones);
    const before = ring(memberList);
    const after = ring(
      [...memberList, { id: 'new', zone: 'z1', weight: 1, state: 'active' }],
      3,
      2,
    );
    const changed = changedKeys(before, after, keys(3000));
    assert.ok(changed.length > 100, `some chunks move (${changed.length}) with ${zones} zones`);
    for (const { key, old, next } of changed) {
      assert.ok(
        next.includes('new'),
        `${key} moved without the new member: ${old.join(',')} -> ${next.join(',')}`,
      );
      // Exactly one copy moves to the new member; the other replicas stay.
      assert.is(next.filter((id) => !old.includes(id)).length, 1, key);
    }
  }
});

test('removing or draining a member moves only chunks that member held', () => {
  const memberList = uniformMembers(10, 3);
  const before = ring(memberList);
  const removed = ring(
    memberList.filter((member) => member.id !== 'n4'),
    3,
    2,
  );
  const drained = ring(
    memberList.map((member) =>
      member.id === 'n4' ? { ...member, state: 'draining' as const } : member,
    ),
    3,
    2,
  );
  for (const after of [removed, drained]) {
    const changed = changedKeys(before, after, keys(3000));
    assert.ok(changed.length > 100, `some chunks move (${changed.length})`);
    for (const { key, old, next } of changed) {
      assert.ok(
        old.includes('n4') && !next.includes('n4'),
        `${key}: ${old.join(',')} -> ${next.join(',')}`,
      );
    }
  }
});

test('raising a weight moves only chunks that the reweighted member now holds', () => {
  const memberList = uniformMembers(8, 1);
  const before = ring(memberList);
  const after = ring(
    memberList.map((member) => (member.id === 'n2' ? { ...member, weight: 2 } : member)),
    3,
    2,
  );
  const changed = changedKeys(before, after, keys(3000));
  assert.ok(changed.length > 50);
  for (const { key, old, next } of changed)
    assert.ok(next.includes('n2') && !old.includes('n2'), key);
});

test('replicaIndexesFor agrees with replicasFor', () => {
  const target = ring(uniformMembers(7, 3));
  for (const key of keys(200)) {
    assert.equal(
      target.replicaIndexesFor(key).map((index) => target.members[index]?.id),
      target.replicasFor(key),
    );
  }
});

test('an oversized placement key is rejected', () => {
  const target = ring(uniformMembers(3, 3));
  assert.throws(() => target.replicasFor('k'.repeat(5000)), /placement key is longer than/);
});

test('fromDescription validates hand-built descriptions too', () => {
  assert.throws(
    () =>
      Ring.fromDescription({
        formatVersion: 1,
        epoch: 1,
        settings: { replicationFactor: 3, vnodesPerWeightUnit: 8 },
        members: members([
          ['a', 'z'],
          ['a', 'z'],
          ['b', 'z'],
        ]),
      }),
    /duplicate member id "a"/,
  );
});

test.run();
