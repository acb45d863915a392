import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftLogView, UnstableLog, limitSize } from '../../src/raft/log.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { Entry } from '../../src/raft/types.js';

function entry(index: number, term: number, size = 0): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(size) };
}

/** A log whose storage holds entries 1..terms.length with the given terms (stable). */
function logWith(terms: number[]): RaftLogView {
  const storage = new MemoryLogStorage();
  storage.append(terms.map((term, i) => entry(i + 1, term)));
  return new RaftLogView(storage);
}

function terms(log: RaftLogView): number[] {
  const result: number[] = [];
  for (let index = log.firstIndex(); index <= log.lastIndex(); index++)
    result.push(log.term(index) ?? -1);
  return result;
}

test('findConflict', () => {
  const log = logWith([1, 2, 3]);
  const table: { entries: Entry[]; conflict: number }[] = [
    { entries: [], conflict: 0 },
    { entries: [entry(1, 1), entry(2, 2), entry(3, 3)], conflict: 0 },
    { entries: [entry(2, 2), entry(3, 3)], conflict: 0 },
    { entries: [entry(2, 2), entry(3, 3), entry(4, 4)], conflict: 4 }, // new entries
    { entries: [entry(4, 4), entry(5, 4)], conflict: 4 },
    { entries: [entry(1, 4), entry(2, 4)], conflict: 1 }, // conflicting terms
    { entries: [entry(2, 1), entry(3, 4), entry(4, 4)], conflict: 2 },
    { entries: [entry(3, 1), entry(4, 2)], conflict: 3 },
  ];
  for (const { entries, conflict } of table)
    assert.is(
      log.findConflict(entries),
      conflict,
      JSON.stringify(entries.map((e) => [e.index, e.term])),
    );
});

test('maybeAppend: match check, truncation of conflicts, commit bounded by the new entries', () => {
  const table: {
    previous: [number, number];
    commit: number;
    entries: Entry[];
    result: number | undefined;
    terms: number[];
    committed: number;
  }[] = [
    { previous: [3, 2], commit: 3, entries: [], result: undefined, terms: [1, 2, 3], committed: 1 }, // term mismatch
    { previous: [4, 3], commit: 3, entries: [], result: undefined, terms: [1, 2, 3], committed: 1 }, // beyond the end
    { previous: [3, 3], commit: 3, entries: [], result: 3, terms: [1, 2, 3], committed: 3 },
    { previous: [3, 3], commit: 4, entries: [], result: 3, terms: [1, 2, 3], committed: 3 }, // commit capped at last new
    {
      previous: [3, 3],
      commit: 5,
      entries: [entry(4, 4), entry(5, 4)],
      result: 5,
      terms: [1, 2, 3, 4, 4],
      committed: 5,
    },
    {
      previous: [2, 2],
      commit: 3,
      entries: [entry(3, 4)],
      result: 3,
      terms: [1, 2, 4],
      committed: 3,
    }, // conflict truncates
    {
      previous: [1, 1],
      commit: 2,
      entries: [entry(2, 2)],
      result: 2,
      terms: [1, 2, 3],
      committed: 2,
    }, // stale, no truncation
  ];
  for (const row of table) {
    const log = logWith([1, 2, 3]);
    log.commitTo(1);
    assert.is(
      log.maybeAppend(row.previous[0], row.previous[1], row.commit, row.entries),
      row.result,
      JSON.stringify(row.previous),
    );
    assert.equal(terms(log), row.terms, `terms after ${JSON.stringify(row.previous)}`);
    assert.is(log.committed, row.committed);
  }
});

test('maybeAppend refuses to rewrite a committed entry', () => {
  const log = logWith([1, 2, 3]);
  log.commitTo(3);
  assert.throws(() => log.maybeAppend(1, 1, 3, [entry(2, 5)]), /committed/);
});

test('term, matchTerm and bounds after compaction', () => {
  const storage = new MemoryLogStorage();
  storage.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 3)]);
  storage.setHardState({ term: 3, vote: null, commit: 3 });
  storage.createSnapshot(2, { voters: ['a'], learners: [] }, new Uint8Array(0));
  storage.compact(2);
  const log = new RaftLogView(storage);
  assert.is(log.firstIndex(), 3);
  assert.is(log.lastIndex(), 4);
  const table: [number, number | undefined][] = [
    [0, undefined],
    [1, undefined],
    [2, 1],
    [3, 2],
    [4, 3],
    [5, undefined],
  ];
  for (const [index, term] of table) assert.is(log.term(index), term, `term(${index})`);
  assert.is(log.slice(2, 4, 1000), undefined, 'compacted slice');
  assert.equal(
    log.slice(3, 5, 1000)?.map((e) => e.index),
    [3, 4],
  );
});

test('slice spans stable and unstable entries and respects the size bound', () => {
  const log = logWith([1, 1, 1]);
  log.append([entry(4, 2, 100), entry(5, 2, 100)]);
  assert.is(log.unstable.offset, 4);
  assert.equal(
    log.slice(2, 6, 10_000)?.map((e) => e.index),
    [2, 3, 4, 5],
  );
  // Stable entries are 16 bytes each (header only); 100-byte payloads push past the bound.
  assert.equal(
    log.slice(2, 6, 60)?.map((e) => e.index),
    [2, 3],
  );
  assert.equal(
    log.slice(4, 6, 1)?.map((e) => e.index),
    [4],
    'at least one entry',
  );
});

test('unstable truncateAndAppend: append, replace all, replace a suffix', () => {
  const table: {
    start: number[];
    append: Entry[];
    offset: number;
    indexes: number[];
    terms: number[];
  }[] = [
    { start: [5, 6], append: [entry(7, 2)], offset: 5, indexes: [5, 6, 7], terms: [1, 1, 2] },
    { start: [5, 6], append: [entry(4, 2)], offset: 4, indexes: [4], terms: [2] },
    { start: [5, 6], append: [entry(5, 2)], offset: 5, indexes: [5], terms: [2] },
    {
      start: [5, 6, 7],
      append: [entry(6, 3), entry(7, 3)],
      offset: 5,
      indexes: [5, 6, 7],
      terms: [1, 3, 3],
    },
  ];
  for (const row of table) {
    const unstable = new UnstableLog(row.start[0] ?? 0);
    unstable.truncateAndAppend(row.start.map((index) => entry(index, 1)));
    unstable.truncateAndAppend(row.append);
    assert.is(unstable.offset, row.offset);
    assert.equal(
      unstable.entries.map((e) => e.index),
      row.indexes,
    );
    assert.equal(
      unstable.entries.map((e) => e.term),
      row.terms,
    );
  }
});

test('stableTo ignores an entry replaced meanwhile', () => {
  const unstable = new UnstableLog(1);
  unstable.truncateAndAppend([entry(1, 1), entry(2, 1)]);
  unstable.stableTo(2, 5);
  assert.is(unstable.offset, 1, 'wrong term: nothing becomes stable');
  unstable.stableTo(1, 1);
  assert.is(unstable.offset, 2);
  assert.equal(
    unstable.entries.map((e) => e.index),
    [2],
  );
});

test('isUpToDate compares last term, then last index', () => {
  const log = logWith([1, 2, 2]);
  const table: [number, number, boolean][] = [
    [3, 2, true],
    [4, 2, true],
    [2, 2, false],
    [1, 3, true],
    [10, 1, false],
  ];
  for (const [lastIndex, lastTerm, expected] of table)
    assert.is(log.isUpToDate(lastIndex, lastTerm), expected, `${lastIndex}/${lastTerm}`);
});

test('findConflictByTerm skips whole terms', () => {
  const log = logWith([1, 1, 2, 2, 4, 4, 5]);
  const table: [number, number, number][] = [
    [7, 5, 7],
    [7, 4, 6],
    [7, 3, 4],
    [6, 2, 4],
    [7, 1, 2],
    [7, 0, 0],
    [20, 4, 6], // beyond our log: start at our last index
  ];
  for (const [index, term, expected] of table)
    assert.is(log.findConflictByTerm(index, term).index, expected, `${index}/${term}`);
});

test('commit never decreases, never passes the last index; applied stays within commit', () => {
  const log = logWith([1, 1, 1]);
  log.commitTo(2);
  log.commitTo(1);
  assert.is(log.committed, 2);
  assert.throws(() => log.commitTo(4), /beyond last index/);
  assert.throws(() => log.appliedTo(3), /applied/);
  log.appliedTo(2);
  assert.equal(log.nextCommittedEntries(1000), []);
  log.commitTo(3);
  assert.equal(
    log.nextCommittedEntries(1000).map((e) => e.index),
    [3],
  );
});

test('maybeCommit commits only an entry of the given term', () => {
  const log = logWith([1, 1, 2]);
  assert.not.ok(log.maybeCommit(2, 2), 'entry 2 is of term 1');
  assert.is(log.committed, 0);
  assert.ok(log.maybeCommit(3, 2));
  assert.is(log.committed, 3);
});

test('limitSize keeps at least one entry', () => {
  const entries = [entry(1, 1, 100), entry(2, 1, 100), entry(3, 1, 100)];
  assert.is(limitSize(entries, 0).length, 1);
  assert.is(limitSize(entries, 232).length, 2);
  assert.is(limitSize(entries, 10_000).length, 3);
});

test('MemoryLogStorage: append overwrites a suffix, compaction keeps the boundary term', () => {
  const storage = new MemoryLogStorage();
  storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  storage.append([entry(2, 2)]);
  assert.is(storage.lastIndex(), 2);
  assert.is(storage.term(2), 2);
  assert.throws(() => storage.append([entry(5, 2)]), /gap/);
  storage.setHardState({ term: 2, vote: 'a', commit: 2 });
  storage.createSnapshot(2, { voters: ['a'], learners: [] }, new Uint8Array([7]));
  storage.compact(2);
  assert.is(storage.firstIndex(), 3);
  assert.is(storage.term(2), 2);
  assert.is(storage.term(1), undefined);
  assert.throws(() => storage.entries(2, 3, 100), /compacted/);
  storage.append([entry(1, 1), entry(2, 2), entry(3, 2)]); // prefix already compacted is skipped
  assert.is(storage.lastIndex(), 3);
  assert.throws(
    () => storage.setHardState({ term: 1, vote: null, commit: 2 }),
    /term never decreases/,
  );
});

test.run();
