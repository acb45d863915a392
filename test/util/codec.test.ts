import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BinaryReader, BinaryWriter } from '../../src/util/codec.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';

test('varints round-trip at their edges', () => {
  const values = [
    0,
    1,
    127,
    128,
    255,
    16_383,
    16_384,
    2 ** 31,
    2 ** 32 + 5,
    Number.MAX_SAFE_INTEGER,
  ];
  const writer = new BinaryWriter(1);
  for (const value of values) writer.writeVarint(value);
  const reader = new BinaryReader(writer.finish());
  for (const value of values) assert.is(reader.readVarint(), value);
  reader.expectEnd();
});

test('varint encoding is LEB128', () => {
  assert.equal([...new BinaryWriter().writeVarint(300).finish()], [0xac, 0x02]);
});

test('random records round-trip', () => {
  const prng = new Prng(11);
  for (let round = 0; round < 200; round++) {
    const writer = new BinaryWriter(4);
    const expected: unknown[] = [];
    const fields = prng.nextIntegerInclusive(0, 20);
    for (let field = 0; field < fields; field++) {
      const kind = prng.nextIntegerInclusive(0, 2);
      if (kind === 0) {
        const value = prng.nextUint32() * prng.nextIntegerInclusive(1, 1000);
        writer.writeVarint(value);
        expected.push(value);
      } else if (kind === 1) {
        const bytes = new Uint8Array(prng.nextIntegerInclusive(0, 300)).map(
          () => prng.nextUint32() & 0xff,
        );
        writer.writeBytes(bytes);
        expected.push(bytes);
      } else {
        const text = `κλειδί/${prng.nextUint32()}/🪨`;
        writer.writeString(text);
        expected.push(text);
      }
    }
    const reader = new BinaryReader(writer.finish());
    for (const value of expected) {
      if (typeof value === 'number') assert.is(reader.readVarint(), value);
      else if (typeof value === 'string') assert.is(reader.readString(), value);
      else assert.equal(reader.readBytes(), value);
    }
    reader.expectEnd();
  }
});

test('malformed input fails with a CorruptionError naming the offset', () => {
  const cases: [string, Uint8Array, (reader: BinaryReader) => unknown][] = [
    ['truncated varint', new Uint8Array([0x80]), (reader) => reader.readVarint()],
    ['overlong varint', new Uint8Array(9).fill(0xff), (reader) => reader.readVarint()],
    ['length beyond the end', new Uint8Array([5, 1, 2]), (reader) => reader.readBytes()],
    ['length above a limit', new Uint8Array([3, 1, 2, 3]), (reader) => reader.readBytes(2)],
    ['invalid UTF-8', new Uint8Array([2, 0xc3, 0x28]), (reader) => reader.readString()],
    ['bad boolean', new Uint8Array([2]), (reader) => reader.readBoolean()],
    [
      'trailing bytes',
      new Uint8Array([1, 0]),
      (reader) => (reader.readVarint(), reader.expectEnd()),
    ],
  ];
  for (const [name, bytes, read] of cases) {
    try {
      read(new BinaryReader(bytes, 'sample'));
      assert.unreachable(name);
    } catch (error) {
      assert.instance(error, CorruptionError, name);
      assert.match((error as Error).message, /malformed sample: .* at byte \d+/, name);
    }
  }
});

test('the writer refuses values it cannot encode', () => {
  assert.throws(() => new BinaryWriter().writeVarint(-1), /non-negative/);
  assert.throws(() => new BinaryWriter().writeVarint(1.5), /non-negative/);
  assert.throws(() => new BinaryWriter().writeUint8(256), /uint8/);
});

test.run();
