// Hinted hand-off against stand-in chunk peers: a copy written while its home node was
// down moves home once the home answers; the hint goes; the away copy goes only once
// all R home nodes hold the chunk. Also the hints store on its own (durable, bounded).

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkTransport } from '../../src/data/chunk-transfer.js';
import { type HintedHandoffContext, runHintedHandoff } from '../../src/data/hinted-handoff.js';
import { writeChunks, type WrittenChunks } from '../../src/data/object-data.js';
import type { ChunkStore } from '../../src/storage/chunk-store.js';
import { HintsStore } from '../../src/storage/hints-store.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { CairnError } from '../../src/util/errors.js';
import { type StandInPeer, type StandInPeers, startPeers } from './chunk-peers.js';

const chunkSizeBytes = 1000;

async function* chunksOf(count: number, seed: number): AsyncGenerator<Uint8Array> {
  for (let index = 0; index < count; index++)
    yield new Uint8Array(chunkSizeBytes).map((_, offset) => (seed + index * 13 + offset) & 0xff);
}

async function writeWithDown(
  peers: StandInPeers,
  transport: ChunkTransport,
  down: string,
): Promise<WrittenChunks> {
  peers.peer(down).mode = 'refuse';
  const written = await writeChunks(
    {
      selfId: 'writer',
      store: undefined as unknown as ChunkStore,
      transport,
      rings: () => [peers.ring],
      peerAddressOf: (memberId) => peers.addressOf(memberId),
    },
    chunksOf(16, 9),
    new Uint8Array(0),
    {
      chunkSizeBytes,
      inflightChunksMax: 4,
      objectSizeBytesMax: 1_000_000,
      hedgeDelayMilliseconds: 5_000,
      stragglerWaitMilliseconds: 5_000,
    },
  );
  assert.is(written.copiesMin, 3);
  return written;
}

function handoffContext(
  peers: StandInPeers,
  transport: ChunkTransport,
  peer: StandInPeer,
): HintedHandoffContext {
  return {
    selfId: peer.memberId,
    store: peer.store,
    hints: peer.hints,
    transport,
    rings: () => [peers.ring],
    peerAddressOf: (memberId) => peers.addressOf(memberId),
  };
}

test('hand-off moves each hinted copy home once the home answers, then drops hint and copy', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    const written = await writeWithDown(peers, transport, 'n2');
    const hinted = written.chunks.filter((chunk) =>
      peers.ring.replicasFor(chunk.sha256).includes('n2'),
    );
    assert.ok(hinted.length >= 1, 'some chunk is homed on n2');
    const standIn = (sha256: string): StandInPeer =>
      peers.peer(peers.ring.preferenceListFor(sha256)[3] as string);

    // Home still down: nothing moves, nothing is dropped, one attempt per run for n2.
    for (const peer of peers.peers.values()) {
      if (peer.hints.size === 0) continue;
      const report = await runHintedHandoff(handoffContext(peers, transport, peer));
      assert.is(report.handedOff, 0);
      assert.equal(report.unreachableHomes, ['n2']);
      assert.is(report.hintsLeft, peer.hints.size);
      assert.ok(report.hintsLeft >= 1);
    }

    peers.peer('n2').mode = 'up';
    let handedOff = 0;
    for (const peer of peers.peers.values()) {
      if (peer.hints.size === 0) continue;
      const report = await runHintedHandoff(handoffContext(peers, transport, peer));
      assert.equal(report.unreachableHomes, []);
      assert.equal(report.failures, []);
      assert.is(report.hintsLeft, 0, 'every hint dropped');
      assert.is(report.awayCopiesDeleted, report.handedOff, 'R home copies: away copies go');
      handedOff += report.handedOff;
    }
    assert.is(handedOff, hinted.length, 'one hand-off per stand-in copy');
    for (const chunk of hinted) {
      assert.ok(await peers.peer('n2').store.verify(chunk.sha256), 'home holds a verified copy');
      assert.not.ok(await standIn(chunk.sha256).store.has(chunk.sha256), 'away copy deleted');
      for (const home of peers.ring.replicasFor(chunk.sha256))
        assert.ok(await peers.peer(home).store.has(chunk.sha256), `${home} holds it`);
    }
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('hand-off keeps the away copy while fewer than R home nodes hold the chunk', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    const written = await writeWithDown(peers, transport, 'n2');
    peers.peer('n2').mode = 'up';
    // Another home node lost its copy meanwhile: the away copy must stay.
    const chunk = written.chunks.find((candidate) =>
      peers.ring.replicasFor(candidate.sha256).includes('n2'),
    );
    assert.ok(chunk !== undefined);
    const otherHome = peers.ring.replicasFor(chunk.sha256).find((id) => id !== 'n2') as string;
    await peers.peer(otherHome).store.remove(chunk.sha256);
    const holder = peers.peer(peers.ring.preferenceListFor(chunk.sha256)[3] as string);
    const report = await runHintedHandoff(handoffContext(peers, transport, holder));
    assert.ok(report.handedOff >= 1);
    assert.ok(await peers.peer('n2').store.has(chunk.sha256), 'moved home');
    assert.ok(await holder.store.has(chunk.sha256), 'the away copy stays: only 2 home copies');
    assert.not.ok(holder.hints.has({ sha256: chunk.sha256, homeMemberId: 'n2' }), 'hint dropped');
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('hand-off drops a hint whose chunk is gone and one whose member is no home any more', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    const holder = peers.peer('n1');
    const missing = 'a'.repeat(64);
    const missingHome = peers.ring.replicasFor(missing).find((id) => id !== 'n1') as string;
    await holder.hints.add({ sha256: missing, homeMemberId: missingHome });
    const stray = 'b'.repeat(64);
    const notHome = peers.ring.preferenceListFor(stray)[3] as string;
    await holder.hints.add({ sha256: stray, homeMemberId: notHome });
    const report = await runHintedHandoff(handoffContext(peers, transport, holder));
    assert.is(report.droppedWithoutCopy, 1, 'no local copy of the missing chunk');
    assert.is(report.droppedNotHome, 1, 'the ring does not place the stray chunk there');
    assert.is(holder.hints.size, 0);
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('hints store: durable across reopen, idempotent, bounded, removal durable', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'cairn-hints-'));
  try {
    const disk = new RealDisk();
    const root = join(directory, 'hints');
    const first = await HintsStore.open(disk, root, { hintsMax: 2 });
    const one = { sha256: '1'.repeat(64), homeMemberId: 'n2' };
    const two = { sha256: '2'.repeat(64), homeMemberId: 'node.b:7' };
    await first.add(one);
    await first.add(one);
    await first.add(two);
    assert.is(first.size, 2);
    try {
      await first.add({ sha256: '3'.repeat(64), homeMemberId: 'n2' });
      assert.unreachable('a third hint is refused');
    } catch (error) {
      assert.ok(error instanceof CairnError);
      assert.is(error.code, 'CAIRN_ERR_UNAVAILABLE');
      assert.match(error.message, /hintsStoredMax/);
    }
    assert.equal(readdirSync(join(root, 'n2')), [one.sha256]);
    const reopened = await HintsStore.open(disk, root);
    assert.equal(
      reopened.list(),
      [two, one].sort((a, b) => (a.homeMemberId < b.homeMemberId ? -1 : 1)),
    );
    assert.ok(reopened.hasChunk(one.sha256));
    assert.ok(await reopened.remove(one));
    assert.not.ok(await reopened.remove(one));
    const again = await HintsStore.open(disk, root);
    assert.equal(again.list(), [two]);
    assert.throws(() => again.list(-1), /limit/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
