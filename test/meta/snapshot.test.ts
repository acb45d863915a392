import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetaCommand } from '../../src/meta/commands.js';
import { clusterInfo, getObject, listObjects } from '../../src/meta/index.js';
import { MetaSnapshotRestorer, restoreSnapshot, snapshotPieces } from '../../src/meta/snapshot.js';
import { applyCommand } from '../../src/meta/index.js';
import { MemoryMetaStore } from '../../src/meta/store.js';
import { AssertionFailure } from '../../src/util/assert.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { crc32c } from '../../src/storage/crc32c.js';
import { bootstrapThree, dump, randomCommand, randomKey } from './helpers.js';

function populatedStore(seed: number, commandCount: number): MemoryMetaStore {
  const prng = new Prng(seed);
  const store = new MemoryMetaStore();
  const keys = Array.from({ length: 40 }, () => randomKey(prng, 8));
  const commands: MetaCommand[] = [bootstrapThree];
  for (let count = 0; count < commandCount; count++) commands.push(randomCommand(prng, keys));
  commands.forEach((command, offset) => applyCommand(command, offset + 1, store));
  return store;
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

test('snapshot pieces respect the bound and restore to an identical store', () => {
  const source = populatedStore(1, 600);
  for (const pieceBytesMax of [16, 100, 4096, 1024 * 1024]) {
    const pieces = [...snapshotPieces(source, pieceBytesMax)];
    for (const piece of pieces.slice(0, -1))
      assert.is(piece.length, pieceBytesMax, 'every piece but the last is full');
    assert.ok((pieces[pieces.length - 1]?.length ?? 0) <= pieceBytesMax);
    const target = new MemoryMetaStore();
    const { entryCount } = restoreSnapshot(pieces, target);
    assert.is(entryCount, source.size);
    assert.equal(dump(target), dump(source), `piece size ${pieceBytesMax}`);
  }
  const target = new MemoryMetaStore();
  restoreSnapshot(snapshotPieces(source, 512), target);
  assert.equal(clusterInfo(target), clusterInfo(source));
  assert.equal(listObjects(target), listObjects(source));
});

test('the stream is independent of the piece size, and any re-cutting of it restores', () => {
  const source = populatedStore(2, 300);
  const whole = concat([...snapshotPieces(source, 1024 * 1024)]);
  assert.equal([...concat([...snapshotPieces(source, 33)])], [...whole]);
  const prng = new Prng(9);
  for (let round = 0; round < 20; round++) {
    const target = new MemoryMetaStore();
    const restorerOnTarget = new MetaSnapshotRestorer(target);
    for (let offset = 0; offset < whole.length; ) {
      const size = prng.nextIntegerInclusive(0, 200);
      restorerOnTarget.push(whole.subarray(offset, offset + size));
      offset += size;
    }
    restorerOnTarget.finish();
    assert.equal(dump(target), dump(source), `round ${round}`);
    assert.is(restorerOnTarget.entryCount, source.size);
  }
});

test('an empty store snapshots and restores', () => {
  const target = new MemoryMetaStore();
  assert.equal(restoreSnapshot(snapshotPieces(new MemoryMetaStore(), 64), target), {
    entryCount: 0,
  });
  assert.is(target.size, 0);
});

test('a restore must start from an empty store', () => {
  const target = new MemoryMetaStore();
  target.put('c/x', new Uint8Array([1]));
  assert.throws(
    () => new MetaSnapshotRestorer(target),
    (error: unknown) => error instanceof AssertionFailure,
  );
});

function expectRefused(bytes: Uint8Array, what: string, pattern?: RegExp): void {
  try {
    restoreSnapshot([bytes], new MemoryMetaStore());
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw new Error(`${what}: threw ${String(error)}`);
    if (pattern !== undefined) assert.match(error.message, pattern, what);
    return;
  }
  assert.unreachable(`${what}: restored`);
}

test('truncations (a spread of lengths and the last byte), a trailing byte, and any single bit flip are refused with CorruptionError', () => {
  const source = populatedStore(3, 40);
  const whole = concat([...snapshotPieces(source, 4096)]);
  for (let length = 0; length < whole.length; length += 1 + Math.floor(length / 50)) {
    expectRefused(whole.subarray(0, length), `truncated to ${length}`);
  }
  expectRefused(whole.subarray(0, whole.length - 1), 'missing last byte', /ended early/);
  const extended = new Uint8Array(whole.length + 1);
  extended.set(whole);
  expectRefused(extended, 'trailing byte', /after the end/);
  const prng = new Prng(4);
  for (let round = 0; round < 300; round++) {
    const damaged = whole.slice();
    const position = prng.nextIntegerInclusive(0, damaged.length - 1);
    damaged[position] = (damaged[position] as number) ^ (1 << prng.nextIntegerInclusive(0, 7));
    expectRefused(damaged, `bit flip at ${position}`);
  }
});

test('specific damage is named: magic, format, order, count, checksum', () => {
  const source = new MemoryMetaStore();
  source.put('a', new Uint8Array([1]));
  source.put('b', new Uint8Array([2]));
  const whole = concat([...snapshotPieces(source, 4096)]);
  // header(10) | 1, 1, 'a', 1, 1 | 1, 1, 'b', 1, 2 | 2, 2 | crc(4)
  assert.is(whole.length, 10 + 5 + 5 + 2 + 4);
  const withByte = (position: number, value: number): Uint8Array => {
    const copy = whole.slice();
    copy[position] = value;
    return copy;
  };
  expectRefused(withByte(0, 0x58), 'magic', /bad magic/);
  expectRefused(withByte(9, 2), 'format', /unknown snapshot format 2/);
  expectRefused(withByte(17, 0x61), 'repeated key', /out of order or repeated/);
  expectRefused(withByte(21, 3), 'count', /trailer counts 3 entries, the stream has 2/);
  expectRefused(withByte(14, 9), 'value byte', /checksum mismatch/);
  expectRefused(withByte(10, 7), 'record tag', /unknown record tag 7/);
});

test('a stream with a valid checksum but a non-canonical length is refused', () => {
  const header = [...new TextEncoder().encode('CAIRNMETA'), 1];
  // Entry "a" -> [1] with its key length written as 0x81 0x00 (1 in two bytes), then the trailer.
  const body = new Uint8Array([...header, 1, 0x81, 0x00, 0x61, 1, 1, 2, 1]);
  const stream = new Uint8Array(body.length + 4);
  stream.set(body);
  new DataView(stream.buffer).setUint32(body.length, crc32c(body), true);
  expectRefused(stream, 'non-canonical key length', /malformed key length/);
  // The same stream written canonically is accepted: the refusal is about the varint alone.
  const canonical = new Uint8Array([...header, 1, 1, 0x61, 1, 1, 2, 1]);
  const good = new Uint8Array(canonical.length + 4);
  good.set(canonical);
  new DataView(good.buffer).setUint32(canonical.length, crc32c(canonical), true);
  assert.equal(restoreSnapshot([good], new MemoryMetaStore()), { entryCount: 1 });
});

test('restored objects read back byte for byte', () => {
  const source = new MemoryMetaStore();
  applyCommand(bootstrapThree, 1, source);
  const bytes = new Uint8Array(60_000).map((_, index) => (index * 7) & 0xff);
  applyCommand(
    { type: 'putObject', key: 'blob', value: { kind: 'inline', bytes }, requestId: '' },
    2,
    source,
  );
  const target = new MemoryMetaStore();
  restoreSnapshot(snapshotPieces(source, 1000), target);
  const restored = getObject(target, 'blob');
  assert.equal(restored?.body, { kind: 'inline', bytes });
});

test.run();
