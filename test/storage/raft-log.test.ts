import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeEntry,
  encodeHardState,
  LogReplayer,
  RaftLog,
  raftRecordType,
  type LogEntry,
} from '../../src/storage/raft-log.js';
import type { ReplayedRecord } from '../../src/storage/wal.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { bytesEqual, payloadFor } from './helpers.js';

const entry = (
  index: number,
  term: number,
  data = payloadFor(index * 100 + term, 8),
): LogEntry => ({ index, term, type: 'normal', data });
const u64Record = (type: number, index: number, term?: number, flag?: number): ReplayedRecord => {
  const payload = new Uint8Array(term === undefined ? 8 : 17);
  const view = new DataView(payload.buffer);
  view.setBigUint64(0, BigInt(index), true);
  if (term !== undefined) view.setBigUint64(8, BigInt(term), true);
  if (flag !== undefined) payload[16] = flag;
  return { type, payload, segment: 1, offset: 0 };
};
const entryRecord = (index: number, term: number, segment = 1): ReplayedRecord => ({
  type: raftRecordType.entry,
  payload: encodeEntry(entry(index, term)),
  segment,
  offset: 0,
});
const truncate = (index: number): ReplayedRecord => u64Record(raftRecordType.truncate, index);
const compact = (index: number, term: number): ReplayedRecord =>
  u64Record(raftRecordType.snapshot, index, term, 0);
const install = (index: number, term: number): ReplayedRecord =>
  u64Record(raftRecordType.snapshot, index, term, 1);

const replayTable: ReadonlyArray<{
  name: string;
  records: ReplayedRecord[];
  expected: Array<[number, number]> | 'corruption';
  snapshotIndex?: number;
}> = [
  { name: 'empty', records: [], expected: [] },
  {
    name: 'contiguous',
    records: [entryRecord(1, 1), entryRecord(2, 1), entryRecord(3, 2)],
    expected: [
      [1, 1],
      [2, 1],
      [3, 2],
    ],
  },
  {
    name: 'suffix replaced',
    records: [
      entryRecord(1, 1),
      entryRecord(2, 1),
      entryRecord(3, 1),
      truncate(2),
      entryRecord(2, 2),
    ],
    expected: [
      [1, 1],
      [2, 2],
    ],
  },
  {
    name: 'truncate everything',
    records: [entryRecord(1, 1), entryRecord(2, 1), truncate(1), entryRecord(1, 3)],
    expected: [[1, 3]],
  },
  {
    name: 'gap is corruption',
    records: [entryRecord(1, 1), entryRecord(3, 1)],
    expected: 'corruption',
  },
  {
    name: 'overwrite without truncate is corruption',
    records: [entryRecord(1, 1), entryRecord(2, 1), entryRecord(2, 2)],
    expected: 'corruption',
  },
  {
    name: 'falling term is corruption',
    records: [entryRecord(1, 2), entryRecord(2, 1)],
    expected: 'corruption',
  },
  {
    name: 'compaction keeps the suffix',
    records: [entryRecord(1, 1), entryRecord(2, 1), entryRecord(3, 1), compact(2, 1)],
    expected: [[3, 1]],
    snapshotIndex: 2,
  },
  {
    name: 'log after removed segments starts mid-way',
    records: [entryRecord(5, 1), entryRecord(6, 1), compact(5, 1)],
    expected: [[6, 1]],
    snapshotIndex: 5,
  },
  {
    name: 'entries below a later compaction are dropped',
    records: [entryRecord(3, 1), entryRecord(4, 1), compact(4, 1), entryRecord(5, 2)],
    expected: [[5, 2]],
    snapshotIndex: 4,
  },
  {
    name: 'installed snapshot discards the log',
    records: [entryRecord(1, 1), entryRecord(2, 1), install(10, 3), entryRecord(11, 3)],
    expected: [[11, 3]],
    snapshotIndex: 10,
  },
  {
    name: 'entries not joined to the snapshot are corruption',
    records: [entryRecord(7, 1), compact(5, 1)],
    expected: 'corruption',
  },
  {
    name: 'no snapshot, log must start at 1',
    records: [entryRecord(2, 1)],
    expected: 'corruption',
  },
  {
    name: 'unknown record type',
    records: [{ type: 99, payload: new Uint8Array(8), segment: 1, offset: 0 }],
    expected: 'corruption',
  },
];

for (const row of replayTable) {
  test(`replay: ${row.name}`, () => {
    const replayer = new LogReplayer();
    const run = (): ReturnType<LogReplayer['result']> => {
      for (const record of row.records) replayer.apply(record, 'test');
      return replayer.result('test');
    };
    if (row.expected === 'corruption') {
      assert.throws(run, (error: unknown) => error instanceof CorruptionError);
      return;
    }
    const result = run();
    assert.equal(
      result.entries.map((e) => [e.index, e.term]),
      row.expected,
    );
    assert.is(result.snapshot.index, row.snapshotIndex ?? 0);
  });
}

test('replay: the last hard state wins, votes round-trip', () => {
  const replayer = new LogReplayer();
  replayer.apply(
    {
      type: raftRecordType.hardState,
      payload: encodeHardState({ term: 1, vote: 'n1', commit: 0 }),
      segment: 1,
      offset: 0,
    },
    't',
  );
  replayer.apply(
    {
      type: raftRecordType.hardState,
      payload: encodeHardState({ term: 2, vote: null, commit: 5 }),
      segment: 1,
      offset: 0,
    },
    't',
  );
  assert.equal(replayer.result('t').hardState, { term: 2, vote: null, commit: 5 });
});

const options = { segmentBytes: 16384, recordBytesMax: 4096 } as const;

test('RaftLog: overwrite of uncommitted entries and the hard state survive a crash', async () => {
  const disk = new SimulatedDisk(new Prng(1));
  const { log } = await RaftLog.open(disk, '/raft', options);
  log.append([1, 2, 3, 4, 5].map((index) => entry(index, 1)));
  log.setHardState({ term: 1, vote: 'n2', commit: 2 });
  await log.sync();
  log.append([entry(4, 2), entry(5, 2), entry(6, 2)]);
  log.setHardState({ term: 2, vote: 'n3', commit: 4 });
  await log.sync();
  disk.crash();
  const { replayed } = await RaftLog.open(disk, '/raft', options);
  assert.equal(
    replayed.entries.map((e) => [e.index, e.term]),
    [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 2],
      [6, 2],
    ],
  );
  assert.ok(bytesEqual(replayed.entries[3]!.data, entry(4, 2).data));
  assert.equal(replayed.hardState, { term: 2, vote: 'n3', commit: 4 });
});

test('RaftLog: compaction removes covered segments and keeps the hard state and the suffix', async () => {
  const disk = new SimulatedDisk(new Prng(2));
  const { log } = await RaftLog.open(disk, '/raft', { segmentBytes: 4096, recordBytesMax: 1024 });
  // The hard state goes first, into a segment the compaction removes: it must survive.
  log.setHardState({ term: 1, vote: 'n1', commit: 190 });
  for (let index = 1; index <= 200; index++) log.append([entry(index, 1, payloadFor(index, 100))]);
  await log.sync();
  const before = log.segments().length;
  const removed = await log.compact({ index: 150, term: 1 });
  assert.ok(
    removed > 0 && log.segments().length === before - removed,
    `removed ${removed} of ${before}`,
  );
  log.append([entry(201, 1)]);
  await log.sync();
  disk.crash();
  const { replayed } = await RaftLog.open(disk, '/raft', {
    segmentBytes: 4096,
    recordBytesMax: 1024,
  });
  assert.equal(replayed.snapshot, { index: 150, term: 1 });
  assert.is(replayed.entries[0]!.index, 151);
  assert.is(replayed.entries.at(-1)!.index, 201);
  assert.equal(replayed.hardState, { term: 1, vote: 'n1', commit: 190 });
  assert.ok(bytesEqual(replayed.entries[0]!.data, payloadFor(151, 100)));
});

// Finding W1 (test/sim/FINDINGS.md, seed 90411): when the snapshot record fits at the end
// of a segment and the hard state after it rolls over to the next one, that segment holds
// no entry above the boundary, and the compaction removed it with the snapshot record.
test('RaftLog: a compaction never removes the segment holding its own snapshot record', async () => {
  const walOptions = { segmentBytes: 4096, recordBytesMax: 1024 } as const;
  // Entries of 40 B each: around 100 of them fill a 4096 B segment, so one of these counts
  // puts the snapshot record last in segment 1 and its hard state first in segment 2.
  for (let count = 90; count <= 110; count++) {
    const disk = new SimulatedDisk(new Prng(4));
    const { log } = await RaftLog.open(disk, '/raft', walOptions);
    for (let index = 1; index <= count; index++)
      log.append([entry(index, 1, payloadFor(index, 0))]);
    await log.sync();
    await log.compact({ index: count, term: 1 });
    log.append([entry(count + 1, 1)]);
    await log.sync();
    disk.crash();
    const { replayed } = await RaftLog.open(disk, '/raft', walOptions);
    assert.equal(replayed.snapshot, { index: count, term: 1 }, `${count} entries`);
    assert.equal(
      replayed.entries.map((e) => e.index),
      [count + 1],
      `${count} entries`,
    );
  }
});

test('RaftLog: an installed snapshot replaces the log', async () => {
  const disk = new SimulatedDisk(new Prng(3));
  const { log } = await RaftLog.open(disk, '/raft', options);
  log.append([entry(1, 1), entry(2, 1)]);
  log.installSnapshot({ index: 40, term: 4 });
  log.append([entry(41, 4)]);
  await log.sync();
  disk.crash();
  const { replayed, log: reopened } = await RaftLog.open(disk, '/raft', options);
  assert.equal(
    replayed.entries.map((e) => e.index),
    [41],
  );
  assert.is(reopened.lastIndex(), 41);
});

interface ModelLog {
  snapshotIndex: number;
  entries: LogEntry[];
  hardState: { term: number; vote: string | null; commit: number };
}

/** Random appends, overwrites of the uncommitted suffix, hard states, compactions; crash; compare. */
async function randomHistory(seed: number): Promise<void> {
  const prng = new Prng(seed);
  const disk = new SimulatedDisk(prng.fork());
  const walOptions = { segmentBytes: 4096, recordBytesMax: 1024 } as const;
  let { log } = await RaftLog.open(disk, '/raft', walOptions);
  const model: ModelLog = {
    snapshotIndex: 0,
    entries: [],
    hardState: { term: 0, vote: null, commit: 0 },
  };
  let term = 1;
  const lastIndex = (): number => model.entries.at(-1)?.index ?? model.snapshotIndex;
  const operations = prng.nextIntegerInclusive(5, 60);
  for (let operation = 0; operation < operations; operation++) {
    const choice = prng.nextIntegerInclusive(0, 9);
    if (choice <= 4) {
      // Append, possibly overwriting the uncommitted suffix.
      const from = prng.chance(0.3)
        ? prng.nextIntegerInclusive(
            Math.max(model.hardState.commit, model.snapshotIndex) + 1,
            lastIndex() + 1,
          )
        : lastIndex() + 1;
      if (from <= lastIndex()) term++;
      const count = prng.nextIntegerInclusive(1, 6);
      const fresh = Array.from({ length: count }, (_, i) =>
        entry(
          from + i,
          term,
          payloadFor(seed * 1000 + from + i, prng.nextIntegerInclusive(0, 200)),
        ),
      );
      log.append(fresh);
      model.entries = model.entries.filter((e) => e.index < from).concat(fresh);
    } else if (choice <= 6) {
      const commit = prng.nextIntegerInclusive(model.hardState.commit, lastIndex());
      model.hardState = {
        term,
        vote: prng.chance(0.5) ? `n${prng.nextIntegerInclusive(1, 5)}` : null,
        commit,
      };
      log.setHardState(model.hardState);
    } else if (choice <= 8) {
      await log.sync();
    } else if (model.hardState.commit > model.snapshotIndex) {
      const index = prng.nextIntegerInclusive(model.snapshotIndex + 1, model.hardState.commit);
      const boundaryTerm = model.entries.find((e) => e.index === index)!.term;
      await log.compact({ index, term: boundaryTerm });
      model.snapshotIndex = index;
      model.entries = model.entries.filter((e) => e.index > index);
    }
  }
  await log.sync();
  // Unsynced tail: only plain appends, so any surviving prefix of it is a valid log.
  const synced = model.entries.length;
  const extra = Array.from({ length: prng.nextIntegerInclusive(0, 5) }, (_, i) =>
    entry(lastIndex() + 1 + i, term, payloadFor(i, 50)),
  );
  log.append(extra);
  disk.crash();
  const reopened = await RaftLog.open(disk, '/raft', walOptions);
  const got = reopened.replayed;
  assert.is(got.snapshot.index, model.snapshotIndex, `seed ${seed}: snapshot`);
  assert.equal(got.hardState, model.hardState, `seed ${seed}: hard state`);
  const expected = model.entries.concat(extra);
  assert.ok(
    got.entries.length >= synced && got.entries.length <= expected.length,
    `seed ${seed}: ${got.entries.length} entries, ${synced} synced`,
  );
  got.entries.forEach((e, i) => {
    const want = expected[i]!;
    assert.ok(
      e.index === want.index && e.term === want.term && bytesEqual(e.data, want.data),
      `seed ${seed}: entry ${i}`,
    );
  });
  log = reopened.log;
  assert.is(log.lastIndex(), got.entries.at(-1)?.index ?? got.snapshot.index);
}

test('RaftLog: random histories with overwrites and compactions replay exactly after a crash (150 seeds)', async () => {
  for (let seed = 1; seed <= 150; seed++) await randomHistory(seed);
});

test.run();
