// Encryption at rest in each store on the real file system: a marker written through
// the store is nowhere in its files and reads back identical; damage is refused; the
// key check record refuses wrong, missing and unexpected keys; key files.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { openEncryptionAtRest } from '../../src/storage/encryption-check.js';
import { addKey, createKeyFile, readKeyring } from '../../src/storage/encryption-keys.js';
import { RaftLog } from '../../src/storage/raft-log.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { Keyring } from '../../src/storage/sealing.js';
import { SnapshotFiles } from '../../src/storage/snapshot-files.js';
import { StateStore } from '../../src/storage/state-store.js';
import { StateValueSealing } from '../../src/storage/state-value-sealing.js';
import { CorruptionError } from '../../src/util/errors.js';
import { bytesEqual, expectCairnError, temporaryDirectory } from './helpers.js';

const key1 = { id: 1, key: randomBytes(32) };
const key2 = { id: 2, key: randomBytes(32) };
const keyring = new Keyring([key1]);

/** A recognisable content: the marker repeated, so any plaintext copy would show. */
function markerContent(marker: string, bytes: number): Uint8Array {
  return Buffer.alloc(bytes, `${marker}|`);
}

/** Every file under `root`, recursively (bounded by the test's small trees). */
function filesUnder(root: string): string[] {
  const found: string[] = [];
  const pending = [root];
  for (let step = 0; step < 10_000 && pending.length > 0; step++) {
    const directory = pending.pop()!;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else found.push(path);
    }
  }
  return found;
}

function filesHolding(root: string, marker: string): string[] {
  const needle = Buffer.from(marker);
  return filesUnder(root).filter((path) => readFileSync(path).includes(needle));
}

async function* piecesOf(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += pieceBytes) yield bytes.subarray(at, at + pieceBytes);
}

test('chunk store: sealed files hold no plaintext, read back verified, damage quarantined', async () => {
  const directory = temporaryDirectory('sealed-chunks');
  try {
    const store = await ChunkStore.open(new RealDisk(), directory.path, { sealing: keyring });
    const content = markerContent('CHUNK-MARKER-7f3a', 300_000);
    const { sha256, size } = await store.write(piecesOf(content, 70_000));
    assert.is(sha256, createHash('sha256').update(content).digest('hex'), 'named by plaintext');
    assert.is(size, content.length);
    assert.equal(filesHolding(directory.path, 'CHUNK-MARKER-7f3a'), []);
    assert.ok(bytesEqual(await store.read(sha256), content));
    const streamed: Uint8Array[] = [];
    for await (const piece of store.readStream(sha256)) streamed.push(piece);
    assert.ok(bytesEqual(Buffer.concat(streamed), content));
    assert.ok(await store.verify(sha256));
    // Rotation: a store with keys 1 and 2 reads the chunk sealed under key 1.
    const rotated = await ChunkStore.open(new RealDisk(), directory.path, {
      sealing: new Keyring([key1, key2]),
    });
    assert.ok(bytesEqual(await rotated.read(sha256), content));
    const path = store.chunkPath(sha256);
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1]! ^= 0x04;
    writeFileSync(path, bytes);
    await expectCairnError(() => store.read(sha256), 'CAIRN_ERR_CORRUPTION');
    assert.is(store.quarantined().length, 1);
    assert.match(store.quarantined()[0]!.reason, /failed authentication/);
  } finally {
    directory.remove();
  }
});

test('chunk store: a plaintext chunk file in a sealed store is refused, not served', async () => {
  const directory = temporaryDirectory('sealed-chunks-plain');
  try {
    const plain = await ChunkStore.open(new RealDisk(), directory.path);
    const content = markerContent('PLAIN', 1000);
    const { sha256 } = await plain.write(content);
    const sealed = await ChunkStore.open(new RealDisk(), directory.path, { sealing: keyring });
    await expectCairnError(() => sealed.read(sha256), 'CAIRN_ERR_CORRUPTION');
  } finally {
    directory.remove();
  }
});

test('state store: sealed values on disk, plain snapshot stream, installs under another key', async () => {
  const directory = temporaryDirectory('sealed-state');
  const store = StateStore.open(join(directory.path, 'a'), { sealing: keyring });
  const other = StateStore.open(join(directory.path, 'b'), { sealing: new Keyring([key2]) });
  try {
    const value = markerContent('STATE-MARKER-91c2', 5000);
    await store.applyBatch([{ index: 1, term: 1 }], (_entry, writer) => {
      writer.put('o/object-1', value);
      writer.put('o/object-2', value.subarray(0, 10));
      assert.ok(bytesEqual(writer.get('o/object-1')!, value), 'the writer reads its own put');
    });
    await store.flush();
    assert.ok(bytesEqual(store.get('o/object-1')!, value));
    assert.equal(
      store.rangeByPrefix('o/').map((pair) => pair.key),
      ['o/object-1', 'o/object-2'],
    );
    assert.ok(bytesEqual(store.rangeByPrefix('o/')[0]!.value, value));
    assert.equal(filesHolding(join(directory.path, 'a'), 'STATE-MARKER-91c2'), []);
    const { pieces } = store.createSnapshot();
    await other.installSnapshot(pieces);
    assert.ok(bytesEqual(other.get('o/object-1')!, value), 'the stream carried plaintext');
    await other.flush();
    assert.equal(filesHolding(join(directory.path, 'b'), 'STATE-MARKER-91c2'), []);
  } finally {
    await store.close();
    await other.close();
    directory.remove();
  }
});

test('state values: remembered openings never hide damage or a value moved to another key', () => {
  const sealing = new StateValueSealing(keyring);
  const value = Buffer.from('a small state value');
  const sealed = sealing.seal('o/a', value);
  assert.ok(sealing.open('o/a', sealed).equals(value), 'a remembered opening');
  const damaged = Buffer.from(sealed);
  damaged[damaged.length - 3]! ^= 1;
  assert.throws(
    () => sealing.open('o/a', damaged),
    (error: unknown) => error instanceof CorruptionError,
  );
  sealing.seal('o/b', Buffer.from('another value'));
  assert.throws(
    () => sealing.open('o/b', sealed),
    (error: unknown) => error instanceof CorruptionError,
    'the value of o/a under o/b',
  );
  const opened = sealing.open('o/a', sealed);
  opened[0] = 0;
  assert.ok(sealing.open('o/a', sealed).equals(value), 'callers get their own copy');
});

test('raft log: sealed entries on disk, replayed identical; a plain reader refuses them', async () => {
  const directory = temporaryDirectory('sealed-wal');
  try {
    const disk = new RealDisk();
    const data = markerContent('WAL-MARKER-55d0', 3000);
    const opened = await RaftLog.open(disk, directory.path, { sealing: keyring });
    opened.log.append([
      { index: 1, term: 1, type: 'normal', data },
      { index: 2, term: 1, type: 'confChange', data: data.subarray(0, 7) },
    ]);
    opened.log.setHardState({ term: 1, vote: 'n1', commit: 2 });
    await opened.log.sync();
    await opened.log.close();
    assert.equal(filesHolding(directory.path, 'WAL-MARKER-55d0'), []);
    const again = await RaftLog.open(disk, directory.path, {
      sealing: new Keyring([key1, key2]),
    });
    assert.equal(
      again.replayed.entries.map((entry) => [entry.index, entry.type, entry.data.length]),
      [
        [1, 'normal', 3000],
        [2, 'confChange', 7],
      ],
    );
    assert.ok(bytesEqual(again.replayed.entries[0]!.data, data));
    await again.log.close();
    try {
      await RaftLog.open(disk, directory.path);
      assert.unreachable('a plain reader opened a sealed log');
    } catch (error) {
      assert.instance(error, CorruptionError);
      assert.match((error as Error).message, /sealed entry, but no encryption key/);
    }
  } finally {
    directory.remove();
  }
});

test('snapshot files: sealed on disk, the plain stream read back, damage refused', async () => {
  const directory = temporaryDirectory('sealed-snapshots');
  const store = StateStore.open(join(directory.path, 'state'));
  try {
    const value = markerContent('SNAPSHOT-MARKER-0e77', 200_000);
    await store.applyBatch([{ index: 1, term: 1 }], (_entry, writer) => writer.put('o/a', value));
    const files = await SnapshotFiles.open(new RealDisk(), join(directory.path, 'snapshots'), {
      sealing: keyring,
    });
    const saved = await files.save(store.createSnapshot(10_000).pieces);
    assert.equal(filesHolding(join(directory.path, 'snapshots'), 'SNAPSHOT-MARKER-0e77'), []);
    const pieces: Uint8Array[] = [];
    for await (const piece of files.read(saved.path, 1000)) pieces.push(piece);
    assert.ok(pieces.every((piece) => piece.length <= 1000));
    assert.ok(Buffer.concat(pieces).includes(Buffer.from('SNAPSHOT-MARKER-0e77')), 'plain stream');
    assert.equal(await files.verify(saved.path), { index: 1, term: 1 });
    const bytes = readFileSync(saved.path);
    bytes[bytes.length - 100]! ^= 0x10;
    writeFileSync(saved.path, bytes);
    const error = await expectCairnError(() => files.verify(saved.path), 'CAIRN_ERR_CORRUPTION');
    assert.is(error.details['file'], saved.path);
  } finally {
    await store.close();
    directory.remove();
  }
});

test('key files: created 0600 and never replaced, keys added with the next id', async () => {
  const directory = temporaryDirectory('key-files');
  try {
    const file = join(directory.path, 'node.keys');
    const created = await createKeyFile(file);
    assert.is(created.id, 1);
    assert.is(statSync(file).mode & 0o777, 0o600);
    await expectCairnError(() => createKeyFile(file), 'CAIRN_ERR_ALREADY_EXISTS');
    const added = await addKey(file);
    assert.is(added.id, 2);
    assert.is(statSync(file).mode & 0o777, 0o600);
    const ring = await readKeyring(file);
    assert.equal([ring.ids(), ring.currentKeyId], [[1, 2], 2]);
    writeFileSync(join(directory.path, 'bad.keys'), '{"format":"x"}');
    await expectCairnError(
      () => readKeyring(join(directory.path, 'bad.keys')),
      'CAIRN_ERR_ENCRYPTION_KEY',
    );
  } finally {
    directory.remove();
  }
});

test('key check record: right key passes, wrong or missing key and plain/encrypted mixes refused', async () => {
  const directory = temporaryDirectory('key-check');
  try {
    const data = join(directory.path, 'data');
    const plainData = join(directory.path, 'plain');
    const keys = join(directory.path, 'a.keys');
    const wrong = join(directory.path, 'b.keys');
    await createKeyFile(keys);
    await createKeyFile(wrong);
    mkdirSync(data);
    mkdirSync(plainData);
    writeFileSync(join(plainData, 'identity.json'), '{}');
    const first = await openEncryptionAtRest(data, keys);
    assert.equal(first?.ids(), [1]);
    assert.ok(statSync(join(data, 'ENCRYPTION')).isFile());
    assert.equal((await openEncryptionAtRest(data, keys))?.ids(), [1], 'a restart passes');
    const wrongKey = await expectCairnError(
      () => openEncryptionAtRest(data, wrong),
      'CAIRN_ERR_ENCRYPTION_KEY',
    );
    assert.match(wrongKey.message, /wrong encryption key/);
    const noKey = await expectCairnError(
      () => openEncryptionAtRest(data, undefined),
      'CAIRN_ERR_ENCRYPTION_KEY',
    );
    assert.match(noKey.message, /is encrypted .*--encryption-key-file/);
    const keyOnPlain = await expectCairnError(
      () => openEncryptionAtRest(plainData, keys),
      'CAIRN_ERR_ENCRYPTION_KEY',
    );
    assert.match(keyOnPlain.message, /holds unencrypted data/);
    assert.is(await openEncryptionAtRest(plainData, undefined), undefined, 'plain stays plain');
    // Rotation: key 2 is recorded at the next start; a file without key 1 is then refused.
    await addKey(keys);
    assert.equal((await openEncryptionAtRest(data, keys))?.currentKeyId, 2);
    const record = JSON.parse(readFileSync(join(data, 'ENCRYPTION'), 'utf8'));
    assert.equal(
      record.keys.map((key: { id: number }) => key.id),
      [1, 2],
    );
    const text = JSON.parse(readFileSync(keys, 'utf8'));
    text.keys = text.keys.filter((key: { id: number }) => key.id === 2);
    writeFileSync(wrong, JSON.stringify(text));
    const missing = await expectCairnError(
      () => openEncryptionAtRest(data, wrong),
      'CAIRN_ERR_ENCRYPTION_KEY',
    );
    assert.match(missing.message, /key id 1, which sealed data .* is missing/);
  } finally {
    directory.remove();
  }
});

test.run();
