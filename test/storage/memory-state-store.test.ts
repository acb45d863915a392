// MemoryStateStore must lose exactly what LMDB may lose in a crash (unflushed batches,
// a suffix of them, never part of one) or the simulator would hide recovery bugs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStateVolume } from '../../src/storage/memory-state-store.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

async function applyPut(
  store: ReturnType<MemoryStateVolume['open']>,
  index: number,
  key: string,
  value: string,
): Promise<void> {
  await store.applyBatch([{ index, term: 1 }], (_entry, writer) => writer.put(key, bytes(value)));
}

test('a crash keeps the flushed batches and a prefix of the unflushed ones', async () => {
  const volume = new MemoryStateVolume();
  const store = volume.open();
  await applyPut(store, 1, 'a', 'one');
  await store.flush();
  await applyPut(store, 2, 'b', 'two');
  await applyPut(store, 3, 'c', 'three');
  assert.is(volume.unflushedBatches(), 2);
  volume.crash(1);
  assert.throws(() => store.appliedIndex(), /lost in a crash/);
  const reopened = volume.open();
  assert.is(reopened.appliedIndex(), 2);
  assert.is(text(reopened.get('a')), 'one');
  assert.is(text(reopened.get('b')), 'two');
  assert.is(reopened.get('c'), undefined);
});

test('a batch whose apply throws writes nothing', async () => {
  const volume = new MemoryStateVolume();
  const store = volume.open();
  await applyPut(store, 1, 'a', 'one');
  try {
    await store.applyBatch([{ index: 2, term: 1 }], (_entry, writer) => {
      writer.put('a', bytes('changed'));
      writer.delete('a');
      writer.put('z', bytes('new'));
      throw new Error('refused');
    });
    assert.unreachable('the batch throws');
  } catch (error) {
    assert.is((error as Error).message, 'refused');
  }
  assert.is(store.appliedIndex(), 1);
  assert.is(text(store.get('a')), 'one');
  assert.is(store.get('z'), undefined);
  assert.is(volume.unflushedBatches(), 1);
});

test('ranges follow UTF-8 byte order and pagination; a snapshot installs durably', async () => {
  const volume = new MemoryStateVolume();
  const store = volume.open();
  const keys = ['p/b', 'p/a', 'q/x', 'p/\u00e9', 'p/c'];
  await store.applyBatch([{ index: 1, term: 2 }], (_entry, writer) => {
    for (const key of keys) writer.put(key, bytes(key));
  });
  assert.equal(
    store.rangeByPrefix('p/').map((pair) => pair.key),
    ['p/a', 'p/b', 'p/c', 'p/\u00e9'],
  );
  assert.equal(
    store.rangeByPrefix('p/', { after: 'p/b', limit: 1 }).map((pair) => pair.key),
    ['p/c'],
  );
  const { identity, pieces } = store.createSnapshot(64);
  assert.equal(identity, { index: 1, term: 2 });
  const other = new MemoryStateVolume();
  const target = other.open();
  assert.equal(await target.installSnapshot(pieces), identity);
  other.crash(0);
  const reopened = other.open();
  assert.is(reopened.appliedIndex(), 1);
  assert.equal(
    reopened.rangeByPrefix('').map((pair) => pair.key),
    ['p/a', 'p/b', 'p/c', 'p/\u00e9', 'q/x'],
  );
});

test.run();
