import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeIdentity,
  decodeMember,
  decodeRing,
  decodeRingState,
  encodeIdentity,
  encodeMember,
  encodeRing,
  encodeRingState,
} from '../../src/meta/cluster/records.js';
import type { MemberRecord } from '../../src/meta/cluster/records.js';
import {
  decodeObject,
  decodeRequest,
  encodeObject,
  encodeRequest,
} from '../../src/meta/objects/records.js';
import type { ObjectRecord, RequestRecord } from '../../src/meta/objects/records.js';
import {
  decodeGroupProgress as decodeProgress,
  encodeGroupProgress as encodeProgress,
} from '../../src/meta/progress.js';
import { createRingDescription } from '../../src/placement/index.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { member, sha256Of } from './helpers.js';

const memberRecord: MemberRecord = {
  ...member('n1', { weight: 2.75, role: 'learner' }),
  state: 'draining',
  addedRevision: 3,
  updatedRevision: 9,
};
const inlineObject: ObjectRecord = {
  version: 12,
  createdRevision: 4,
  size: 5,
  sha256: sha256Of('hello'),
  body: { kind: 'inline' },
};
const manifestObject: ObjectRecord = {
  version: 2 ** 40,
  createdRevision: 2 ** 40,
  size: 150,
  sha256: sha256Of('whole'),
  body: {
    kind: 'manifest',
    chunkSizeBytes: 100,
    chunks: [
      { sha256: sha256Of('a'), size: 100 },
      { sha256: sha256Of('b'), size: 50 },
    ],
  },
};
const requests: RequestRecord[] = [
  { index: 7, key: 'a/b', result: { type: 'ok', version: 7 } },
  { index: 8, key: '😀', result: { type: 'conflict', currentVersion: 0 } },
  { index: 9, key: 'k', result: { type: 'notFound' } },
  {
    index: 10,
    key: 'k',
    result: { type: 'rejected', message: 'requestId "x" was already used for another key' },
  },
];
const ring = createRingDescription({
  epoch: 5,
  settings: { replicationFactor: 2, vnodesPerWeightUnit: 64 },
  members: [
    { id: 'n2', zone: 'b', weight: 1.5, state: 'active' },
    { id: 'n1', zone: 'a', weight: 1, state: 'active', virtualNodes: 70 },
    { id: 'n3', zone: 'c', weight: 1, state: 'gone' },
  ],
});

// [name, encoded sample, decoder, expected value]
const samples: readonly [string, Uint8Array, (bytes: Uint8Array) => unknown, unknown][] = [
  [
    'identity',
    encodeIdentity({
      clusterId: 'c1',
      replicationFactor: 3,
      vnodesPerWeightUnit: 1024,
      bootstrapRevision: 2,
    }),
    decodeIdentity,
    { clusterId: 'c1', replicationFactor: 3, vnodesPerWeightUnit: 1024, bootstrapRevision: 2 },
  ],
  [
    'progress',
    encodeProgress({ appliedIndex: 90, revision: 2 ** 45, revisionBase: 2 ** 44 }),
    decodeProgress,
    { appliedIndex: 90, revision: 2 ** 45, revisionBase: 2 ** 44 },
  ],
  [
    'ring state',
    encodeRingState({ currentEpoch: 4, settledEpoch: 2 }),
    decodeRingState,
    { currentEpoch: 4, settledEpoch: 2 },
  ],
  ['member', encodeMember(memberRecord), decodeMember, memberRecord],
  ['inline object', encodeObject(inlineObject), decodeObject, inlineObject],
  ['manifest object', encodeObject(manifestObject), decodeObject, manifestObject],
  ['ring (with a calibrated member)', encodeRing(ring), decodeRing, ring],
  ...requests.map((request): [string, Uint8Array, (bytes: Uint8Array) => unknown, unknown] => [
    `request ${request.result.type}`,
    encodeRequest(request),
    decodeRequest,
    request,
  ]),
];

for (const [name, bytes, decode, expected] of samples) {
  test(`${name} record round-trips and refuses damage with CorruptionError only`, () => {
    assert.equal(decode(bytes), expected);
    for (let length = 0; length < bytes.length; length++) {
      assert.throws(
        () => decode(bytes.subarray(0, length)),
        (error: unknown) => error instanceof CorruptionError,
        `truncated to ${length}`,
      );
    }
    const extended = new Uint8Array(bytes.length + 1);
    extended.set(bytes);
    assert.throws(
      () => decode(extended),
      (error: unknown) => error instanceof CorruptionError,
      'trailing byte',
    );
    const prng = new Prng(bytes.length);
    for (let round = 0; round < 200; round++) {
      const damaged = bytes.slice();
      const position = prng.nextIntegerInclusive(0, damaged.length - 1);
      damaged[position] = prng.nextIntegerInclusive(0, 255);
      try {
        decode(damaged);
      } catch (error) {
        if (!(error instanceof CorruptionError))
          throw new Error(`${name} byte ${position}: threw ${String(error)}`);
      }
    }
  });
}

test('record invariants are checked on decode', () => {
  // settled epoch after the current one, revision below its base, created after version.
  const badRingState = encodeRingState({ currentEpoch: 4, settledEpoch: 4 });
  badRingState[badRingState.length - 1] = 5;
  assert.throws(() => decodeRingState(badRingState), /settledEpoch 5 outside \[1, 4\]/);
  const badProgress = encodeProgress({ appliedIndex: 5, revision: 5, revisionBase: 5 });
  badProgress[2] = 4;
  assert.throws(() => decodeProgress(badProgress), /revision below its base/);
  const badObject = encodeObject({ ...inlineObject, createdRevision: 12 });
  badObject[2] = 13;
  assert.throws(() => decodeObject(badObject), /createdRevision 13 outside \[1, 12\]/);
  const unknownFormat = encodeIdentity({
    clusterId: 'c',
    replicationFactor: 1,
    vnodesPerWeightUnit: 1,
    bootstrapRevision: 1,
  });
  unknownFormat[0] = 2;
  assert.throws(() => decodeIdentity(unknownFormat), /unknown record format 2/);
});

test.run();
