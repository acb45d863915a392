import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync, truncateSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkStore, type QuarantineReport } from '../../src/storage/chunk-store.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { Prng } from '../../src/util/prng.js';
import { bytesEqual, expectCairnError, payloadFor, temporaryDirectory } from './helpers.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function* pieces(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let position = 0; position < bytes.length; position += pieceBytes)
    yield bytes.subarray(position, position + pieceBytes);
}

test('write, read back verified, layout chunks/ab/cd/<sha256>, on the real file system', async () => {
  const directory = temporaryDirectory('chunks');
  try {
    const store = await ChunkStore.open(new RealDisk(), directory.path);
    const content = payloadFor(1, 300_000);
    const result = await store.write(pieces(content, 65536));
    const hash = sha256(content);
    assert.equal(result, { sha256: hash, size: content.length, created: true });
    assert.ok(
      bytesEqual(
        readFileSync(`${directory.path}/chunks/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`),
        content,
      ),
    );
    assert.ok(bytesEqual(await store.read(hash), content));
    assert.equal(await store.list(), [hash]);
    assert.equal(readdirSync(`${directory.path}/tmp`), []);
    assert.is((await store.write(content)).created, false);
  } finally {
    directory.remove();
  }
});

test('a flipped byte or a truncation is detected on read; the chunk is quarantined and reported (real files)', async () => {
  const directory = temporaryDirectory('chunks');
  try {
    const reports: QuarantineReport[] = [];
    const store = await ChunkStore.open(new RealDisk(), directory.path, {
      readPieceBytes: 4096,
      onQuarantine: (report) => reports.push(report),
    });
    const prng = new Prng(3);
    for (let round = 0; round < 20; round++) {
      const content = payloadFor(round, prng.nextIntegerInclusive(1, 50_000));
      const { sha256: hash } = await store.write(content);
      const path = store.chunkPath(hash);
      if (round % 2 === 0) {
        const bytes = readFileSync(path);
        bytes[prng.nextIntegerInclusive(0, bytes.length - 1)]! ^=
          1 << prng.nextIntegerInclusive(0, 7);
        writeFileSync(path, bytes);
      } else {
        truncateSync(path, prng.nextIntegerInclusive(0, content.length - 1));
      }
      const streamed: Uint8Array[] = [];
      const error = await expectCairnError(async () => {
        for await (const piece of store.readStream(hash)) streamed.push(piece);
      }, 'CAIRN_ERR_CORRUPTION');
      assert.is(error.details['sha256'], hash);
      assert.ok(
        streamed.reduce((total, piece) => total + piece.length, 0) < content.length,
        'the full bad content is never delivered',
      );
      assert.is(await store.has(hash), false, 'moved out of chunks/');
      assert.is(reports.at(-1)?.sha256, hash);
      await expectCairnError(() => store.read(hash), 'CAIRN_ERR_NOT_FOUND');
    }
    assert.is(readdirSync(`${directory.path}/quarantine`).length, 20);
    assert.is(store.quarantined().length, 20);
  } finally {
    directory.remove();
  }
});

test('verify (scrub) reports false for a damaged chunk and true for a good one', async () => {
  const disk = new SimulatedDisk(new Prng(1));
  const store = await ChunkStore.open(disk, '/node');
  const good = await store.write(payloadFor(1, 1000));
  const bad = await store.write(payloadFor(2, 1000));
  disk.corruptByte(store.chunkPath(bad.sha256), 500, 4);
  assert.is(await store.verify(good.sha256), true);
  assert.is(await store.verify(bad.sha256), false);
  assert.equal(await store.list(), [good.sha256]);
});

test('two concurrent readers of a damaged chunk both get CorruptionError; it is quarantined once', async () => {
  const disk = new SimulatedDisk(new Prng(8));
  const store = await ChunkStore.open(disk, '/node', { readPieceBytes: 512 });
  const bad = await store.write(payloadFor(3, 4000));
  const good = await store.write(payloadFor(4, 4001));
  assert.ok(
    bytesEqual(await store.read(good.sha256), payloadFor(4, 4001)),
    'a read of many pieces comes back whole',
  );
  disk.corruptByte(store.chunkPath(bad.sha256), 100, 1);
  const results = await Promise.allSettled([store.read(bad.sha256), store.read(bad.sha256)]);
  for (const result of results) {
    assert.is(result.status, 'rejected');
    assert.is((result as PromiseRejectedResult).reason.code, 'CAIRN_ERR_CORRUPTION');
  }
  assert.is(store.quarantined().length, 1);
  assert.is((await disk.readdir('/node/quarantine')).length, 1);
});

test('a chunk larger than the limit is refused and leaves no file', async () => {
  const disk = new SimulatedDisk(new Prng(2));
  const store = await ChunkStore.open(disk, '/node', { chunkBytesMax: 10_000 });
  const error = await expectCairnError(
    () => store.write(pieces(payloadFor(1, 20_000), 3000)),
    'CAIRN_ERR_LIMIT_EXCEEDED',
  );
  assert.is(error.details['limit'], 'chunkSizeBytes');
  assert.equal(await disk.readdir('/node/tmp'), []);
  assert.equal(await store.list(), []);
});

test('content that does not match the expected hash is refused', async () => {
  const disk = new SimulatedDisk(new Prng(3));
  const store = await ChunkStore.open(disk, '/node');
  await expectCairnError(
    () => store.write(payloadFor(1, 100), sha256(payloadFor(2, 100))),
    'CAIRN_ERR_CORRUPTION',
  );
  assert.equal(await store.list(), []);
  assert.equal(await disk.readdir('/node/tmp'), []);
});

test('ENOSPC: DISK_FULL, the partial temporary file is removed, existing chunks stay readable', async () => {
  const disk = new SimulatedDisk(new Prng(4));
  const store = await ChunkStore.open(disk, '/node');
  const kept = await store.write(payloadFor(1, 5000));
  disk.capacityBytes = disk.usedBytes() + 10_000;
  await expectCairnError(
    () => store.write(pieces(payloadFor(2, 50_000), 4096)),
    'CAIRN_ERR_DISK_FULL',
  );
  assert.equal(await disk.readdir('/node/tmp'), []);
  assert.ok(bytesEqual(await store.read(kept.sha256), payloadFor(1, 5000)));
  disk.capacityBytes = null;
  await store.write(payloadFor(2, 50_000));
});

test('a crash at any moment leaves each chunk whole and verified or absent; finished writes survive (300 seeds)', async () => {
  for (let seed = 1; seed <= 300; seed++) {
    const prng = new Prng(seed);
    const disk = new SimulatedDisk(prng.fork());
    const store = await ChunkStore.open(disk, '/node', { readPieceBytes: 1024 });
    const finished: string[] = [];
    const contents = new Map<string, Uint8Array>();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      const content = payloadFor(seed * 10 + i, prng.nextIntegerInclusive(1, 20_000));
      contents.set(sha256(content), content);
      writes.push(
        store
          .write(pieces(content, 500))
          .then((result) => void finished.push(result.sha256))
          .catch(() => undefined),
      );
    }
    // Let the writes run for a random number of event-loop steps, then pull the plug.
    const steps = prng.nextIntegerInclusive(0, 400);
    for (let step = 0; step < steps; step++) await Promise.resolve();
    const finishedBeforeCrash = [...finished];
    disk.crash();
    await Promise.all(writes);
    const reopened = await ChunkStore.open(disk, '/node');
    const present = await reopened.list();
    for (const hash of finishedBeforeCrash)
      assert.ok(present.includes(hash), `seed ${seed}: a finished write survives`);
    for (const hash of present) {
      assert.ok(contents.has(hash), `seed ${seed}: only written chunks`);
      assert.ok(bytesEqual(await reopened.read(hash), contents.get(hash)!), `seed ${seed}: intact`);
    }
    assert.equal(await disk.readdir('/node/tmp'), [], `seed ${seed}: no temporary leftovers`);
  }
});

test.run();
