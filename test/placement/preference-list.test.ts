import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ring, createRingDescription } from '../../src/placement/index.js';
import type { RingMember } from '../../src/placement/index.js';
import { limits } from '../../src/util/limits.js';

function ring(members: readonly RingMember[], replicationFactor = 3): Ring {
  return Ring.fromDescription(
    createRingDescription({
      epoch: 1,
      settings: { replicationFactor, vnodesPerWeightUnit: 64 },
      members,
    }),
  );
}

function uniform(count: number, zones: number): RingMember[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `n${index}`,
    zone: `z${index % zones}`,
    weight: 1,
    state: 'active' as const,
  }));
}

const keys = Array.from({ length: 400 }, (_, index) => `key-${index}`);

test('the preference list starts with exactly the R home nodes, then distinct others', () => {
  const placement = ring(uniform(7, 7));
  for (const key of keys) {
    const list = placement.preferenceListFor(key);
    assert.is(list.length, 7, 'every active member, below the length limit');
    assert.equal(list.slice(0, 3), placement.replicasFor(key), `home nodes of ${key}`);
    assert.is(new Set(list).size, list.length, 'distinct members');
  }
});

test('prefix-stable: a shorter list is a prefix of a longer one', () => {
  const placement = ring(uniform(9, 3));
  for (const key of keys) {
    const full = placement.preferenceListFor(key);
    for (let length = 3; length <= full.length; length++)
      assert.equal(placement.preferenceListFor(key, length), full.slice(0, length));
  }
});

test('deterministic: the same description gives the same lists', () => {
  const first = ring(uniform(6, 3));
  const second = ring([...uniform(6, 3)].reverse());
  for (const key of keys) assert.equal(first.preferenceListFor(key), second.preferenceListFor(key));
  // A golden value (computed once and kept), so that a change of the walk is a visible
  // decision: every node of a cluster must compute the same list. Zones z0 z2 z1, z1 z2 z0.
  assert.is(first.preferenceListFor('golden').join(','), 'n0,n5,n1,n4,n2,n3');
});

test('zones: the members after the home nodes keep spreading over zones', () => {
  // 3 zones of 3 members, R = 3: homes in 3 zones; the next 3 again one per zone.
  const placement = ring(uniform(9, 3));
  const zoneOf = (id: string): string => `z${Number(id.slice(1)) % 3}`;
  for (const key of keys) {
    const list = placement.preferenceListFor(key);
    for (const window of [list.slice(0, 3), list.slice(3, 6), list.slice(6, 9)])
      assert.is(new Set(window.map(zoneOf)).size, 3, `${key}: ${window.join(',')}`);
  }
});

test('zones: two zones, R = 3 — homes 2 + 1, the next member fills the smaller zone first', () => {
  const members: RingMember[] = [
    { id: 'a1', zone: 'a', weight: 1, state: 'active' },
    { id: 'a2', zone: 'a', weight: 1, state: 'active' },
    { id: 'a3', zone: 'a', weight: 1, state: 'active' },
    { id: 'b1', zone: 'b', weight: 1, state: 'active' },
    { id: 'b2', zone: 'b', weight: 1, state: 'active' },
    { id: 'b3', zone: 'b', weight: 1, state: 'active' },
  ];
  const placement = ring(members);
  for (const key of keys) {
    const list = placement.preferenceListFor(key);
    const zones = list.map((id) => id[0]);
    const firstFour = zones.slice(0, 4);
    assert.is(firstFour.filter((zone) => zone === 'a').length, 2, `${key}: ${list.join(',')}`);
  }
});

test('draining members are never in the list; the length is bounded', () => {
  const members = uniform(5, 5).map((member) =>
    member.id === 'n2' ? { ...member, state: 'draining' as const } : member,
  );
  const placement = ring(members);
  for (const key of keys) assert.not.ok(placement.preferenceListFor(key).includes('n2'));
  const large = ring(uniform(limits.placementPreferenceListLengthMax + 4, 4));
  assert.is(large.preferenceListFor('k').length, limits.placementPreferenceListLengthMax);
  assert.throws(() => placement.preferenceListFor('k', 5), /preference list length/);
});

test.run();
