import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyRingChange,
  createRingDescription,
  parseRingDescription,
  ringDescriptionToJson,
} from '../../src/placement/index.js';
import type { RingDescription } from '../../src/placement/index.js';
import { InvalidArgumentError, NotFoundError } from '../../src/util/errors.js';

const base: RingDescription = createRingDescription({
  epoch: 10,
  settings: { replicationFactor: 3, vnodesPerWeightUnit: 16 },
  members: [
    { id: 'a', zone: 'z1', weight: 1, state: 'active' },
    { id: 'b', zone: 'z2', weight: 1, state: 'active', virtualNodes: 20 },
    { id: 'c', zone: 'z3', weight: 1, state: 'active' },
    { id: 'd', zone: 'z1', weight: 1, state: 'active' },
  ],
});
const snapshot = JSON.stringify(ringDescriptionToJson(base));

test('each change gives a new validated description with epoch + 1', () => {
  const added = applyRingChange(base, {
    kind: 'add-member',
    member: { id: 'e', zone: 'z2', weight: 2, state: 'active' },
  });
  assert.equal(
    added.members.map((member) => member.id),
    ['a', 'b', 'c', 'd', 'e'],
  );
  const removed = applyRingChange(base, { kind: 'remove-member', memberId: 'd' });
  assert.equal(
    removed.members.map((member) => member.id),
    ['a', 'b', 'c'],
  );
  const drained = applyRingChange(base, { kind: 'set-state', memberId: 'a', state: 'draining' });
  assert.is(drained.members[0]?.state, 'draining');
  const moved = applyRingChange(base, { kind: 'set-zone', memberId: 'a', zone: 'z9' });
  assert.is(moved.members[0]?.zone, 'z9');
  const widened = applyRingChange(base, { kind: 'set-replication-factor', replicationFactor: 4 });
  assert.is(widened.settings.replicationFactor, 4);
  for (const next of [added, removed, drained, moved, widened]) assert.is(next.epoch, 11);
  // The input is never modified.
  assert.is(JSON.stringify(ringDescriptionToJson(base)), snapshot);
});

test('a weight change clears a calibrated virtual node count', () => {
  assert.is(base.members[1]?.virtualNodes, 20);
  const reweighted = applyRingChange(base, { kind: 'set-weight', memberId: 'b', weight: 3 });
  assert.is(reweighted.members[1]?.weight, 3);
  assert.is(reweighted.members[1]?.virtualNodes, undefined);
  assert.not.ok('virtualNodes' in (reweighted.members[1] ?? {}));
});

test('invalid changes throw and name the problem', () => {
  const cases: readonly [string, () => unknown, new (...args: never[]) => Error, RegExp][] = [
    [
      'duplicate add',
      () =>
        applyRingChange(base, {
          kind: 'add-member',
          member: { id: 'a', zone: 'z1', weight: 1, state: 'active' },
        }),
      InvalidArgumentError,
      /already in the ring/,
    ],
    [
      'remove unknown',
      () => applyRingChange(base, { kind: 'remove-member', memberId: 'x' }),
      NotFoundError,
      /ring member "x" not found/,
    ],
    [
      'reweight unknown',
      () => applyRingChange(base, { kind: 'set-weight', memberId: 'x', weight: 1 }),
      NotFoundError,
      /not found/,
    ],
    [
      'bad weight',
      () => applyRingChange(base, { kind: 'set-weight', memberId: 'a', weight: 0 }),
      InvalidArgumentError,
      /weight must be a number/,
    ],
    [
      'too few active',
      () =>
        applyRingChange(applyRingChange(base, { kind: 'remove-member', memberId: 'd' }), {
          kind: 'set-state',
          memberId: 'a',
          state: 'gone',
        }),
      InvalidArgumentError,
      /needs at least as many active members, got 2/,
    ],
    [
      'R above members',
      () => applyRingChange(base, { kind: 'set-replication-factor', replicationFactor: 5 }),
      InvalidArgumentError,
      /got 4/,
    ],
    [
      'bad zone',
      () => applyRingChange(base, { kind: 'set-zone', memberId: 'a', zone: 'has space' }),
      InvalidArgumentError,
      /zone must be/,
    ],
  ];
  for (const [what, run, type, pattern] of cases) {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    assert.instance(caught, type, what);
    assert.match((caught as Error).message, pattern, what);
  }
});

test('virtualNodes round-trips through JSON and is validated', () => {
  const json = JSON.parse(snapshot) as { members: Record<string, unknown>[] };
  assert.is(json.members[1]?.['virtualNodes'], 20);
  assert.not.ok('virtualNodes' in (json.members[0] ?? {}));
  assert.equal(parseRingDescription(json), base);
  for (const bad of [0, -3, 1.5, '20', 1_000_000]) {
    const copy = JSON.parse(snapshot) as { members: Record<string, unknown>[] };
    (copy.members[1] as Record<string, unknown>)['virtualNodes'] = bad;
    assert.throws(() => parseRingDescription(copy), /virtualNodes must be an integer/, String(bad));
  }
});

test.run();
