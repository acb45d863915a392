import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  logUniformSizeBytes,
  parseDurationMilliseconds,
  parseSizeBytes,
  parseSizeRange,
} from '../../src/bench/units.js';
import { ValueSource, valuePieceBytes } from '../../src/bench/values.js';
import { Prng } from '../../src/util/prng.js';

test('sizes: bytes, binary units, decimal units, errors', () => {
  const table: [string, number][] = [
    ['256', 256],
    ['0', 0],
    ['64KiB', 65_536],
    ['64kb', 64_000],
    ['4MiB', 4_194_304],
    ['1.5k', 1536],
    ['1GiB', 1_073_741_824],
  ];
  for (const [text, bytes] of table) assert.is(parseSizeBytes(text), bytes, text);
  for (const bad of ['', 'abc', '-1', '5TiB', '10 parsecs', '2GiB'])
    assert.throws(() => parseSizeBytes(bad), /size/, bad);
});

test('size ranges', () => {
  assert.equal(parseSizeRange('1KiB-64MiB'), {
    minimumBytes: 1024,
    maximumBytes: 64 * 1024 * 1024,
  });
  assert.equal(parseSizeRange('64MiB'), {
    minimumBytes: 64 * 1024 * 1024,
    maximumBytes: 64 * 1024 * 1024,
  });
  for (const bad of ['2KiB-1KiB', '0-1KiB', '1-2-3'])
    assert.throws(() => parseSizeRange(bad), /--sizes/, bad);
});

test('durations', () => {
  const table: [string, number][] = [
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3', 3000],
    ['0.5s', 500],
  ];
  for (const [text, milliseconds] of table)
    assert.is(parseDurationMilliseconds(text), milliseconds, text);
  for (const bad of ['', '0s', '10x', '-1s', '30d'])
    assert.throws(() => parseDurationMilliseconds(bad), /--duration/, bad);
});

test('log-uniform sizes stay in range and spread evenly over orders of magnitude', () => {
  const prng = new Prng(1);
  const range = { minimumBytes: 1024, maximumBytes: 1024 ** 3 };
  const draws = 30_000;
  let belowOneMebibyte = 0;
  for (let draw = 0; draw < draws; draw++) {
    const size = logUniformSizeBytes(range, prng);
    assert.ok(size >= range.minimumBytes && size <= range.maximumBytes);
    if (size < 1024 ** 2) belowOneMebibyte++;
  }
  // 1 KiB..1 MiB is half of the range in log scale (a uniform draw would put 0.1% there).
  assert.ok(
    Math.abs(belowOneMebibyte / draws - 0.5) < 0.02,
    `share below 1 MiB ${belowOneMebibyte / draws}`,
  );
  assert.is(logUniformSizeBytes({ minimumBytes: 7, maximumBytes: 7 }, prng), 7);
});

test('values: exact sizes, and no two bodies or pieces share bytes (chunks are content-addressed)', async () => {
  const values = new ValueSource(42);
  const small = values.body(256, 0);
  assert.instance(small, Uint8Array);
  assert.is((small as Uint8Array).length, 256);
  assert.not.equal(
    Buffer.from(small as Uint8Array),
    Buffer.from(values.body(256, 1) as Uint8Array),
  );
  assert.not.equal(
    Buffer.from(small as Uint8Array),
    Buffer.from(new ValueSource(43).body(256, 0) as Uint8Array),
    'another seed, other bytes',
  );
  const large = values.body(2 * valuePieceBytes + 5, 7);
  assert.type(large, 'function');
  const pieces: Buffer[] = [];
  for await (const piece of (large as () => import('node:stream').Readable)())
    pieces.push(piece as Buffer);
  assert.is(
    pieces.reduce((sum, piece) => sum + piece.length, 0),
    2 * valuePieceBytes + 5,
  );
  assert.not.equal(pieces[0]?.subarray(0, 64), pieces[1]?.subarray(0, 64));
  assert.is(values.body(0, 3) instanceof Uint8Array, true);
});

test.run();
