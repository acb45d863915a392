// The garbage family (issue 13): a collection takes only chunks nothing references at its
// entry, and a chunked write whose chunks a later collection took is refused at its commit
// (retryable), so a put racing the collector never commits a manifest whose chunks went.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chunksCollectedMessagePrefix,
  chunkTombstoneIndex,
  nextCollection,
  readGarbageState,
} from '../../src/meta/garbage/index.js';
import type { MetaCommand, ObjectValue } from '../../src/meta/commands.js';
import { encodeCommand } from '../../src/meta/commands.js';
import { getObject } from '../../src/meta/objects/index.js';
import { applyEntryDataReporting } from '../../src/meta/state-machine.js';
import type { MetaResult } from '../../src/meta/results.js';
import { limits } from '../../src/util/limits.js';
import { bootstrappedStore, manifest, sha256Of } from './helpers.js';

type Manifest = Extract<ObjectValue, { kind: 'manifest' }>;

class Harness {
  readonly store = bootstrappedStore();
  index = 1;

  /** Applies through the wire form, as a replica does; returns the result and its index. */
  apply(command: MetaCommand): MetaResult {
    this.index++;
    return applyEntryDataReporting(encodeCommand(command), this.index, this.store).result;
  }

  put(key: string, names: string[], writeStartIndex: number): MetaResult {
    const value = manifest(names);
    return this.apply({ type: 'putObject', key, value, requestId: '', writeStartIndex });
  }

  collect(names: string[]): MetaResult {
    return this.apply({ type: 'collectChunks', sha256s: names.map(sha256Of) });
  }
}

function refusedAsCollected(result: MetaResult): boolean {
  return result.type === 'rejected' && result.message.startsWith(chunksCollectedMessagePrefix);
}

test('a collection takes only chunks nothing references at its entry', () => {
  const harness = new Harness();
  assert.is(harness.put('live', ['a'], harness.index).type, 'ok');
  assert.is(harness.put('gone', ['b'], harness.index).type, 'ok');
  assert.is(harness.apply({ type: 'deleteObject', key: 'gone', requestId: '' }).type, 'ok');
  const staged = manifest(['s']) as Manifest;
  const stage = harness.apply({
    type: 'stageObject',
    handle: 'f'.repeat(32),
    proposedAtMilliseconds: 1,
    lifetimeMilliseconds: 60_000,
    value: staged,
    writeStartIndex: harness.index,
  });
  assert.is(stage.type, 'ok');
  assert.is(harness.collect(['a', 'b', 's', 'orphan']).type, 'ok');
  const collectedAt = harness.index;
  const { store } = harness;
  assert.is(chunkTombstoneIndex(store, sha256Of('a')), undefined, 'a current manifest holds a');
  assert.is(chunkTombstoneIndex(store, sha256Of('b')), undefined, 'the history retains b');
  assert.is(chunkTombstoneIndex(store, sha256Of('s')), undefined, 'a staged upload holds s');
  assert.is(chunkTombstoneIndex(store, sha256Of('orphan')), collectedAt, 'nothing holds it');
  assert.equal(readGarbageState(store), {
    lastCollectionIndex: collectedAt,
    collectionsRetained: 1,
    droppedThroughIndex: 0,
  });
  assert.equal(nextCollection(store, 0, collectedAt), {
    index: collectedAt,
    sha256s: [sha256Of('orphan')],
  });
  assert.is(nextCollection(store, collectedAt, collectedAt + 10), undefined);
  assert.is(nextCollection(store, 0, collectedAt - 1), undefined, 'not past what was applied');
});

test('a collection of only referenced chunks takes nothing and changes no state', () => {
  const harness = new Harness();
  assert.is(harness.put('live', ['a'], harness.index).type, 'ok');
  assert.is(harness.collect(['a']).type, 'ok');
  assert.equal(readGarbageState(harness.store).lastCollectionIndex, 0);
});

test('a put begun before a collection that took one of its chunks is refused, retryable', () => {
  const harness = new Harness();
  const started = harness.index; // the put stored chunks x and y, then its commit waits
  assert.is(harness.collect(['x']).type, 'ok', 'the collector saw x unreferenced');
  const late = harness.put('k', ['x', 'y'], started);
  assert.ok(refusedAsCollected(late), JSON.stringify(late));
  assert.is(getObject(harness.store, 'k'), undefined, 'nothing committed');
  // The client writes again: the new start is past the collection, the commit goes through.
  assert.is(harness.put('k', ['x', 'y'], harness.index).type, 'ok');
  assert.ok(getObject(harness.store, 'k') !== undefined);
});

test('a put begun before a collection of other chunks commits', () => {
  const harness = new Harness();
  const started = harness.index;
  assert.is(harness.collect(['other']).type, 'ok');
  assert.is(harness.put('k', ['x'], started).type, 'ok');
});

test('a put that committed before the collection keeps its chunks', () => {
  const harness = new Harness();
  assert.is(harness.put('k', ['x'], harness.index).type, 'ok');
  assert.is(harness.collect(['x']).type, 'ok');
  assert.is(chunkTombstoneIndex(harness.store, sha256Of('x')), undefined);
});

test('a fenced (batched) put is refused the same way', () => {
  const harness = new Harness();
  const started = harness.index;
  assert.is(harness.collect(['x']).type, 'ok');
  const value = manifest(['x']);
  const batch = harness.apply({
    type: 'batch',
    commands: [{ type: 'putObject', key: 'k', value, requestId: '', writeStartIndex: started }],
  });
  assert.is(batch.type, 'rejected');
  assert.ok(batch.type === 'rejected' && batch.message.includes(chunksCollectedMessagePrefix));
});

test('a staged upload begun before a collection of its chunks is refused', () => {
  const harness = new Harness();
  const started = harness.index;
  assert.is(harness.collect(['s']).type, 'ok');
  const result = harness.apply({
    type: 'stageObject',
    handle: 'e'.repeat(32),
    proposedAtMilliseconds: 1,
    lifetimeMilliseconds: 60_000,
    value: manifest(['s']) as Manifest,
    writeStartIndex: started,
  });
  assert.ok(refusedAsCollected(result), JSON.stringify(result));
});

test('a start at or past the entry itself is refused (malformed)', () => {
  const harness = new Harness();
  const result = harness.put('k', ['x'], harness.index + 1);
  assert.is(result.type, 'rejected');
  assert.not.ok(refusedAsCollected(result));
});

test('tombstones are kept for garbageCollectionsRetainedMax collections; an older put is refused', () => {
  const harness = new Harness();
  const started = harness.index;
  const first = harness.index + 1;
  for (let collection = 0; collection <= limits.garbageCollectionsRetainedMax; collection++)
    assert.is(harness.collect([`c${collection}`]).type, 'ok');
  const state = readGarbageState(harness.store);
  assert.is(state.collectionsRetained, limits.garbageCollectionsRetainedMax);
  assert.is(state.droppedThroughIndex, first, 'the oldest collection was dropped');
  assert.is(chunkTombstoneIndex(harness.store, sha256Of('c0')), undefined);
  assert.is(chunkTombstoneIndex(harness.store, sha256Of('c1')), first + 1);
  // Its chunk "z" was never collected, but the tombstones since its start are not all kept.
  const old = harness.put('k', ['z'], started);
  assert.ok(refusedAsCollected(old), JSON.stringify(old));
  assert.is(harness.put('k', ['z'], first).type, 'ok', 'a start at the dropped index is fine');
});

test('a chunk collected twice keeps its latest tombstone through the older one dropped', () => {
  const harness = new Harness();
  assert.is(harness.collect(['twice']).type, 'ok');
  for (let collection = 1; collection < limits.garbageCollectionsRetainedMax; collection++)
    assert.is(harness.collect([`c${collection}`]).type, 'ok');
  assert.is(harness.collect(['twice']).type, 'ok');
  const latest = harness.index;
  assert.is(harness.collect(['one-more']).type, 'ok', 'drops the first collection');
  assert.is(chunkTombstoneIndex(harness.store, sha256Of('twice')), latest);
});

test.run();
