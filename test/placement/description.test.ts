import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createRingDescription,
  parseRingDescription,
  ringDescriptionToJson,
} from '../../src/placement/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';

function validJson(): Record<string, unknown> {
  return {
    formatVersion: 1,
    epoch: 7,
    settings: { replicationFactor: 3, vnodesPerWeightUnit: 64 },
    members: [
      { id: 'n3', zone: 'rack-b', weight: 1, state: 'active' },
      { id: 'n1', zone: 'rack-a', weight: 2.5, state: 'active' },
      { id: 'n2', zone: 'rack-a', weight: 1, state: 'active' },
      { id: 'n4', zone: 'rack-c', weight: 1, state: 'draining' },
    ],
  };
}

function withMembers(members: unknown): Record<string, unknown> {
  return { ...validJson(), members };
}

const member = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  zone: 'z',
  weight: 1,
  state: 'active',
  ...extra,
});
const threeActive = [member('a'), member('b'), member('c')];

// [what, input, message pattern]: every rule the parser enforces, each must throw InvalidArgumentError.
const invalidCases: readonly [string, unknown, RegExp][] = [
  ['not an object', 'ring', /ring description must be an object/],
  ['array', [], /ring description must be an object/],
  ['wrong format version', { ...validJson(), formatVersion: 2 }, /formatVersion must be 1/],
  ['negative epoch', { ...validJson(), epoch: -1 }, /epoch must be a non-negative integer/],
  ['fractional epoch', { ...validJson(), epoch: 1.5 }, /epoch must be a non-negative integer/],
  ['missing settings', { ...validJson(), settings: undefined }, /ring settings must be an object/],
  [
    'R zero',
    { ...validJson(), settings: { replicationFactor: 0, vnodesPerWeightUnit: 64 } },
    /replicationFactor must be an integer/,
  ],
  [
    'R above max',
    {
      ...validJson(),
      settings: { replicationFactor: limits.replicationFactorMax + 1, vnodesPerWeightUnit: 64 },
    },
    /replicationFactor must be/,
  ],
  [
    'vnodes zero',
    { ...validJson(), settings: { replicationFactor: 3, vnodesPerWeightUnit: 0 } },
    /vnodesPerWeightUnit must be/,
  ],
  [
    'vnodes fractional',
    { ...validJson(), settings: { replicationFactor: 3, vnodesPerWeightUnit: 1.5 } },
    /vnodesPerWeightUnit must be/,
  ],
  ['members not array', withMembers({}), /ring members must be an array/],
  ['member not object', withMembers([...threeActive, 5]), /ring member 3 must be an object/],
  [
    'zero weight',
    withMembers([...threeActive, member('d', { weight: 0 })]),
    /member "d" weight must be a number/,
  ],
  [
    'negative weight',
    withMembers([...threeActive, member('d', { weight: -1 })]),
    /member "d" weight must be a number/,
  ],
  [
    'NaN weight',
    withMembers([...threeActive, member('d', { weight: Number.NaN })]),
    /member "d" weight/,
  ],
  [
    'infinite weight',
    withMembers([...threeActive, member('d', { weight: Number.POSITIVE_INFINITY })]),
    /member "d" weight/,
  ],
  [
    'string weight',
    withMembers([...threeActive, member('d', { weight: '1' })]),
    /member "d" weight/,
  ],
  [
    'weight too small for one vnode',
    withMembers([...threeActive, member('d', { weight: 0.001 })]),
    /gives 0 virtual nodes/,
  ],
  [
    'weight too large for vnode max',
    withMembers([...threeActive, member('d', { weight: 1000 })]),
    /placementVirtualNodesPerNodeMax/,
  ],
  ['duplicate ids', withMembers([...threeActive, member('b')]), /duplicate member id "b"/],
  ['empty id', withMembers([...threeActive, member('')]), /id must be 1 to 64 characters/],
  ['id with slash', withMembers([...threeActive, member('a/b')]), /id must be/],
  ['id with space', withMembers([...threeActive, member('a b')]), /id must be/],
  ['id too long', withMembers([...threeActive, member('x'.repeat(65))]), /id must be/],
  [
    'numeric id',
    withMembers([...threeActive, member(7 as unknown as string)]),
    /id must be a string/,
  ],
  ['bad zone', withMembers([...threeActive, member('d', { zone: '' })]), /member "d" zone must be/],
  [
    'bad state',
    withMembers([...threeActive, member('d', { state: 'up' })]),
    /state must be one of active, draining, gone/,
  ],
  [
    'R above member count',
    withMembers([member('a'), member('b')]),
    /replicationFactor 3 needs at least as many active members, got 2/,
  ],
  [
    'R above active count',
    withMembers([member('a'), member('b'), member('c', { state: 'draining' })]),
    /got 2/,
  ],
  ['no members', withMembers([]), /got 0/],
];

test('invalid ring descriptions are rejected with InvalidArgumentError naming the problem', () => {
  for (const [what, input, pattern] of invalidCases) {
    let caught: unknown;
    try {
      parseRingDescription(input);
    } catch (error) {
      caught = error;
    }
    assert.instance(caught, InvalidArgumentError, what);
    assert.match((caught as Error).message, pattern, what);
    assert.is((caught as InvalidArgumentError).code, 'CAIRN_ERR_INVALID_ARGUMENT', what);
  }
});

test('too many members is rejected (placementMembersMax)', () => {
  const members = Array.from({ length: limits.placementMembersMax + 1 }, (_, index) =>
    member(`n${index}`),
  );
  assert.throws(() => parseRingDescription(withMembers(members)), /placementMembersMax/);
});

test('too many virtual nodes in total is rejected (placementVirtualNodesTotalMax)', () => {
  const weight = limits.placementVirtualNodesPerNodeMax / 1024;
  const count =
    Math.floor(limits.placementVirtualNodesTotalMax / limits.placementVirtualNodesPerNodeMax) + 1;
  const members = Array.from({ length: count }, (_, index) => member(`n${index}`, { weight }));
  assert.throws(
    () =>
      parseRingDescription({
        ...validJson(),
        settings: { replicationFactor: 3, vnodesPerWeightUnit: 1024 },
        members,
      }),
    /placementVirtualNodesTotalMax/,
  );
});

test('a valid description parses into canonical form (members sorted by id)', () => {
  const description = parseRingDescription(validJson());
  assert.is(description.epoch, 7);
  assert.equal(
    description.members.map((each) => each.id),
    ['n1', 'n2', 'n3', 'n4'],
  );
  assert.is(description.members[0]?.weight, 2.5);
  assert.is(description.members[3]?.state, 'draining');
});

test('JSON round trip is exact and stable', () => {
  const description = parseRingDescription(validJson());
  const text = JSON.stringify(ringDescriptionToJson(description));
  const again = parseRingDescription(JSON.parse(text));
  assert.equal(again, description);
  assert.is(JSON.stringify(ringDescriptionToJson(again)), text);
  // Member order in the input does not change the canonical bytes.
  const reversed = {
    ...validJson(),
    members: [...(validJson()['members'] as unknown[])].reverse(),
  };
  assert.is(JSON.stringify(ringDescriptionToJson(parseRingDescription(reversed))), text);
});

test('ringDescriptionToJson drops unknown fields and copies (no shared references)', () => {
  const description = createRingDescription({
    epoch: 1,
    settings: { replicationFactor: 1, vnodesPerWeightUnit: 8 },
    members: [{ id: 'a', zone: 'z', weight: 1, state: 'active', extra: true } as never],
  });
  const json = ringDescriptionToJson(description);
  assert.equal(Object.keys(json.members[0] ?? {}), ['id', 'zone', 'weight', 'state']);
  assert.ok(json.members !== description.members);
});

test.run();
