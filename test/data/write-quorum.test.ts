// The sloppy write quorum against stand-in chunk peers (real HTTP servers on 127.0.0.1,
// the real chunk transfer): W copies with a node down, a clear failure below W, no wait
// on a hanging node, hints on the stand-in nodes, reads of hinted copies.
//
// CAIRN_TEST_PLANT_BUG=wait-for-all-copies runs the one-node-down test with the old
// behaviour (every chunk needs all R home nodes): it must fail.

import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkTransport } from '../../src/data/chunk-transfer.js';
import {
  type ChunkPlacementContext,
  majorityOf,
  readChunks,
  writeChunks,
  type WrittenChunks,
} from '../../src/data/object-data.js';
import { MemberSuspicion } from '../../src/data/member-suspicion.js';
import type { ChunkStore } from '../../src/storage/chunk-store.js';
import { CairnError } from '../../src/util/errors.js';
import { type StandInPeers, startPeers } from './chunk-peers.js';

const chunkSizeBytes = 1000;
const plantedBug = process.env['CAIRN_TEST_PLANT_BUG'] === 'wait-for-all-copies';

function writerContext(
  peers: StandInPeers,
  transport: ChunkTransport,
  extra: Partial<ChunkPlacementContext> = {},
): ChunkPlacementContext {
  return {
    selfId: 'writer', // not a member: every copy goes through the chunk transfer
    store: undefined as unknown as ChunkStore,
    transport,
    rings: () => [peers.ring],
    peerAddressOf: (memberId) => peers.addressOf(memberId),
    ...extra,
  };
}

/** `count` chunks of distinct content (chunk i filled from seed + i). */
function objectBytes(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count * chunkSizeBytes);
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = (seed * 31 + Math.floor(index / chunkSizeBytes) * 7 + index) & 0xff;
  return bytes;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function put(
  context: ChunkPlacementContext,
  bytes: Uint8Array,
  options: {
    writeQuorum?: number;
    hedgeDelayMilliseconds?: number;
    stragglerWaitMilliseconds?: number;
  } = {},
): Promise<WrittenChunks> {
  return writeChunks(context, once(bytes), new Uint8Array(0), {
    chunkSizeBytes,
    inflightChunksMax: 4,
    objectSizeBytesMax: 1_000_000,
    hedgeDelayMilliseconds: options.hedgeDelayMilliseconds ?? 150,
    stragglerWaitMilliseconds: options.stragglerWaitMilliseconds ?? 300,
    ...(options.writeQuorum === undefined ? {} : { writeQuorum: options.writeQuorum }),
  });
}

async function readAll(context: ChunkPlacementContext, written: WrittenChunks): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of readChunks(context, written.chunks)) pieces.push(piece);
  return Buffer.concat(pieces);
}

async function holdersOf(peers: StandInPeers, sha256: string): Promise<string[]> {
  const holders: string[] = [];
  for (const peer of peers.peers.values())
    if (await peer.store.has(sha256)) holders.push(peer.memberId);
  return holders;
}

/** 3 nodes, R = 3, n2 refusing connections (killed): every put must still succeed. */
async function oneNodeDown(plant: boolean): Promise<void> {
  const peers = await startPeers(3);
  const transport = new ChunkTransport();
  try {
    peers.peer('n2').mode = 'refuse';
    const context = writerContext(peers, transport, plant ? { waitForAllCopies: true } : {});
    const bytes = objectBytes(6, 1);
    const written = await put(context, bytes);
    assert.is(written.copiesWanted, 3);
    assert.is(written.copiesMin, 2, 'two copies: W reached, the result says fewer than R');
    for (const chunk of written.chunks)
      assert.equal(await holdersOf(peers, chunk.sha256), ['n1', 'n3'], 'on the live home nodes');
    assert.ok((await readAll(context, written)).equals(bytes), 'reads back byte-identical');
  } finally {
    await transport.close();
    await peers.close();
  }
}

test('one node of three down: the put succeeds with W = 2 of R = 3 and says so', async () => {
  assert.is(majorityOf(3), 2);
  assert.is(majorityOf(2), 2);
  assert.is(majorityOf(1), 1);
  await oneNodeDown(plantedBug);
});

test('the planted bug (wait for all R copies) fails the one-node-down test', async () => {
  let failure: unknown;
  try {
    await oneNodeDown(true);
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof CairnError, 'the old behaviour fails the put');
  assert.is(failure.code, 'CAIRN_ERR_UNAVAILABLE');
  assert.match(failure.message, /could make only 2 of the 3 copies needed/);
});

test('fewer than W copies: CAIRN_ERR_UNAVAILABLE naming how many were made of how many', async () => {
  const peers = await startPeers(3);
  const transport = new ChunkTransport();
  try {
    peers.peer('n1').mode = 'refuse';
    peers.peer('n3').mode = 'refuse';
    let failure: unknown;
    try {
      await put(writerContext(peers, transport), objectBytes(3, 2));
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof CairnError, 'the put fails');
    assert.is(failure.code, 'CAIRN_ERR_UNAVAILABLE');
    assert.match(
      failure.message,
      /could make only 1 of the 2 copies needed \(write quorum 2 of 3\)/,
    );
    assert.match(failure.message, /ECONNREFUSED/, 'names why');
    assert.is(failure.details['copiesMade'], 1);
    assert.is(failure.details['copiesNeeded'], 2);
    assert.is(failure.details['outcome'], 'failed', 'nothing committed: the client may retry');
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('a stand-in copy lands on the next node of the preference list, hinted there', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    peers.peer('n2').mode = 'refuse';
    const context = writerContext(peers, transport);
    const written = await put(context, objectBytes(16, 3));
    assert.is(written.copiesMin, 3, 'R copies: the fourth node stood in');
    let standIns = 0;
    for (const chunk of written.chunks) {
      const list = peers.ring.preferenceListFor(chunk.sha256);
      const homes = list.slice(0, 3);
      const holders = await holdersOf(peers, chunk.sha256);
      if (!homes.includes('n2')) {
        assert.equal(holders, [...homes].sort(), 'no down home: the home nodes');
        continue;
      }
      standIns++;
      const standIn = list[3] as string;
      assert.equal(holders, [...homes.filter((id) => id !== 'n2'), standIn].sort());
      assert.ok(peers.peer(standIn).hints.has({ sha256: chunk.sha256, homeMemberId: 'n2' }));
    }
    assert.ok(standIns >= 1, 'some chunk had n2 as a home node');
    let hintCount = 0;
    for (const peer of peers.peers.values()) hintCount += peer.hints.size;
    assert.is(hintCount, standIns, 'one hint per stand-in copy, none elsewhere');
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('a hanging node is not waited for: W copies, then at most the straggler wait', async () => {
  const peers = await startPeers(3);
  const transport = new ChunkTransport();
  try {
    peers.peer('n3').mode = 'hang';
    const started = Date.now();
    // The hedge delay is left long: the bound comes from the straggler wait once W are in.
    const written = await put(writerContext(peers, transport), objectBytes(4, 4), {
      hedgeDelayMilliseconds: 60_000,
    });
    const elapsed = Date.now() - started;
    assert.is(written.copiesMin, 2);
    // The transport would wait 30 s for the hanging node's answer; the put must not.
    assert.ok(elapsed < 10_000, `the put took ${elapsed} ms`);
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('a hanging home node gets a hedged stand-in when another node is available', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    peers.peer('n1').mode = 'hang';
    const written = await put(writerContext(peers, transport), objectBytes(12, 5));
    assert.is(written.copiesMin, 3, 'the stand-in made the third copy');
    for (const chunk of written.chunks) {
      const list = peers.ring.preferenceListFor(chunk.sha256);
      if (!list.slice(0, 3).includes('n1')) continue;
      const standIn = list[3] as string;
      assert.ok(peers.peer(standIn).hints.has({ sha256: chunk.sha256, homeMemberId: 'n1' }));
    }
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('a member that hung is suspected: later puts do not wait for it at all', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    peers.peer('n1').mode = 'hang';
    const suspicion = new MemberSuspicion(() => 0, 60_000); // a clock that stands still
    const context = writerContext(peers, transport, { suspicion });
    await put(context, objectBytes(8, 8)); // learns that n1 hangs (hedged, aborted)
    assert.ok(suspicion.isSuspect('n1'));
    assert.not.ok(suspicion.isSuspect('n2'), 'answering members are not suspected');
    // Now hedge and straggler waits are a minute: only a put that skips n1 ends quickly.
    const started = Date.now();
    const written = await put(context, objectBytes(8, 9), {
      hedgeDelayMilliseconds: 60_000,
      stragglerWaitMilliseconds: 60_000,
    });
    assert.ok(Date.now() - started < 10_000, 'n1 was not waited for');
    assert.is(written.copiesMin, 3, "stand-ins took n1's copies at once");
    for (const chunk of written.chunks) {
      const list = peers.ring.preferenceListFor(chunk.sha256);
      if (list.slice(0, 3).includes('n1'))
        assert.ok(
          peers.peer(list[3] as string).hints.has({ sha256: chunk.sha256, homeMemberId: 'n1' }),
        );
    }
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('suspicion: a failure suspects a member for the window; a success or the window clears it', () => {
  let now = 1_000;
  const suspicion = new MemberSuspicion(() => now, 5_000);
  suspicion.noteFailure('n1');
  suspicion.noteFailure('n2');
  now += 4_999;
  assert.ok(suspicion.isSuspect('n1'));
  suspicion.noteSuccess('n2');
  assert.not.ok(suspicion.isSuspect('n2'));
  now += 1;
  assert.not.ok(suspicion.isSuspect('n1'), 'tried again after the window');
});

test('a stand-in on the writing node itself is stored locally and hinted locally', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    peers.peer('n3').mode = 'refuse';
    const self = peers.peer('n4');
    const context = writerContext(peers, transport, {
      selfId: 'n4',
      store: self.store,
      hints: self.hints,
    });
    const written = await put(context, objectBytes(16, 7));
    assert.is(written.copiesMin, 3);
    const local = written.chunks.filter((chunk) => {
      const list = peers.ring.preferenceListFor(chunk.sha256);
      return list.slice(0, 3).includes('n3') && list[3] === 'n4';
    });
    assert.ok(local.length >= 1, 'some chunk stood in on the writer');
    for (const chunk of local) {
      assert.ok(await self.store.has(chunk.sha256));
      assert.ok(self.hints.has({ sha256: chunk.sha256, homeMemberId: 'n3' }));
    }
    assert.is(self.hints.size, local.length);
  } finally {
    await transport.close();
    await peers.close();
  }
});

test('a read does not wait for a hanging home node: the next copy is tried', async () => {
  const peers = await startPeers(3);
  const writer = new ChunkTransport();
  const reader = new ChunkTransport(); // its own suspicion: it has seen no failure yet
  try {
    const bytes = objectBytes(6, 10);
    const written = await put(writerContext(peers, writer), bytes);
    const firstHomes = written.chunks.map((chunk) => peers.ring.replicasFor(chunk.sha256)[0]);
    const hanging = firstHomes[0] as string;
    peers.peer(hanging).mode = 'hang';
    const started = Date.now();
    const read = await readAll(writerContext(peers, reader), written);
    const elapsed = Date.now() - started;
    assert.ok(read.equals(bytes));
    // Without the quick give-up a chunk would wait the 30 s request timeout.
    assert.ok(elapsed < 10_000, `the read took ${elapsed} ms`);
  } finally {
    await writer.close();
    await reader.close();
    await peers.close();
  }
});

test('reads find a hinted copy when its home nodes are all down', async () => {
  const peers = await startPeers(4);
  const transport = new ChunkTransport();
  try {
    peers.peer('n1').mode = 'refuse';
    const context = writerContext(peers, transport);
    const bytes = objectBytes(16, 6);
    const written = await put(context, bytes);
    // Only n4 is left: each chunk is there as a home copy or as n1's stand-in.
    peers.peer('n2').mode = 'refuse';
    peers.peer('n3').mode = 'refuse';
    const onlyHinted = written.chunks.filter(
      (chunk) => !peers.ring.replicasFor(chunk.sha256).includes('n4'),
    );
    assert.ok(onlyHinted.length >= 1, 'some chunk is on n4 only as a stand-in');
    const reports: string[] = [];
    const reader = { ...context, onBadCopy: (memberId: string) => void reports.push(memberId) };
    const read = await readAll(reader, written);
    assert.ok(read.equals(bytes), 'byte-identical');
    assert.is(
      createHash('sha256').update(read).digest('hex'),
      createHash('sha256').update(bytes).digest('hex'),
    );
    assert.not.ok(reports.includes('n4'), 'the stand-in was not reported as a bad copy');
  } finally {
    await transport.close();
    await peers.close();
  }
});

test.run();
