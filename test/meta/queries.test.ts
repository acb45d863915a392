import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listObjects, getObject } from '../../src/meta/index.js';
import { applyCommand, readProgress } from '../../src/meta/index.js';
import type { MemoryMetaStore } from '../../src/meta/store.js';
import { InvalidKeyError } from '../../src/meta/keys.js';
import { CorruptionError, InvalidArgumentError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';
import { Prng } from '../../src/util/prng.js';
import { bootstrappedStore, inline, manifest, randomKey } from './helpers.js';

function storeWith(keys: readonly string[]): MemoryMetaStore {
  const store = bootstrappedStore();
  let index = readProgress(store).appliedIndex;
  for (const key of keys)
    applyCommand({ type: 'putObject', key, value: inline(key), requestId: '' }, ++index, store);
  return store;
}

function listAll(
  store: MemoryMetaStore,
  prefix: string,
  limit: number,
): { keys: string[]; pages: number } {
  const keys: string[] = [];
  let after: string | undefined;
  for (let pages = 1; pages <= 10_000; pages++) {
    const page = listObjects(
      store,
      after === undefined ? { prefix, limit } : { prefix, after, limit },
    );
    assert.ok(page.items.length <= limit, 'a page holds at most limit items');
    keys.push(...page.items.map((item) => item.key));
    if (page.nextAfter === undefined) return { keys, pages };
    assert.is(
      page.nextAfter,
      page.items[page.items.length - 1]?.key,
      'nextAfter is the last key of the page',
    );
    after = page.nextAfter;
  }
  throw new Error('listing did not end');
}

const byUtf8 = (left: string, right: string): number =>
  Buffer.compare(Buffer.from(left), Buffer.from(right));

test('listing returns summaries in UTF-8 byte order, without values', () => {
  const keys = ['b', 'a/2', 'a/1', 'a', 'a0', '😀', '\uffff', 'é', 'a/1/x'];
  const store = storeWith(keys);
  const page = listObjects(store);
  assert.equal(
    page.items.map((item) => item.key),
    [...keys].sort(byUtf8),
  );
  assert.is(page.nextAfter, undefined);
  const first = page.items[0];
  assert.equal(first && Object.keys(first).sort(), ['key', 'sha256', 'size', 'version']);
  assert.is(first?.size, 1);
});

test('prefix listing treats / as an ordinary character', () => {
  const store = storeWith(['a', 'a/1', 'a/1/x', 'a/2', 'a0', 'a/', 'ab/1', 'b/1']);
  assert.equal(
    listObjects(store, { prefix: 'a/' }).items.map((item) => item.key),
    ['a/', 'a/1', 'a/1/x', 'a/2'],
  );
  assert.equal(
    listObjects(store, { prefix: 'a/1' }).items.map((item) => item.key),
    ['a/1', 'a/1/x'],
  );
  assert.equal(listObjects(store, { prefix: 'a' }).items.length, 7);
  assert.equal(listObjects(store, { prefix: 'c' }).items, []);
  assert.equal(
    listObjects(store, { prefix: 'a/', after: 'a/1' }).items.map((item) => item.key),
    ['a/1/x', 'a/2'],
  );
  assert.equal(
    listObjects(store, { prefix: 'a/', after: '0' }).items.length,
    4,
    'after before the prefix starts at the prefix',
  );
  assert.equal(
    listObjects(store, { prefix: 'a/', after: 'a/9' }).items,
    [],
    'after past the prefix ends the listing',
  );
});

test('exact page boundaries: a full last page has no nextAfter, no empty trailing page', () => {
  const keys = Array.from({ length: 12 }, (_, index) => `k${String(index).padStart(2, '0')}`);
  const store = storeWith(keys);
  for (const [limit, pagesExpected] of [
    [1, 12],
    [3, 4],
    [4, 3],
    [5, 3],
    [11, 2],
    [12, 1],
    [13, 1],
  ] as const) {
    const { keys: listed, pages } = listAll(store, '', limit);
    assert.equal(listed, keys, `limit ${limit}`);
    assert.is(pages, pagesExpected, `limit ${limit} pages`);
  }
  const exact = listObjects(store, { limit: 12 });
  assert.is(exact.nextAfter, undefined);
  const short = listObjects(store, { limit: 6 });
  assert.is(short.nextAfter, 'k05');
});

test('paging random keys under random prefixes sees every matching key exactly once', () => {
  const prng = new Prng(17);
  const keys = [...new Set(Array.from({ length: 300 }, () => randomKey(prng, 4)))];
  const store = storeWith(keys);
  for (const prefix of ['', 'a', 'a/', 'é', '😀', '/']) {
    const expected = keys.filter((key) => key.startsWith(prefix)).sort(byUtf8);
    const limit = prng.nextIntegerInclusive(1, 9);
    assert.equal(
      listAll(store, prefix, limit).keys,
      expected,
      `prefix ${JSON.stringify(prefix)} limit ${limit}`,
    );
  }
});

test('listing validates its arguments', () => {
  const store = storeWith(['a']);
  assert.throws(
    () => listObjects(store, { limit: 0 }),
    (error: unknown) => error instanceof InvalidArgumentError && /limit/.test(String(error)),
  );
  assert.throws(() => listObjects(store, { limit: limits.listPageKeysMax + 1 }), /listPageKeysMax/);
  assert.throws(() => listObjects(store, { limit: 1.5 }), /limit/);
  assert.throws(() => listObjects(store, { prefix: 'a\u0000' }), /NUL/);
  assert.throws(
    () => listObjects(store, { after: '' }),
    (error: unknown) => error instanceof InvalidKeyError,
  );
  assert.is(listObjects(store, { limit: limits.listPageKeysMax }).items.length, 1);
});

test('getObject returns inline bytes or the manifest, and undefined when absent', () => {
  const store = bootstrappedStore();
  applyCommand(
    { type: 'putObject', key: 'small', value: inline('hello'), requestId: '' },
    2,
    store,
  );
  applyCommand(
    { type: 'putObject', key: 'big', value: manifest(['a', 'b'], 7), requestId: '' },
    3,
    store,
  );
  const small = getObject(store, 'small');
  assert.equal(small?.body, { kind: 'inline', bytes: new TextEncoder().encode('hello') });
  const big = getObject(store, 'big');
  assert.is(big?.size, 107);
  assert.is(big?.body.kind, 'manifest');
  assert.equal(
    big?.body.kind === 'manifest' ? big.body.chunks.map((chunk) => chunk.size) : [],
    [100, 7],
  );
  // Overwriting a manifest with inline bytes and back keeps v/ in step with o/.
  applyCommand(
    { type: 'putObject', key: 'big', value: inline('now small'), requestId: '' },
    4,
    store,
  );
  assert.is(getObject(store, 'big')?.body.kind, 'inline');
  applyCommand(
    { type: 'putObject', key: 'small', value: manifest(['c']), requestId: '' },
    5,
    store,
  );
  assert.is(store.get('v/small'), undefined, 'no stale inline bytes after a manifest overwrite');
  assert.is(getObject(store, 'missing'), undefined);
  assert.throws(
    () => getObject(store, ''),
    (error: unknown) => error instanceof InvalidKeyError,
  );
  store.delete('v/big');
  assert.throws(
    () => getObject(store, 'big'),
    (error: unknown) =>
      error instanceof CorruptionError && /missing or not 9 bytes/.test(String(error)),
  );
});

test.run();
