// The follower's side of a streamed snapshot: pieces with their CRC32C appended to a
// staging file, a bad piece refused without effect, a piece at the wrong offset not
// written, the whole file checked against the reference's SHA-256 before it is put in
// place, and a new snapshot replacing an unfinished one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c } from '../../src/storage/crc32c.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { SnapshotFiles } from '../../src/storage/snapshot-files.js';
import { SnapshotReceiver } from '../../src/storage/snapshot-receiver.js';
import type { SnapshotReference } from '../../src/storage/snapshot-reference.js';
import { StateStore } from '../../src/storage/state-store.js';
import { Prng } from '../../src/util/prng.js';
import { bytesEqual, expectCairnError, payloadFor, temporaryDirectory } from './helpers.js';

const pieceBytes = 1024;

/** A snapshot file of `count` records on a leader's disk, and its pieces. */
async function leaderSnapshot(count: number): Promise<{
  reference: SnapshotReference;
  pieces: Uint8Array[];
}> {
  const directory = temporaryDirectory('receiver');
  const store = StateStore.open(directory.path);
  try {
    const entries = Array.from({ length: count }, (_, i) => ({ index: i + 1, term: 2 }));
    await store.applyBatch(entries, (entry, writer) =>
      writer.put(`k/${entry.index}`, payloadFor(entry.index, 100)),
    );
    const files = await SnapshotFiles.open(new SimulatedDisk(new Prng(1)), '/leader');
    const saved = await files.save(store.createSnapshot(pieceBytes).pieces);
    const pieces: Uint8Array[] = [];
    for await (const piece of files.read(saved.path, pieceBytes)) pieces.push(piece);
    return { reference: saved.reference, pieces };
  } finally {
    await store.close();
    directory.remove();
  }
}

async function follower(): Promise<{
  disk: SimulatedDisk;
  files: SnapshotFiles;
  receiver: SnapshotReceiver;
}> {
  const disk = new SimulatedDisk(new Prng(2));
  const files = await SnapshotFiles.open(disk, '/follower');
  return { disk, files, receiver: new SnapshotReceiver(disk, files, pieceBytes) };
}

function offer(reference: SnapshotReference, pieces: Uint8Array[], index: number) {
  const piece = pieces[index] as Uint8Array;
  const offset = pieces.slice(0, index).reduce((sum, each) => sum + each.length, 0);
  return { reference, offset, piece, crc32c: crc32c(piece) };
}

test('pieces in order make the whole file, verified and in place', async () => {
  const { reference, pieces } = await leaderSnapshot(400);
  assert.ok(pieces.length > 30, `the state is many pieces (${pieces.length})`);
  const { files, receiver } = await follower();
  assert.equal(await receiver.status(reference), { receivedBytes: 0, complete: false });
  for (let index = 0; index < pieces.length; index++) {
    const receipt = await receiver.accept(offer(reference, pieces, index));
    assert.is(receipt.complete, index === pieces.length - 1);
  }
  assert.ok(await receiver.holds(reference));
  assert.equal(await files.describe(files.pathOf(reference)), reference);
  assert.equal(await receiver.status(reference), {
    receivedBytes: reference.bytes,
    complete: true,
  });
});

test('a piece failing its checksum is refused and changes nothing; a wrong offset is not written', async () => {
  const { reference, pieces } = await leaderSnapshot(200);
  const { receiver } = await follower();
  await receiver.accept(offer(reference, pieces, 0));
  await receiver.accept(offer(reference, pieces, 1));
  const held = pieces[0]!.length + pieces[1]!.length;
  const damaged = offer(reference, pieces, 2);
  const flipped = damaged.piece.slice();
  flipped[17] = (flipped[17] as number) ^ 0x10;
  await expectCairnError(
    () => receiver.accept({ ...damaged, piece: flipped }),
    'CAIRN_ERR_CORRUPTION',
  );
  assert.equal(await receiver.status(reference), { receivedBytes: held, complete: false });
  // A sender that lost track (a resend of piece 1, or a jump to 3) learns where to go on.
  assert.equal(await receiver.accept(offer(reference, pieces, 1)), {
    receivedBytes: held,
    complete: false,
  });
  assert.equal(await receiver.accept(offer(reference, pieces, 3)), {
    receivedBytes: held,
    complete: false,
  });
  for (let index = 2; index < pieces.length; index++)
    await receiver.accept(offer(reference, pieces, index));
  assert.ok(await receiver.holds(reference), 'resumed to the end');
});

test('a whole file that does not match the SHA-256 of its reference is refused and removed', async () => {
  const { reference, pieces } = await leaderSnapshot(100);
  const { disk, files, receiver } = await follower();
  const wrong = { ...reference, sha256: '0'.repeat(64) };
  for (let index = 0; index < pieces.length - 1; index++)
    await receiver.accept(offer(wrong, pieces, index));
  await expectCairnError(
    () => receiver.accept(offer(wrong, pieces, pieces.length - 1)),
    'CAIRN_ERR_CORRUPTION',
  );
  assert.not.ok(await receiver.holds(wrong));
  assert.equal(await disk.readdir('/follower'), [], 'no file and no staging left');
  assert.equal(await files.list(), []);
});

test('a new snapshot replaces an unfinished one; oversized pieces are refused', async () => {
  const first = await leaderSnapshot(100);
  const second = await leaderSnapshot(150);
  const { disk, receiver } = await follower();
  await receiver.accept(offer(first.reference, first.pieces, 0));
  await receiver.accept(offer(second.reference, second.pieces, 0));
  assert.equal(await receiver.status(first.reference), { receivedBytes: 0, complete: false });
  assert.is((await disk.readdir('/follower')).length, 1, 'one staging file');
  const big = new Uint8Array(pieceBytes + 1);
  await expectCairnError(
    () =>
      receiver.accept({ reference: second.reference, offset: 0, piece: big, crc32c: crc32c(big) }),
    'CAIRN_ERR_INVALID_ARGUMENT',
  );
  for (let index = 1; index < second.pieces.length; index++)
    await receiver.accept(offer(second.reference, second.pieces, index));
  assert.ok(await receiver.holds(second.reference));
  const path = (await disk.readdir('/follower'))[0] as string;
  const bytes = new Uint8Array((await disk.stat(`/follower/${path}`))!.size);
  const handle = await disk.open(`/follower/${path}`, 'read');
  await handle.read(bytes, 0);
  await handle.close();
  let offset = 0;
  for (const piece of second.pieces) {
    assert.ok(bytesEqual(bytes.subarray(offset, offset + piece.length), piece));
    offset += piece.length;
  }
});

test.run();
