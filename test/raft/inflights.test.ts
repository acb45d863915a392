import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Inflights } from '../../src/raft/inflights.js';

test('full by message count', () => {
  const inflights = new Inflights(3, 1000);
  inflights.add(1, 10);
  inflights.add(2, 10);
  assert.not.ok(inflights.full());
  inflights.add(3, 10);
  assert.ok(inflights.full());
  assert.throws(() => inflights.add(4, 10), /full/);
});

test('full by bytes', () => {
  const inflights = new Inflights(100, 100);
  inflights.add(1, 60);
  assert.not.ok(inflights.full());
  inflights.add(2, 40);
  assert.ok(inflights.full());
  assert.is(inflights.bytes, 100);
});

test('freeLE frees a prefix and its bytes, across the ring boundary', () => {
  const inflights = new Inflights(4, 1000);
  const table: { add: number[]; freeLE: number; count: number; bytes: number }[] = [
    { add: [1, 2, 3], freeLE: 0, count: 3, bytes: 30 },
    { add: [], freeLE: 2, count: 1, bytes: 10 },
    { add: [4, 5, 6], freeLE: 3, count: 3, bytes: 30 }, // 4,5,6 wrap around the end
    { add: [7], freeLE: 5, count: 2, bytes: 20 },
    { add: [], freeLE: 100, count: 0, bytes: 0 },
  ];
  for (const row of table) {
    for (const index of row.add) inflights.add(index, 10);
    inflights.freeLE(row.freeLE);
    assert.is(inflights.count, row.count, `after freeLE ${row.freeLE}`);
    assert.is(inflights.bytes, row.bytes, `bytes after freeLE ${row.freeLE}`);
  }
});

test('freeFirstOne frees exactly the oldest', () => {
  const inflights = new Inflights(2, 1000);
  inflights.add(5, 1);
  inflights.add(9, 2);
  inflights.freeFirstOne();
  assert.is(inflights.count, 1);
  assert.is(inflights.bytes, 2);
  inflights.add(10, 3);
  assert.ok(inflights.full());
});

test('indexes must increase; bounds are enforced', () => {
  const inflights = new Inflights(4, 1000);
  inflights.add(5, 1);
  assert.throws(() => inflights.add(5, 1), /increase/);
  assert.throws(() => new Inflights(0, 10), /inflight messages max/);
  assert.throws(() => new Inflights(100_000, 10), /inflight messages max/);
});

test.run();
