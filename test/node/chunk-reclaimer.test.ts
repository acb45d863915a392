// Every node's half of garbage collection: it deletes the chunks of collections it
// applied (unless referenced again), persists how far it got, and holds chunk writes
// until it reclaimed every collection their writer and it had applied.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCommand, type MetaCommand } from '../../src/meta/commands.js';
import { applyEntryDataReporting } from '../../src/meta/state-machine.js';
import { ChunkReclaimer, reclaimerProgressPath } from '../../src/node/chunk-reclaimer.js';
import { waitFor } from '../helpers/wait.js';
import { bootstrappedStore, manifest, sha256Of } from '../meta/helpers.js';

class Node {
  readonly store = bootstrappedStore();
  index = 1;
  readonly files = new Set<string>();
  readonly directory = mkdtempSync(join(tmpdir(), 'cairn-reclaimer-'));

  apply(command: MetaCommand): void {
    this.index++;
    applyEntryDataReporting(encodeCommand(command), this.index, this.store);
  }

  reclaimer(): ChunkReclaimer {
    return ChunkReclaimer.load({
      reader: () => this.store,
      store: { remove: async (sha256) => this.files.delete(sha256) },
      progressPath: reclaimerProgressPath(this.directory),
      log: () => undefined,
    });
  }
}

test('deletes the chunks of applied collections, keeps one referenced again, persists progress', async () => {
  const node = new Node();
  try {
    for (const name of ['a', 'b', 'c']) node.files.add(sha256Of(name));
    node.apply({ type: 'collectChunks', sha256s: [sha256Of('a'), sha256Of('b')] });
    const collection = node.index;
    // b is referenced again (a put begun after the collection) before this node reclaims.
    node.apply({
      type: 'putObject',
      key: 'k',
      value: manifest(['b']),
      requestId: '',
      writeStartIndex: collection,
    });
    const reclaimer = node.reclaimer();
    assert.is(reclaimer.through, 0);
    await reclaimer.catchUp();
    assert.is(reclaimer.through, collection);
    assert.not.ok(node.files.has(sha256Of('a')), 'a went');
    assert.ok(node.files.has(sha256Of('b')), 'b is referenced here: kept');
    assert.ok(node.files.has(sha256Of('c')), 'c was never collected');
    assert.is(readFileSync(reclaimerProgressPath(node.directory), 'utf8').trim(), `${collection}`);
    // A restart reads the progress: the collection is not replayed over newer copies.
    node.files.add(sha256Of('a')); // a put begun after the collection stored a again
    const restarted = node.reclaimer();
    assert.is(restarted.through, collection);
    await restarted.catchUp();
    assert.ok(node.files.has(sha256Of('a')), 'a copy written after the reclaim stays');
  } finally {
    rmSync(node.directory, { recursive: true, force: true });
  }
});

test('a chunk write waits until this node reclaimed what it and the writer applied', async () => {
  const node = new Node();
  try {
    node.files.add(sha256Of('x'));
    const reclaimer = node.reclaimer();
    await reclaimer.admit(0); // nothing collected anywhere: no wait
    node.apply({ type: 'collectChunks', sha256s: [sha256Of('x')] });
    assert.is(reclaimer.through, 0, 'applied, not reclaimed yet');
    await reclaimer.admit(0);
    assert.is(reclaimer.through, node.index, 'admitting a write reclaimed the collection first');
    assert.not.ok(node.files.has(sha256Of('x')), 'so the new copy cannot be deleted by it');
    // A writer that applied a collection this node has not applied yet: the write waits.
    let admitted = false;
    let catchUps = 0;
    const catchUp = reclaimer.catchUp.bind(reclaimer);
    reclaimer.catchUp = () => {
      catchUps++;
      return catchUp();
    };
    const waiting = reclaimer.admit(node.index + 1).then(() => {
      admitted = true;
    });
    // Held across polls: it looked again (a timer poll between) and still waits.
    await waitFor('the held write polled twice', () => catchUps >= 2, {
      timeoutMilliseconds: 5_000,
      intervalMilliseconds: 5,
    });
    assert.not.ok(admitted, 'held while this node is behind the writer');
    node.apply({ type: 'collectChunks', sha256s: [sha256Of('y')] });
    await waiting;
    assert.ok(admitted);
    assert.is(reclaimer.through, node.index);
  } finally {
    rmSync(node.directory, { recursive: true, force: true });
  }
});

test.run();
