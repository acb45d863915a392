import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message, MessageType } from '../../src/raft/index.js';
import { decodeMessageBatch, encodeMessageBatch } from '../../src/server/raft-message-codec.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';

const types: MessageType[] = [
  'vote',
  'voteResponse',
  'preVote',
  'preVoteResponse',
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'snapshot',
  'timeoutNow',
  'readIndex',
  'readIndexResponse',
  'transferLeader',
];

function randomBytes(prng: Prng, lengthMax: number): Uint8Array {
  return new Uint8Array(prng.nextIntegerInclusive(0, lengthMax)).map(
    () => prng.nextUint32() & 0xff,
  );
}

function randomMessage(prng: Prng): Message {
  const entries = Array.from({ length: prng.nextIntegerInclusive(0, 5) }, (_, offset) => ({
    term: prng.nextIntegerInclusive(1, 9),
    index: 100 + offset,
    type: prng.chance(0.2) ? ('confChange' as const) : ('normal' as const),
    data: randomBytes(prng, 64),
  }));
  const base: Message = {
    groupId: 'meta',
    type: prng.pick(types),
    from: `n${prng.nextIntegerInclusive(1, 5)}`,
    to: 'n2',
    term: prng.nextUint32(),
    logTerm: prng.nextIntegerInclusive(0, 50),
    index: prng.nextUint32() * 3,
    entries,
    commit: prng.nextIntegerInclusive(0, 1000),
    reject: prng.chance(0.5),
    rejectHint: prng.nextIntegerInclusive(0, 100),
  };
  const withContext = prng.chance(0.3) ? { ...base, context: randomBytes(prng, 16) } : base;
  if (!prng.chance(0.2)) return withContext;
  return {
    ...withContext,
    snapshot: {
      metadata: { index: 7, term: 2, confState: { voters: ['n1', 'n2'], learners: ['n3'] } },
      data: randomBytes(prng, 500),
    },
  };
}

test('random batches round-trip exactly', () => {
  const prng = new Prng(5);
  for (let round = 0; round < 300; round++) {
    const batch = {
      clusterId: 'c-1234',
      messages: Array.from({ length: prng.nextIntegerInclusive(0, 8) }, () => randomMessage(prng)),
    };
    assert.equal(decodeMessageBatch(encodeMessageBatch(batch)), batch);
  }
});

test('every truncation and a wrong version are rejected as corruption', () => {
  const prng = new Prng(6);
  const bytes = encodeMessageBatch({
    clusterId: 'c',
    messages: [randomMessage(prng), randomMessage(prng)],
  });
  for (let length = 0; length < bytes.length; length++) {
    assert.throws(
      () => decodeMessageBatch(bytes.subarray(0, length)),
      (error: unknown) => error instanceof CorruptionError,
      `length ${length}`,
    );
  }
  const wrongVersion = bytes.slice();
  wrongVersion[0] = 99;
  assert.throws(() => decodeMessageBatch(wrongVersion), /format version 99/);
});

test('random garbage fails only with a CorruptionError, never another exception', () => {
  const prng = new Prng(7);
  for (let round = 0; round < 2000; round++) {
    const garbage = randomBytes(prng, 64);
    try {
      decodeMessageBatch(garbage);
    } catch (error) {
      assert.instance(error, CorruptionError);
    }
  }
});

test.run();
