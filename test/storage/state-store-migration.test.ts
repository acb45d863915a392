// A state written by lmdb-js 3.x (an earlier cairn) opens on lmdb-js 2.9: it is copied
// key by key into a fresh environment (src/storage/state-environment.ts). Writing into
// the old file instead aborts the process: 2.9 misreads 3.x's free-page records (the
// fixture does that to an unmigrated write: "Assertion 'rc == 0' failed in
// mdb_page_dirty()"). The fixture was written by lmdb-js 3.5.6 with
// fixtures/state-lmdb3/make-fixture.mjs: 120 transactions of 20 puts and removes.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { legacyPathOf, storeFormatFileName } from '../../src/storage/state-environment.js';
import { StateStore } from '../../src/storage/state-store.js';
import { temporaryDirectory } from './helpers.js';

const fixture = new URL('./fixtures/state-lmdb3/data.mdb', import.meta.url).pathname;
const fixtureAppliedIndex = 2400;
const deadlineMilliseconds = 10_000;

/** The fixture's state, from the generator's rule. */
function fixtureModel(): Map<string, string> {
  const model = new Map<string, string>();
  for (let index = 1; index <= fixtureAppliedIndex; index++) {
    const key = `k/${String((index * 7919) % 150).padStart(5, '0')}`;
    if (index % 5 === 0) model.delete(key);
    else model.set(key, `v${index}`.padEnd(100, '.'));
  }
  return model;
}

function assertState(store: StateStore, model: Map<string, string>): void {
  const keys = store.rangeByPrefix('k/', { limit: 1000 });
  assert.is(keys.length, model.size, 'every key of the state, no other');
  for (const { key, value } of keys)
    assert.is(Buffer.from(value).toString('utf8'), model.get(key), key);
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMilliseconds;
  while (!condition()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Writes that reuse free pages: overwrites and removes over many transactions. */
async function churn(store: StateStore, model: Map<string, string>): Promise<void> {
  let index = store.appliedIndex();
  for (let batch = 0; batch < 150; batch++) {
    const entries = Array.from({ length: 20 }, () => ({ index: ++index, term: 4 }));
    await store.applyBatch(entries, (entry, writer) => {
      const key = `k/${String((entry.index * 31) % 150).padStart(5, '0')}`;
      if (entry.index % 4 === 0) {
        writer.delete(key);
        model.delete(key);
      } else {
        const value = `w${entry.index}`.padEnd(100, '-');
        writer.put(key, Buffer.from(value));
        model.set(key, value);
      }
    });
  }
}

test('a state written by lmdb-js 3.x is copied on open; writes and a reopen then work', async () => {
  const directory = temporaryDirectory('state-migration');
  const path = join(directory.path, 'state');
  mkdirSync(path);
  copyFileSync(fixture, join(path, 'data.mdb'));
  const model = fixtureModel();
  try {
    const store = StateStore.open(path);
    assert.is(store.appliedIndex(), fixtureAppliedIndex);
    assert.is(store.appliedTerm(), 3);
    assertState(store, model);
    assert.ok(existsSync(join(path, storeFormatFileName)), 'the copy is marked');
    await waitUntil(() => !existsSync(legacyPathOf(path)), 'the old file is removed');
    await churn(store, model);
    assertState(store, model);
    await store.close();
    const reopened = StateStore.open(path);
    assert.is(reopened.appliedIndex(), fixtureAppliedIndex + 150 * 20);
    assertState(reopened, model);
    await reopened.close();
  } finally {
    directory.remove();
  }
});

test('a copy cut short by a crash is redone from the old file', async () => {
  const directory = temporaryDirectory('state-migration');
  const path = join(directory.path, 'state');
  const legacyPath = legacyPathOf(path);
  mkdirSync(legacyPath);
  copyFileSync(fixture, join(legacyPath, 'data.mdb'));
  // What a crash mid-copy leaves: a fresh directory without its marker.
  mkdirSync(path);
  writeFileSync(join(path, 'data.mdb'), Buffer.alloc(8192));
  try {
    const store = StateStore.open(path);
    assert.is(store.appliedIndex(), fixtureAppliedIndex);
    assertState(store, fixtureModel());
    await store.close();
  } finally {
    directory.remove();
  }
});

test('a new state directory is marked and needs no copy', async () => {
  const directory = temporaryDirectory('state-migration');
  const path = join(directory.path, 'state');
  try {
    const store = StateStore.open(path);
    assert.ok(existsSync(join(path, storeFormatFileName)));
    assert.not.ok(existsSync(legacyPathOf(path)));
    assert.is(store.appliedIndex(), 0);
    await store.close();
  } finally {
    directory.remove();
  }
});

test.run();
