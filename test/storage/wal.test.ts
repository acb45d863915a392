import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RealDisk } from '../../src/storage/real-disk.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import {
  alignedRecordBytes,
  segmentFileName,
  segmentHeaderRecordBytes,
} from '../../src/storage/wal-format.js';
import { Prng } from '../../src/util/prng.js';
import {
  bytesEqual,
  expectCairnError,
  openWal,
  payloadFor,
  temporaryDirectory,
} from './helpers.js';

const small = { segmentBytes: 8192, recordBytesMax: 1024 } as const;

test('records survive a reopen in order, on the real file system', async () => {
  const directory = temporaryDirectory('wal');
  try {
    const disk = new RealDisk();
    const { wal, records } = await openWal(disk, directory.path, small);
    assert.is(records.length, 0);
    for (let i = 0; i < 50; i++) wal.append(1 + (i % 3), payloadFor(i, i * 7));
    await wal.sync();
    await wal.close();
    const reopened = await openWal(disk, directory.path, small);
    assert.is(reopened.records.length, 50);
    reopened.records.forEach((record, i) => {
      assert.is(record.type, 1 + (i % 3));
      assert.ok(bytesEqual(record.payload, payloadFor(i, i * 7)), `record ${i} intact`);
    });
    assert.ok(reopened.wal.segments().length > 1, 'rolled over to several segments');
    await reopened.wal.close();
  } finally {
    directory.remove();
  }
});

test('real files: a flipped byte mid-log names the segment file and the record offset', async () => {
  const directory = temporaryDirectory('wal-flip');
  try {
    const disk = new RealDisk();
    const { wal } = await openWal(disk, directory.path, small);
    for (let i = 0; i < 10; i++) wal.append(1, payloadFor(i, 100));
    await wal.sync();
    await wal.close();
    const { records } = await openWal(disk, directory.path, small);
    const target = records[3]!;
    const path = `${directory.path}/${segmentFileName(target.segment)}`;
    const bytes = readFileSync(path);
    bytes[target.offset + 16 + 50]! ^= 0x01;
    writeFileSync(path, bytes);
    const error = await expectCairnError(
      () => openWal(disk, directory.path, small),
      'CAIRN_ERR_CORRUPTION',
    );
    assert.equal(error.details, { file: path, offset: target.offset });
    assert.match(error.message, path);
  } finally {
    directory.remove();
  }
});

test('group commit: one fdatasync covers every record appended before it', async () => {
  const disk = new SimulatedDisk(new Prng(1));
  // Not preallocated: no background preparation of the next segment adds its own sync.
  const { wal } = await openWal(disk, '/wal', {
    segmentBytes: 1 << 20,
    recordBytesMax: 1024,
    preallocate: false,
  });
  for (let i = 0; i < 100; i++) wal.append(1, payloadFor(i, 100));
  const before = disk.statistics.datasyncs;
  await Promise.all([wal.sync(), wal.sync(), wal.sync()]);
  // One sync of the data (the segment's creation adds its own sync of the new file).
  assert.is(disk.statistics.datasyncs - before, 2);
  const again = disk.statistics.datasyncs;
  wal.append(1, payloadFor(100, 100));
  const first = wal.sync();
  wal.append(1, payloadFor(101, 100));
  const second = wal.sync();
  await Promise.all([first, second]);
  assert.ok(disk.statistics.datasyncs - again <= 2, 'at most one sync per round');
  const statistics = wal.statistics();
  assert.is(statistics.appendedRecords, 102);
  assert.is(statistics.syncedRecords, 102);
  assert.ok(
    statistics.datasyncs >= 2 && statistics.datasyncs <= 3,
    `${statistics.datasyncs} data syncs`,
  );
  assert.is(statistics.segmentsCreated, 1);
  disk.crash();
  const reopened = await openWal(disk, '/wal', {
    segmentBytes: 1 << 20,
    recordBytesMax: 1024,
    preallocate: false,
  });
  assert.is(reopened.records.length, 102);
});

test('a crash keeps every synced record and an intact prefix of the rest (200 seeds)', async () => {
  for (let seed = 1; seed <= 200; seed++) {
    const prng = new Prng(seed);
    const disk = new SimulatedDisk(prng.fork());
    const { wal } = await openWal(disk, '/wal', small);
    let appended = 0;
    let synced = 0;
    const rounds = prng.nextIntegerInclusive(1, 8);
    for (let round = 0; round < rounds; round++) {
      const count = prng.nextIntegerInclusive(1, 10);
      for (let i = 0; i < count; i++)
        wal.append(1, payloadFor(appended + i, prng.nextIntegerInclusive(0, 600)));
      appended += count;
      if (round < rounds - 1 || prng.chance(0.3)) {
        await wal.sync();
        synced = appended;
      }
    }
    disk.crash();
    const { wal: reopened, records } = await openWal(disk, '/wal', small);
    assert.ok(
      records.length >= synced && records.length <= appended,
      `seed ${seed}: ${records.length} records, synced ${synced}, appended ${appended}`,
    );
    records.forEach((record, i) =>
      assert.ok(
        bytesEqual(record.payload, payloadFor(i, record.payload.length)),
        `seed ${seed}: record ${i} intact`,
      ),
    );
    // The repaired log accepts new records and keeps them across another crash.
    reopened.append(2, payloadFor(9999, 50));
    await reopened.sync();
    disk.crash();
    const again = await openWal(disk, '/wal', small);
    assert.is(again.records.length, records.length + 1, `seed ${seed}: appended after repair`);
    assert.is(again.records.at(-1)?.type, 2);
  }
});

async function writtenLog(seed: number): Promise<{ disk: SimulatedDisk; count: number }> {
  const disk = new SimulatedDisk(new Prng(seed));
  const { wal } = await openWal(disk, '/wal', small);
  for (let i = 0; i < 120; i++) wal.append(1, payloadFor(i, 20 + ((i * 37) % 300)));
  await wal.sync();
  await wal.close();
  return { disk, count: 120 };
}

test('a flipped byte in any record is reported with file and offset (150 positions)', async () => {
  const prng = new Prng(5);
  const { disk } = await writtenLog(5);
  const segments = (await disk.readdir('/wal')).filter((name) => name.endsWith('.wal'));
  for (let round = 0; round < 150; round++) {
    const { disk: fresh } = await writtenLog(5);
    const name = prng.pick(segments);
    const path = `/wal/${name}`;
    const isLast = name === segments.at(-1);
    // The written part of the segment: its records (the end of the last one is found by a scan).
    const records = (await openWal(disk, '/wal', small)).records.filter(
      (record) => `/wal/${segmentFileName(record.segment)}` === path,
    );
    const lastRecord = records.at(-1)!;
    // Every byte of every record: data records, and the segment-end marker of a sealed
    // segment (one sync wrote this log, so its only batch-end marker is the log's last
    // record, which may look torn and is left out).
    const limit =
      lastRecord.offset + alignedRecordBytes(lastRecord.payload.length) + (isLast ? 0 : 16);
    const position = prng.nextIntegerInclusive(0, limit - 1);
    fresh.corruptByte(path, position, 1 << prng.nextIntegerInclusive(0, 7));
    const error = await expectCairnError(
      () => openWal(fresh, '/wal', small),
      'CAIRN_ERR_CORRUPTION',
    );
    assert.is(error.details['file'], path, `round ${round}: names the file`);
    const offset = error.details['offset'] as number;
    assert.ok(
      offset <= position && position - offset < alignedRecordBytes(1024),
      `round ${round}: offset ${offset} is the damaged record's (byte ${position})`,
    );
  }
});

test('damage to the last record of a synced batch is corruption; damage to the final batch marker loses nothing', async () => {
  const { disk } = await writtenLog(6);
  const { records } = await openWal(disk, '/wal', small);
  const last = records.at(-1)!;
  const path = `/wal/${segmentFileName(last.segment)}`;
  disk.corruptByte(path, last.offset + 20, 0x10);
  const error = await expectCairnError(() => openWal(disk, '/wal', small), 'CAIRN_ERR_CORRUPTION');
  assert.equal(error.details, { file: path, offset: last.offset });
  disk.corruptByte(path, last.offset + 20, 0x10);
  // The batch-end marker follows the last record; damaging it looks like a torn tail.
  const markerOffset = last.offset + alignedRecordBytes(last.payload.length);
  disk.corruptByte(path, markerOffset + 2, 0x01);
  const reopened = await openWal(disk, '/wal', small);
  assert.is(reopened.records.length, records.length);
});

test('a truncated preallocated segment, a truncated sealed segment and a missing segment are corruption', async () => {
  for (const which of ['last', 'first'] as const) {
    const { disk } = await writtenLog(7);
    const segments = (await disk.readdir('/wal')).filter((name) => name.endsWith('.wal'));
    const name = which === 'last' ? segments.at(-1)! : segments[0]!;
    disk.truncateDurably(`/wal/${name}`, 3000);
    const error = await expectCairnError(
      () => openWal(disk, '/wal', small),
      'CAIRN_ERR_CORRUPTION',
    );
    assert.is(error.details['file'], `/wal/${name}`);
  }
  const { disk } = await writtenLog(8);
  const segments = (await disk.readdir('/wal')).filter((name) => name.endsWith('.wal'));
  assert.ok(segments.length >= 3);
  await disk.unlink(`/wal/${segments[1]}`);
  const error = await expectCairnError(() => openWal(disk, '/wal', small), 'CAIRN_ERR_CORRUPTION');
  assert.is(error.details['file'], `/wal/${segments[1]}`);
});

test('truncating any segment at a random position is reported with its file (40 rounds)', async () => {
  const prng = new Prng(15);
  for (let round = 0; round < 40; round++) {
    const { disk } = await writtenLog(15);
    const segments = (await disk.readdir('/wal')).filter((name) => name.endsWith('.wal'));
    const name = prng.pick(segments);
    disk.truncateDurably(`/wal/${name}`, prng.nextIntegerInclusive(0, small.segmentBytes - 1));
    const error = await expectCairnError(
      () => openWal(disk, '/wal', small),
      'CAIRN_ERR_CORRUPTION',
    );
    assert.is(error.details['file'], `/wal/${name}`, `round ${round}`);
  }
});

test('not preallocated: records survive, torn tail repaired', async () => {
  const options = { ...small, preallocate: false };
  const disk = new SimulatedDisk(new Prng(9));
  const { wal } = await openWal(disk, '/wal', options);
  for (let i = 0; i < 30; i++) wal.append(1, payloadFor(i, 200));
  await wal.sync();
  wal.append(1, payloadFor(30, 200));
  disk.crash();
  const { records } = await openWal(disk, '/wal', options);
  assert.ok(records.length === 30 || records.length === 31);
  const segments = (await disk.readdir('/wal')).filter((name) => name.endsWith('.wal'));
  assert.ok(
    (await disk.stat(`/wal/${segments[0]}`))!.size < small.segmentBytes,
    'files grow instead of being preallocated',
  );
});

test('ENOSPC when creating a segment: DISK_FULL, synced records intact, retry succeeds after space frees', async () => {
  const disk = new SimulatedDisk(new Prng(10));
  const { wal } = await openWal(disk, '/wal', small);
  for (let i = 0; i < 10; i++) wal.append(1, payloadFor(i, 300));
  await wal.sync();
  disk.capacityBytes = disk.usedBytes() + 100;
  // Enough to need two more segments (the next one may already be prepared).
  for (let i = 10; i < 80; i++) wal.append(1, payloadFor(i, 300));
  await expectCairnError(() => wal.sync(), 'CAIRN_ERR_DISK_FULL');
  assert.ok(
    (await disk.readdir('/wal')).every((name) => !name.endsWith('.tmp')),
    'the partial segment is removed',
  );
  disk.crash();
  const afterCrash = await openWal(disk, '/wal', small);
  assert.ok(afterCrash.records.length >= 10, 'synced records survive');
  afterCrash.records.forEach((record, i) =>
    assert.ok(bytesEqual(record.payload, payloadFor(i, 300))),
  );
  afterCrash.wal.append(1, payloadFor(afterCrash.records.length, 300));
  disk.capacityBytes = null;
  await afterCrash.wal.sync();
});

test('ENOSPC then retry in the same process keeps every record once', async () => {
  const disk = new SimulatedDisk(new Prng(11));
  const { wal } = await openWal(disk, '/wal', small);
  wal.append(1, payloadFor(0, 100));
  await wal.sync();
  disk.capacityBytes = disk.usedBytes();
  for (let i = 1; i < 80; i++) wal.append(1, payloadFor(i, 300));
  await expectCairnError(() => wal.sync(), 'CAIRN_ERR_DISK_FULL');
  disk.capacityBytes = null;
  await wal.sync();
  disk.crash();
  const { records } = await openWal(disk, '/wal', small);
  assert.is(records.length, 80);
});

test('a failed fdatasync stops the WAL for good (EIO)', async () => {
  const disk = new SimulatedDisk(new Prng(12));
  const { wal } = await openWal(disk, '/wal', small);
  wal.append(1, payloadFor(0, 10));
  await wal.sync();
  disk.failNext('datasync', 'EIO', '/wal/segment-');
  wal.append(1, payloadFor(1, 10));
  await expectCairnError(() => wal.sync(), 'CAIRN_ERR_IO');
  assert.throws(() => wal.append(1, payloadFor(2, 10)));
});

test('segments before a given one are removed, the written one never', async () => {
  const disk = new SimulatedDisk(new Prng(13));
  const { wal } = await openWal(disk, '/wal', small);
  for (let i = 0; i < 80; i++) wal.append(1, payloadFor(i, 300));
  await wal.sync();
  const segments = [...wal.segments()];
  assert.ok(segments.length >= 4);
  const removed = await wal.removeSegmentsBefore(segments[2]!);
  assert.is(removed, 2);
  const everything = await wal.removeSegmentsBefore(Number.MAX_SAFE_INTEGER);
  assert.is(everything, segments.length - 3);
  assert.equal([...wal.segments()], [wal.currentSegment()]);
  disk.crash();
  const { records } = await openWal(disk, '/wal', small);
  assert.ok(records.length > 0 && records.every((record) => record.segment === segments.at(-1)));
});

test('reopening with another segment size keeps the old tail segment within its size', async () => {
  for (const [first, second] of [
    [8192, 65536],
    [65536, 8192],
  ] as const) {
    const disk = new SimulatedDisk(new Prng(16));
    const { wal } = await openWal(disk, '/wal', { segmentBytes: first, recordBytesMax: 1024 });
    for (let i = 0; i < 5; i++) wal.append(1, payloadFor(i, 500));
    await wal.sync();
    await wal.close();
    const reopened = await openWal(disk, '/wal', { segmentBytes: second, recordBytesMax: 1024 });
    for (let i = 5; i < 200; i++) reopened.wal.append(1, payloadFor(i, 500));
    await reopened.wal.sync();
    await reopened.wal.close();
    const { records } = await openWal(disk, '/wal', { segmentBytes: second, recordBytesMax: 1024 });
    assert.is(records.length, 200, `${first} then ${second}`);
    records.forEach((record, i) => assert.ok(bytesEqual(record.payload, payloadFor(i, 500))));
  }
});

test('an oversized record is refused with a limit error', async () => {
  const disk = new SimulatedDisk(new Prng(14));
  const { wal } = await openWal(disk, '/wal', small);
  assert.throws(() => wal.append(1, new Uint8Array(1025)), /walRecordBytesMax/);
  assert.ok(segmentHeaderRecordBytes > 0);
});

test.run();
