import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readWholeFile, toStorageError, type Disk } from '../../src/storage/disk.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { Prng } from '../../src/util/prng.js';
import { bytesEqual, payloadFor, temporaryDirectory } from './helpers.js';

async function writeFile(
  disk: Disk,
  path: string,
  bytes: Uint8Array,
  sync: boolean,
): Promise<void> {
  const file = await disk.open(path, 'create');
  await file.write(bytes, 0);
  if (sync) await file.datasync();
  await file.close();
}

test('synced data and directory entries survive a crash', async () => {
  const disk = new SimulatedDisk(new Prng(1));
  await disk.mkdir('/d');
  await disk.fsyncDirectory('/');
  await writeFile(disk, '/d/a', payloadFor(1, 1000), true);
  await disk.fsyncDirectory('/d');
  disk.crash();
  assert.ok(bytesEqual(await readWholeFile(disk, '/d/a'), payloadFor(1, 1000)));
});

test('a file whose directory entry was never synced is gone after a crash, even with synced data', async () => {
  const disk = new SimulatedDisk(new Prng(2));
  await writeFile(disk, '/a', payloadFor(1, 10), true);
  disk.crash();
  assert.is(await disk.stat('/a'), null);
});

test('a directory that was never made durable disappears with its files', async () => {
  const disk = new SimulatedDisk(new Prng(3));
  await disk.mkdir('/d/e');
  await writeFile(disk, '/d/e/a', payloadFor(1, 10), true);
  await disk.fsyncDirectory('/d/e');
  disk.crash();
  assert.is(await disk.stat('/d'), null);
});

test('unsynced appends are dropped or torn at a random byte, always a prefix (many seeds)', async () => {
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 200; seed++) {
    const disk = new SimulatedDisk(new Prng(seed));
    await writeFile(disk, '/a', payloadFor(1, 100), true);
    await disk.fsyncDirectory('/');
    const file = await disk.open('/a', 'readWrite');
    await file.write(payloadFor(2, 100), 100);
    await file.write(payloadFor(3, 100), 200);
    disk.crash();
    const after = await readWholeFile(disk, '/a');
    assert.ok(after.length >= 100 && after.length <= 300, `seed ${seed}: length ${after.length}`);
    assert.ok(bytesEqual(after.subarray(0, 100), payloadFor(1, 100)), 'synced bytes intact');
    const expected = new Uint8Array(300);
    expected.set(payloadFor(1, 100), 0);
    expected.set(payloadFor(2, 100), 100);
    expected.set(payloadFor(3, 100), 200);
    assert.ok(
      bytesEqual(after, expected.subarray(0, after.length)),
      `seed ${seed}: a prefix of the writes`,
    );
    outcomes.add(after.length === 100 ? 'dropped' : after.length === 300 ? 'kept' : 'torn');
  }
  assert.equal([...outcomes].sort(), ['dropped', 'kept', 'torn']);
});

test('the same seed gives the same crash outcome', async () => {
  const run = async (seed: number): Promise<number> => {
    const disk = new SimulatedDisk(new Prng(seed));
    await writeFile(disk, '/a', payloadFor(1, 10), true);
    await disk.fsyncDirectory('/');
    const file = await disk.open('/a', 'readWrite');
    for (let i = 0; i < 10; i++) await file.write(payloadFor(i, 50), 10 + i * 50);
    disk.crash();
    return (await readWholeFile(disk, '/a')).length;
  };
  for (let seed = 1; seed <= 20; seed++) assert.is(await run(seed), await run(seed));
});

test('a rename is durable only after the directory sync; handles die at a crash', async () => {
  const disk = new SimulatedDisk(new Prng(4));
  await writeFile(disk, '/a', payloadFor(1, 10), true);
  await disk.fsyncDirectory('/');
  await disk.rename('/a', '/b');
  const handle = await disk.open('/b', 'read');
  disk.crash();
  assert.ok(
    (await disk.stat('/a')) !== null && (await disk.stat('/b')) === null,
    'the rename was lost',
  );
  await handle.read(new Uint8Array(1), 0).then(
    () => assert.unreachable('a handle from before the crash must fail'),
    (error: { code?: string }) => assert.is(error.code, 'EBADF'),
  );
  await disk.rename('/a', '/b');
  await disk.fsyncDirectory('/');
  disk.crash();
  assert.ok((await disk.stat('/a')) === null && (await disk.stat('/b')) !== null);
});

test('injected faults fire once on the matching operation and path; capacity gives ENOSPC after a short write', async () => {
  const disk = new SimulatedDisk(new Prng(5));
  disk.failNext('write', 'EIO', '/x');
  const other = await disk.open('/other', 'create');
  await other.write(payloadFor(1, 10), 0);
  const x = await disk.open('/x', 'create');
  await x.write(payloadFor(1, 10), 0).then(
    () => assert.unreachable('should fail'),
    (error: { code?: string }) => assert.is(error.code, 'EIO'),
  );
  await x.write(payloadFor(1, 10), 0);
  disk.capacityBytes = disk.usedBytes() + 5;
  await x.write(payloadFor(2, 20), 10).then(
    () => assert.unreachable('should fail'),
    (error: { code?: string }) => assert.is(error.code, 'ENOSPC'),
  );
  assert.is(await x.size(), 15, 'the bytes that fit were written');
  assert.is(
    toStorageError(Object.assign(new Error('full'), { code: 'ENOSPC' }), 'write', '/x').code,
    'CAIRN_ERR_DISK_FULL',
  );
  assert.is(
    toStorageError(Object.assign(new Error('io'), { code: 'EIO' }), 'write', '/x').code,
    'CAIRN_ERR_IO',
  );
});

test('RealDisk: open modes, write/read, rename, readdir, stat, truncate', async () => {
  const directory = temporaryDirectory('disk');
  try {
    const disk = new RealDisk();
    await disk.mkdir(`${directory.path}/a/b`);
    const file = await disk.open(`${directory.path}/a/b/f`, 'createExclusive');
    await file.write(payloadFor(1, 5000), 0);
    await file.datasync();
    await file.truncate(4000);
    assert.is(await file.size(), 4000);
    await file.close();
    await disk.open(`${directory.path}/a/b/f`, 'createExclusive').then(
      () => assert.unreachable('exists'),
      (error: { code?: string }) => assert.is(error.code, 'EEXIST'),
    );
    await disk.rename(`${directory.path}/a/b/f`, `${directory.path}/a/g`);
    await disk.fsyncDirectory(`${directory.path}/a`);
    assert.equal(await disk.readdir(`${directory.path}/a`), ['b', 'g']);
    assert.ok(bytesEqual(await readWholeFile(disk, `${directory.path}/a/g`), payloadFor(1, 4000)));
    assert.equal(await disk.stat(`${directory.path}/a/b`), {
      size: (await disk.stat(`${directory.path}/a/b`))!.size,
      isDirectory: true,
    });
    assert.is(await disk.stat(`${directory.path}/missing`), null);
  } finally {
    directory.remove();
  }
});

test.run();
