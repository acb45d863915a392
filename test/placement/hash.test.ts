import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeUtf8,
  finalMix,
  murmurHash3Bytes,
  murmurHash3String,
} from '../../src/placement/hash.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';

// Published MurmurHash3 x86_32 vectors: a bug in blocks, tail, seed or finaliser breaks one.
const vectors: readonly [text: string, seed: number, expected: number][] = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['hello', 0, 0x248bfa47],
  ['Hello, world!', 1234, 0xfaf6cdb3],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
];

test('murmurHash3String matches the published vectors', () => {
  for (const [text, seed, expected] of vectors) {
    assert.is(murmurHash3String(text, seed), expected, `${JSON.stringify(text)} seed ${seed}`);
  }
});

test('murmurHash3Bytes covers every tail length', () => {
  // Tail lengths 0..3 hash differently, and a byte array agrees with the string form.
  const seen = new Set<number>();
  for (const text of ['abcd', 'abcde', 'abcdef', 'abcdefg']) {
    const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
    const hash = murmurHash3Bytes(bytes, bytes.length);
    assert.is(hash, murmurHash3String(text));
    seen.add(hash);
  }
  assert.is(seen.size, 4);
});

test('encodeUtf8 agrees with Buffer for ASCII, 2-, 3-, 4-byte and lone surrogates', () => {
  const cases = [
    'plain',
    'café',
    '€uro',
    '日本語',
    'a😀b',
    '\ud800x',
    'x\udfff',
    '\u0000\u007f\u0080\u07ff\u0800\uffff',
  ];
  for (const text of cases) {
    const output = new Uint8Array(3 * text.length + 3);
    const length = encodeUtf8(text, output);
    assert.equal(
      [...output.subarray(0, length)],
      [...Buffer.from(text, 'utf8')],
      JSON.stringify(text),
    );
  }
});

test('finalMix is a bijection on a sample (no two inputs collide)', () => {
  const outputs = new Set<number>();
  for (let value = 0; value < 100_000; value++) outputs.add(finalMix(value));
  assert.is(outputs.size, 100_000);
});

test('hash input beyond placementHashInputBytesMax is rejected', () => {
  murmurHash3String('a'.repeat(limits.placementHashInputBytesMax));
  assert.throws(
    () => murmurHash3String('a'.repeat(limits.placementHashInputBytesMax + 1)),
    (error: unknown) => error instanceof InvalidArgumentError,
  );
  // 400 three-byte characters fit in UTF-16 length but not in bytes.
  assert.throws(() => murmurHash3String('€'.repeat(400)), /longer than/);
});

test('hash output is spread: 8 buckets of 80,000 keys within 3% of even', () => {
  const buckets = new Array<number>(8).fill(0);
  for (let index = 0; index < 80_000; index++) {
    const bucket = murmurHash3String(`key-${index}`) >>> 29;
    buckets[bucket] = (buckets[bucket] as number) + 1;
  }
  for (const count of buckets) assert.ok(Math.abs(count - 10_000) < 300, `bucket count ${count}`);
});

test.run();
