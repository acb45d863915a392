import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c, crc32cUpdate } from '../../src/storage/crc32c.js';
import { Prng } from '../../src/util/prng.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

// Published check values (RFC 3720 appendix B.4 and the CRC catalogue).
const knownValues: ReadonlyArray<readonly [string, Uint8Array, number]> = [
  ['empty', new Uint8Array(0), 0x00000000],
  ['"123456789"', ascii('123456789'), 0xe3069283],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 bytes of 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 ascending bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 descending bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
];

for (const [name, input, expected] of knownValues) {
  test(`crc32c of ${name} is the published value`, () => {
    assert.is(crc32c(input), expected);
  });
}

function bytewiseReference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('slicing-by-8 equals the bit-at-a-time definition on random lengths and offsets', () => {
  const prng = new Prng(11);
  for (let round = 0; round < 200; round++) {
    const bytes = Uint8Array.from({ length: prng.nextIntegerInclusive(0, 100) }, () =>
      prng.nextIntegerInclusive(0, 255),
    );
    const start = prng.nextIntegerInclusive(0, bytes.length);
    const end = prng.nextIntegerInclusive(start, bytes.length);
    assert.is(crc32c(bytes, start, end), bytewiseReference(bytes.subarray(start, end)));
  }
});

test('feeding pieces gives the same checksum as the whole', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
  let running = 0;
  for (let position = 0; position < bytes.length; position += 37) {
    running = crc32cUpdate(running, bytes, position, Math.min(bytes.length, position + 37));
  }
  assert.is(running, crc32c(bytes));
});

test('a single flipped bit changes the checksum', () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);
  const original = crc32c(bytes);
  for (let bit = 0; bit < 64 * 8; bit += 13) {
    bytes[bit >> 3]! ^= 1 << (bit & 7);
    assert.is.not(crc32c(bytes), original);
    bytes[bit >> 3]! ^= 1 << (bit & 7);
  }
});

test.run();
