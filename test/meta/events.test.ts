// The retained history (src/meta/events): every object change recorded with the state
// it replaced, compaction within the retention, the state at a retained revision
// against a recorded history, and the chunks the history still references.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetaCommand } from '../../src/meta/commands.js';
import {
  chunkReferenceCount,
  chunkRetainedReferenceCount,
  historyChunkReferenceCount,
  historyRange,
  listObjectsAtRevision,
  listObjects,
  readEvents,
  readRetention,
  type ObjectSummary,
  type RetentionPolicy,
} from '../../src/meta/index.js';
import { applyCommandReporting } from '../../src/meta/state-machine.js';
import type { MemoryMetaStore } from '../../src/meta/store.js';
import { CompactedError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { bootstrappedStore, inline, manifest, sha256Of } from './helpers.js';

interface Recorded {
  /** The listing after each revision, by revision. */
  readonly listings: Map<number, ObjectSummary[]>;
  /** The object changes of each revision: kind and key, in order. */
  readonly changes: Map<number, string[]>;
  index: number;
}

function everything(store: MemoryMetaStore): ObjectSummary[] {
  return listObjects(store, { limit: 1000 }).items;
}

function applyRecorded(
  store: MemoryMetaStore,
  recorded: Recorded,
  command: MetaCommand,
  retention: RetentionPolicy,
): void {
  recorded.index++;
  const applied = applyCommandReporting(command, recorded.index, store, { retention });
  if (applied.changes.length === 0) return;
  recorded.listings.set(applied.revision, everything(store));
  const objectChanges = applied.changes
    .filter((change) => change.family === 'objects')
    .map((change) => `${change.kind} ${change.key.slice(2)}`);
  recorded.changes.set(applied.revision, objectChanges);
}

function randomCommand(prng: Prng): MetaCommand {
  const key = () => `${prng.pick(['a/', 'b/', 'ab/'])}${prng.nextIntegerInclusive(0, 9)}`;
  const one = (): MetaCommand =>
    prng.chance(0.3)
      ? { type: 'deleteObject', key: key(), requestId: '' }
      : {
          type: 'putObject',
          key: key(),
          value: prng.chance(0.3)
            ? manifest([
                `c${prng.nextIntegerInclusive(0, 20)}`,
                `c${prng.nextIntegerInclusive(0, 20)}`,
              ])
            : inline(`v${prng.nextIntegerInclusive(0, 1000)}`),
          requestId: '',
        };
  if (!prng.chance(0.2)) return one();
  const commands = [one(), one(), one()].filter(
    (command, index, all) =>
      all.findIndex((other) => 'key' in other && 'key' in command && other.key === command.key) ===
      index,
  );
  return { type: 'batch', commands: commands as never };
}

function runHistory(seed: number, retention: RetentionPolicy, steps: number) {
  const prng = new Prng(seed);
  const store = bootstrappedStore();
  const recorded: Recorded = { listings: new Map(), changes: new Map(), index: 1 };
  recorded.listings.set(historyRange(store).revision, everything(store));
  for (let step = 0; step < steps; step++)
    applyRecorded(store, recorded, randomCommand(prng), retention);
  return { store, recorded, prng };
}

function listAllAt(store: MemoryMetaStore, revision: number, prefix: string, limit: number) {
  const items: ObjectSummary[] = [];
  let after: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const answer = listObjectsAtRevision(store, {
      revision,
      prefix,
      limit,
      ...(after === undefined ? {} : { after }),
    });
    assert.is(answer.revision, revision);
    items.push(...answer.items);
    if (answer.nextAfter === undefined) return items;
    after = answer.nextAfter;
  }
  throw new Error('too many pages');
}

test('a listing at every retained revision equals the recorded listing of that revision', () => {
  for (const seed of [1, 2, 3]) {
    const retention = { revisionsMax: 40, bytesMax: 1 << 30 };
    const { store, recorded, prng } = runHistory(seed, retention, 300);
    const range = historyRange(store);
    assert.ok(range.revision > 100, 'the run made many revisions');
    const kept = range.revision - range.oldestRevision + 1;
    assert.ok(kept >= 40 && kept < 40 + 64, `revisionsMax revisions kept, plus a step: ${kept}`);
    for (let revision = range.oldestRevision - 1; revision <= range.revision; revision++) {
      // A revision that changed only cluster state shows the listing of the one before.
      let expectedAt = revision;
      while (!recorded.listings.has(expectedAt)) expectedAt--;
      const expected = recorded.listings.get(expectedAt) as ObjectSummary[];
      const prefix = prng.pick(['', 'a', 'a/', 'b/']);
      const limit = prng.nextIntegerInclusive(1, 7);
      const listed = listAllAt(store, revision, prefix, limit);
      assert.equal(
        listed,
        expected.filter((item) => item.key.startsWith(prefix)),
        `seed ${seed} revision ${revision} prefix ${prefix}`,
      );
    }
    assert.throws(
      () => listObjectsAtRevision(store, { revision: range.oldestRevision - 2 }),
      (error: unknown) => error instanceof CompactedError,
    );
  }
});

test('the events read from the history are every object change, whole revisions in order', () => {
  const { store, recorded } = runHistory(7, { revisionsMax: 60, bytesMax: 1 << 30 }, 250);
  const range = historyRange(store);
  const seen: string[] = [];
  let next = range.oldestRevision;
  for (let read = 0; read < 1000 && next <= range.revision; read++) {
    const answer = readEvents(store, '', next, range.revision, 2);
    for (const revision of answer.revisions) {
      assert.ok(revision.revision >= next, 'in revision order');
      for (const event of revision.events)
        seen.push(`${revision.revision} ${event.kind} ${event.key}`);
    }
    assert.ok(answer.nextRevision > next, 'a read makes progress');
    next = answer.nextRevision;
  }
  const expected: string[] = [];
  for (let revision = range.oldestRevision; revision <= range.revision; revision++)
    for (const change of recorded.changes.get(revision) ?? [])
      expected.push(`${revision} ${change}`);
  assert.equal(seen, expected);
  const filtered = readEvents(store, 'a/', range.oldestRevision, range.revision, 10_000);
  for (const revision of filtered.revisions)
    for (const event of revision.events) assert.ok(event.key.startsWith('a/'));
});

test('compaction keeps the history within its bytes and its accounting exact', () => {
  const retention = { revisionsMax: 1_000_000, bytesMax: 4_000 };
  const { store } = runHistory(11, retention, 400);
  const retained = readRetention(store);
  const events = store.rangeEntries('e/', undefined, 100_000);
  const bytes = events.reduce((sum, entry) => sum + entry.key.length + entry.value.length, 0);
  assert.is(retained.retainedEvents, events.length);
  assert.is(retained.retainedBytes, bytes);
  assert.ok(bytes <= retention.bytesMax + 2_000, `bytes ${bytes} near the bound`);
  assert.ok(historyRange(store).oldestRevision > 100, 'old revisions were dropped');
});

test('a replaced manifest keeps its chunks referenced while its revision is retained', () => {
  const store = bootstrappedStore();
  const retention = { revisionsMax: 3, bytesMax: 1 << 30 };
  let index = 1;
  const apply = (command: MetaCommand) =>
    applyCommandReporting(command, ++index, store, { retention });
  apply({ type: 'putObject', key: 'x', value: manifest(['a', 'b']), requestId: '' });
  apply({ type: 'putObject', key: 'x', value: manifest(['c']), requestId: '' });
  const a = sha256Of('a');
  assert.is(chunkReferenceCount(store, a), 0, 'no current manifest references a');
  assert.is(historyChunkReferenceCount(store, a), 1, 'the history does');
  assert.is(chunkRetainedReferenceCount(store, a), 1, 'so garbage collection keeps it');
  const atFirst = listObjectsAtRevision(store, { revision: historyRange(store).revision - 1 });
  assert.is(atFirst.items[0]?.sha256, sha256Of('a+b'));
  apply({ type: 'deleteObject', key: 'x', requestId: '' });
  const c = sha256Of('c');
  assert.is(chunkRetainedReferenceCount(store, c), 1, 'a deleted manifest is held too');
  for (let step = 0; step < 70; step++)
    apply({ type: 'putObject', key: `y${step}`, value: inline('v'), requestId: '' });
  assert.is(chunkRetainedReferenceCount(store, a), 0, 'released once compacted');
  assert.is(chunkRetainedReferenceCount(store, c), 0, 'released once compacted');
  assert.is(store.rangeEntries('h/k/', undefined, 10).length, 0, 'no history counts left');
});

test('apply cost with the history (printed, not asserted)', () => {
  const store = bootstrappedStore();
  const started = performance.now();
  const count = 20_000;
  for (let index = 0; index < count; index++)
    applyCommandReporting(
      {
        type: 'putObject',
        key: `k/${index % 2000}`,
        value: inline('x'.repeat(256)),
        requestId: '',
      },
      index + 2,
      store,
      { retention: { revisionsMax: 5_000, bytesMax: 1 << 30 } },
    );
  const microseconds = ((performance.now() - started) * 1000) / count;
  console.log(`  apply of a 256-byte overwrite with history: ${microseconds.toFixed(1)} µs`);
});

test.run();
