// A full disk on a real (tiny) file system: a 3 MiB tmpfs mounted for the test. Needs
// root (mount); without it the test says so and passes without checking anything.
// The simulated-disk ENOSPC tests (wal, chunk-store) run everywhere.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { StateStore } from '../../src/storage/state-store.js';
import { CairnError } from '../../src/util/errors.js';
import { bytesEqual, expectCairnError, openWal, payloadFor } from './helpers.js';

function mountTinyFileSystem(): { path: string; unmount: () => void } | null {
  if (process.getuid?.() !== 0) return null;
  const path = mkdtempSync(join(tmpdir(), 'cairn-tinyfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', path], { stdio: 'ignore' });
  } catch {
    rmdirSync(path);
    return null;
  }
  return {
    path,
    unmount: () => {
      execFileSync('umount', [path], { stdio: 'ignore' });
      rmdirSync(path);
    },
  };
}

test('real tiny file system: WAL and chunk writes fail with DISK_FULL, data stays intact and readable', async () => {
  const mounted = mountTinyFileSystem();
  if (mounted === null) {
    console.log(
      '  (skipped: mounting a tmpfs needs root; the SimulatedDisk ENOSPC tests cover the logic)',
    );
    return;
  }
  try {
    const disk = new RealDisk();
    const chunks = await ChunkStore.open(disk, join(mounted.path, 'node'));
    const keptChunk = await chunks.write(payloadFor(1, 100_000));
    const options = { segmentBytes: 512 * 1024, recordBytesMax: 8192 } as const;
    const { wal } = await openWal(disk, join(mounted.path, 'wal'), options);
    let synced = 0;
    let failure: unknown = null;
    // Bounded: 3 MiB cannot hold 2,000 records of 4 KiB.
    for (let batch = 0; batch < 200 && failure === null; batch++) {
      for (let i = 0; i < 10; i++) wal.append(1, payloadFor(synced + i, 4096));
      try {
        await wal.sync();
        synced += 10;
      } catch (error) {
        failure = error;
      }
    }
    assert.ok(
      failure instanceof CairnError && failure.code === 'CAIRN_ERR_DISK_FULL',
      `expected DISK_FULL, got ${String(failure)}`,
    );
    assert.ok(synced > 0);
    assert.ok(
      readdirSync(join(mounted.path, 'wal')).every((name) => !name.endsWith('.tmp')),
      'no partial segment left',
    );
    await wal.close();
    const { records } = await openWal(disk, join(mounted.path, 'wal'), options);
    assert.ok(records.length >= synced, `${records.length} records readable, ${synced} synced`);
    records.forEach((record, n) =>
      assert.ok(bytesEqual(record.payload, payloadFor(n, 4096)), `record ${n} intact`),
    );
    await expectCairnError(() => chunks.write(payloadFor(2, 2_000_000)), 'CAIRN_ERR_DISK_FULL');
    assert.equal(
      readdirSync(join(mounted.path, 'node', 'tmp')),
      [],
      'the partial chunk is removed',
    );
    assert.ok(
      bytesEqual(await chunks.read(keptChunk.sha256), payloadFor(1, 100_000)),
      'reads keep working',
    );
  } finally {
    mounted.unmount();
  }
});

test('real tiny file system: the LMDB state store fails with DISK_FULL and keeps serving reads', async () => {
  const mounted = mountTinyFileSystem();
  if (mounted === null) {
    console.log('  (skipped: mounting a tmpfs needs root)');
    return;
  }
  const store = StateStore.open(join(mounted.path, 'state'), { mapSizeBytes: 64 * 1024 * 1024 });
  try {
    await store.applyBatch([{ index: 1, term: 1 }], (_entry, writer) =>
      writer.put('kept', payloadFor(1, 100)),
    );
    const error = await expectCairnError(
      () =>
        store.applyBatch([{ index: 2, term: 1 }], (_entry, writer) => {
          for (let i = 0; i < 100; i++) writer.put(`big/${i}`, payloadFor(i, 64 * 1024));
        }),
      'CAIRN_ERR_DISK_FULL',
    );
    assert.match(error.message, 'full');
    assert.is(store.appliedIndex(), 1);
    assert.ok(bytesEqual(store.get('kept')!, payloadFor(1, 100)));
    assert.is(store.get('big/0'), undefined);
  } finally {
    await store.close();
    mounted.unmount();
  }
});

test.run();
