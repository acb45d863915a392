import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetaCommand } from '../../src/meta/commands.js';
import { commandChangesMembership, decodeCommand, encodeCommand } from '../../src/meta/commands.js';
import { CorruptionError, InvalidArgumentError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';
import { Prng } from '../../src/util/prng.js';
import {
  bootstrapThree,
  inline,
  manifest,
  member,
  randomCommand,
  randomKey,
  sha256Of,
} from './helpers.js';

test('random commands of every kind round-trip exactly (seeded)', () => {
  const prng = new Prng(101);
  const seen = new Set<string>();
  for (let round = 0; round < 2000; round++) {
    const keys = [randomKey(prng), randomKey(prng, 30)];
    const command = randomCommand(prng, keys);
    seen.add(command.type);
    const bytes = encodeCommand(command);
    const decoded = decodeCommand(bytes);
    assert.equal(decoded, command, `round ${round}: ${command.type}`);
    assert.equal(
      [...encodeCommand(decoded)],
      [...bytes],
      `round ${round}: re-encoding is identical`,
    );
  }
  for (const type of [
    'noop',
    'addMember',
    'updateMember',
    'removeMember',
    'settleEpoch',
    'putObject',
    'deleteObject',
  ]) {
    assert.ok(seen.has(type), `generated ${type}`);
  }
});

test('commandChangesMembership reads the tag: members, bootstrap and epochs yes; objects and noop no; unknown bytes yes', () => {
  const prng = new Prng(7);
  const membership = new Set([
    'bootstrapCluster',
    'addMember',
    'updateMember',
    'removeMember',
    'settleEpoch',
  ]);
  for (let round = 0; round < 500; round++) {
    const command = randomCommand(prng, [randomKey(prng)]);
    assert.is(
      commandChangesMembership(encodeCommand(command)),
      membership.has(command.type),
      command.type,
    );
  }
  assert.ok(commandChangesMembership(encodeCommand(bootstrapThree)));
  assert.ok(commandChangesMembership(new Uint8Array([1])), 'too short');
  assert.ok(commandChangesMembership(new Uint8Array([99, 6])), 'unknown format version');
  assert.ok(commandChangesMembership(new Uint8Array([1, 200])), 'unknown tag');
});

test('bootstrap, float weights, long keys and full-size inline values round-trip', () => {
  const commands: MetaCommand[] = [
    bootstrapThree,
    { type: 'addMember', ...member('n4', { weight: 0.1 + 0.2, role: 'learner' }) },
    {
      type: 'putObject',
      key: 'k'.repeat(limits.keyLengthBytesMax),
      value: inline(''),
      requestId: '',
    },
    {
      type: 'putObject',
      key: 'x',
      value: { kind: 'inline', bytes: new Uint8Array(limits.objectInlineBytesMax).fill(7) },
      requestId: 'r',
    },
    {
      type: 'putObject',
      key: '日本/😀',
      value: manifest(['a', 'b', 'c'], 1),
      condition: { ifVersion: 2 ** 40 },
      requestId: 'abc-123',
      writeStartIndex: 2 ** 40,
    },
    { type: 'deleteObject', key: 'a/b', condition: { ifAbsent: true }, requestId: '' },
    { type: 'updateMember', id: 'n1', clientAddress: 'http://[::1]:7000', state: 'draining' },
  ];
  for (const command of commands)
    assert.equal(decodeCommand(encodeCommand(command)), command, command.type);
});

test('the encoding is compact and stable (golden bytes)', () => {
  const bytes = encodeCommand({
    type: 'deleteObject',
    key: 'ab',
    condition: { ifVersion: 300 },
    requestId: '',
  });
  // format 1, tag 7 (deleteObject), key "ab", condition ifVersion 300 (LEB128 ac 02), empty requestId
  assert.equal([...bytes], [1, 7, 2, 0x61, 0x62, 1, 0xac, 0x02, 0]);
  const put = encodeCommand({ type: 'putObject', key: 'k', value: inline('v'), requestId: '' });
  // ..., no condition, empty requestId, writeStartIndex 0 (none: an inline value)
  assert.equal([...put], [1, 6, 1, 0x6b, 1, 1, 0x76, 0, 0, 0]);
});

test('a manifest chunk costs 33 bytes of SHA-256 plus a varint size', () => {
  const one = encodeCommand({
    type: 'putObject',
    key: 'k',
    value: manifest(['a', 'b', 'c'], 5),
    requestId: '',
    writeStartIndex: 1,
  });
  const two = encodeCommand({
    type: 'putObject',
    key: 'k',
    value: manifest(['a', 'b', 'c', 'd'], 5),
    requestId: '',
    writeStartIndex: 1,
  });
  assert.is(two.length - one.length, 33 + 1);
});

// [what, command, message pattern]: the encoder refuses each with InvalidArgumentError.
const invalidCommands: readonly [string, MetaCommand, RegExp][] = [
  [
    'empty key',
    { type: 'putObject', key: '', value: inline('v'), requestId: '' },
    /must not be empty/,
  ],
  ['NUL in key', { type: 'deleteObject', key: 'a\u0000b', requestId: '' }, /NUL/],
  [
    'key too long',
    { type: 'deleteObject', key: 'é'.repeat(513), requestId: '' },
    /at most 1024 bytes/,
  ],
  ['lone surrogate', { type: 'deleteObject', key: 'a\ud800', requestId: '' }, /lone surrogate/],
  [
    'inline value too large',
    {
      type: 'putObject',
      key: 'k',
      value: { kind: 'inline', bytes: new Uint8Array(limits.objectInlineBytesMax + 1) },
      requestId: '',
    },
    /objectInlineBytesMax/,
  ],
  [
    'chunk sizes do not add up',
    {
      type: 'putObject',
      key: 'k',
      value: {
        ...(manifest(['a', 'b']) as Extract<ReturnType<typeof manifest>, { kind: 'manifest' }>),
        size: 7,
      },
      requestId: '',
    },
    /add up to 200/,
  ],
  [
    'short middle chunk',
    {
      type: 'putObject',
      key: 'k',
      value: {
        kind: 'manifest',
        size: 60,
        sha256: sha256Of('x'),
        chunkSizeBytes: 50,
        chunks: [
          { sha256: sha256Of('a'), size: 10 },
          { sha256: sha256Of('b'), size: 50 },
        ],
      },
      requestId: '',
    },
    /chunk 0 size must be an integer in \[50, 50\]/,
  ],
  [
    'uppercase sha256',
    {
      type: 'putObject',
      key: 'k',
      value: {
        kind: 'manifest',
        size: 1,
        sha256: sha256Of('x').toUpperCase(),
        chunkSizeBytes: 1,
        chunks: [{ sha256: sha256Of('a'), size: 1 }],
      },
      requestId: '',
    },
    /sha256 must be 64 lowercase hex/,
  ],
  [
    'negative ifVersion',
    { type: 'deleteObject', key: 'k', condition: { ifVersion: -1 }, requestId: '' },
    /ifVersion/,
  ],
  ['request id with space', { type: 'deleteObject', key: 'k', requestId: 'a b' }, /requestId/],
  ['update changes nothing', { type: 'updateMember', id: 'n1' }, /changes nothing/],
  ['zero weight', { type: 'addMember', ...member('n9', { weight: 0 }) }, /weight/],
  ['member id with slash', { type: 'removeMember', id: 'a/b' }, /member id/],
  [
    'address with space',
    { type: 'addMember', ...member('n9', { peerAddress: 'a b' }) },
    /peerAddress/,
  ],
  ['settle epoch 0', { type: 'settleEpoch', epoch: 0 }, /epoch/],
  [
    'bootstrap without voters',
    { ...bootstrapThree, members: [member('n1', { role: 'learner' })] } as MetaCommand,
    /voters/,
  ],
  [
    'bootstrap duplicate ids',
    { ...bootstrapThree, members: [member('n1'), member('n1')] } as MetaCommand,
    /duplicate member id/,
  ],
  [
    'bootstrap R 0',
    { ...bootstrapThree, replicationFactor: 0 } as MetaCommand,
    /replicationFactor/,
  ],
];

for (const [what, command, pattern] of invalidCommands) {
  test(`encodeCommand refuses: ${what}`, () => {
    try {
      encodeCommand(command);
      assert.unreachable('should have thrown');
    } catch (error) {
      assert.instance(error, InvalidArgumentError);
      assert.match((error as Error).message, pattern);
    }
  });
}

test('the largest manifest fits a Raft entry; one chunk more is refused', () => {
  const names = Array.from({ length: limits.metaManifestChunksMax }, (_, index) => `c${index}`);
  const largest = encodeCommand({
    type: 'putObject',
    key: 'k',
    value: manifest(names),
    requestId: '',
    writeStartIndex: 1,
  });
  assert.ok(largest.length < limits.raftEntryBytesMax, `${largest.length} bytes`);
  assert.equal(decodeCommand(largest).type, 'putObject');
  const tooMany = manifest([...names, 'one-more']);
  assert.throws(
    () => encodeCommand({ type: 'putObject', key: 'k', value: tooMany, requestId: '' }),
    (error: unknown) =>
      error instanceof InvalidArgumentError && /chunk count/.test((error as Error).message),
  );
});

function expectCorruption(bytes: Uint8Array, what: string): void {
  try {
    decodeCommand(bytes);
    assert.unreachable(`${what}: decoded`);
  } catch (error) {
    if (!(error instanceof CorruptionError))
      throw new Error(`${what}: threw ${String(error)} instead of a CorruptionError`);
    assert.match(error.message, /meta command/);
  }
}

test('decoding refuses every truncation of every kind of command with CorruptionError', () => {
  const prng = new Prng(7);
  for (let round = 0; round < 300; round++) {
    const bytes = encodeCommand(randomCommand(prng, [randomKey(prng)]));
    for (let length = 0; length < bytes.length; length++)
      expectCorruption(bytes.subarray(0, length), `round ${round} length ${length}`);
    const extended = new Uint8Array(bytes.length + 1);
    extended.set(bytes);
    expectCorruption(extended, `round ${round} trailing byte`);
  }
});

test('random garbage and bit flips decode to a valid command or throw CorruptionError, nothing else', () => {
  const prng = new Prng(8);
  let refused = 0;
  let accepted = 0;
  for (let round = 0; round < 3000; round++) {
    let bytes: Uint8Array;
    if (round % 2 === 0) {
      bytes = new Uint8Array(prng.nextIntegerInclusive(0, 64));
      for (let index = 0; index < bytes.length; index++)
        bytes[index] = prng.nextIntegerInclusive(0, 255);
      if (bytes.length > 1 && prng.chance(0.7)) bytes[0] = 1; // get past the format byte
    } else {
      bytes = encodeCommand(randomCommand(prng, [randomKey(prng)])).slice();
      const position = prng.nextIntegerInclusive(0, bytes.length - 1);
      bytes[position] = (bytes[position] as number) ^ (1 << prng.nextIntegerInclusive(0, 7));
    }
    try {
      const command = decodeCommand(bytes);
      // Whatever is accepted is canonical: it encodes back to the same bytes.
      assert.equal(
        [...encodeCommand(command)],
        [...bytes],
        `round ${round}: accepted bytes are canonical`,
      );
      accepted++;
    } catch (error) {
      if (!(error instanceof CorruptionError))
        throw new Error(`round ${round}: threw ${String(error)}`);
      refused++;
    }
  }
  assert.ok(refused > 1000, `most garbage is refused (${refused})`);
  assert.ok(accepted > 10, `some bit flips land on valid commands (${accepted})`);
});

test('specific malformed encodings are refused with a message naming the problem', () => {
  const cases: readonly [number[], RegExp][] = [
    [[], /truncated before format version/],
    [[2, 0], /unknown format version 2/],
    [[1, 99], /unknown command tag 99/],
    [[1, 7, 0x81, 0x00, 0x61, 0, 0], /non-canonical length of key/],
    [[1, 7, 1, 0xff, 0, 0], /key is not valid UTF-8/],
    [[1, 7, 1, 0x00, 0, 0], /NUL/],
    [[1, 7, 1, 0x61, 3, 0], /unknown condition kind 3/],
    [[1, 5, 0], /epoch 0 outside/],
    [[1, 3, 2, 0x6e, 0x31, 0], /changes nothing/],
  ];
  for (const [bytes, pattern] of cases) {
    try {
      decodeCommand(new Uint8Array(bytes));
      assert.unreachable(`decoded ${bytes.join(',')}`);
    } catch (error) {
      assert.instance(error, CorruptionError, `bytes ${bytes.join(',')}`);
      assert.match((error as Error).message, pattern);
    }
  }
});

test.run();
