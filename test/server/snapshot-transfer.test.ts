// Streamed snapshots between two peer servers on 127.0.0.1: the transport sends the
// file a snapshot message references in pieces of at most the piece size (each with
// its CRC32C), beside the heartbeats, then the message. A piece damaged on the way is
// refused and sent again; a connection that breaks resumes where the follower is,
// without starting over. A snapshot message whose file has not arrived is refused.
import type { Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/raft/index.js';
import { openNodeSnapshots, type NodeSnapshots } from '../../src/server/node-snapshots.js';
import { createPeerServer, raftMessagesHandler } from '../../src/server/peer-server.js';
import { PeerTransport } from '../../src/server/peer-transport.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { SnapshotFiles } from '../../src/storage/snapshot-files.js';
import {
  encodeSnapshotReference,
  type SnapshotReference,
} from '../../src/storage/snapshot-reference.js';
import { StateStore } from '../../src/storage/state-store.js';
import { Prng } from '../../src/util/prng.js';
import { closeServer, listenOn, waitFor } from '../helpers/wait.js';
import { payloadFor, temporaryDirectory } from '../storage/helpers.js';
import { standInClientHandlers, standInLeadership, standInPeerHandlers } from './stand-in-ports.js';

const pieceBytes = 2048;

function message(type: 'heartbeat' | 'snapshot', term: number, data?: Uint8Array): Message {
  return {
    groupId: 'meta',
    type,
    from: 'n1',
    to: 'n2',
    term,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: term,
    reject: false,
    rejectHint: 0,
    ...(data === undefined
      ? {}
      : {
          snapshot: {
            metadata: { index: 600, term: 3, confState: { voters: ['n1', 'n2'], learners: [] } },
            data,
          },
        }),
  };
}

/** The leader's snapshot file of 600 records of 200 bytes (about 60 pieces). */
async function leaderFiles(): Promise<{ files: SnapshotFiles; reference: SnapshotReference }> {
  const directory = temporaryDirectory('snapshot-transfer');
  const store = StateStore.open(directory.path);
  try {
    const entries = Array.from({ length: 600 }, (_, i) => ({ index: i + 1, term: 3 }));
    await store.applyBatch(entries, (entry, writer) =>
      writer.put(`o/${entry.index}`, payloadFor(entry.index, 200)),
    );
    const files = await SnapshotFiles.open(new SimulatedDisk(new Prng(3)), '/leader/snapshots');
    const saved = await files.save(store.createSnapshot(pieceBytes).pieces);
    return { files, reference: saved.reference };
  } finally {
    await store.close();
    directory.remove();
  }
}

interface Follower {
  server: Server;
  address: string;
  snapshots: NodeSnapshots;
  received: Message[];
  /** Offset and size of every piece request, in arrival order. */
  pieces: { offset: number; bytes: number }[];
}

/** A follower's peer server; `sabotage(n)` may damage or cut the n-th piece request. */
async function follower(sabotage: (call: number) => 'damage' | 'cut' | 'none'): Promise<Follower> {
  const disk = new SimulatedDisk(new Prng(4));
  const snapshots = await openNodeSnapshots(disk, '/follower', pieceBytes, () => undefined);
  const received: Message[] = [];
  const pieces: { offset: number; bytes: number }[] = [];
  const handlers = standInPeerHandlers({
    raftMessages: raftMessagesHandler({
      clusterId: () => 'c1',
      onMessages: (messages) => received.push(...messages),
      snapshotHeld: snapshots.held,
    }),
    snapshotStatus: snapshots.handlers.snapshotStatus,
    snapshotPiece: (input) => {
      const bytes = Number(input.request.headers['content-length']);
      pieces.push({ offset: input.query.offset, bytes });
      const what = sabotage(pieces.length);
      if (what === 'cut') {
        input.request.socket.destroy();
        return new Promise(() => undefined);
      }
      const crc32c = what === 'damage' ? input.query.crc32c ^ 1 : input.query.crc32c;
      return snapshots.handlers.snapshotPiece({ ...input, query: { ...input.query, crc32c } });
    },
  });
  const server = createPeerServer({
    handlers,
    clientPort: { handlers: standInClientHandlers(), leadership: standInLeadership() },
    membership: { isCurrentMember: () => true },
  });
  const address = await listenOn(server);
  return { server, address, snapshots, received, pieces };
}

test('the file goes in bounded pieces, a damaged piece is resent, a cut resumes', async () => {
  const leader = await leaderFiles();
  const total = Math.ceil(leader.reference.bytes / pieceBytes);
  assert.ok(total > 40, `the state is many pieces (${total})`);
  const peer = await follower((call) => (call === 3 ? 'damage' : call === 9 ? 'cut' : 'none'));
  const reports: boolean[] = [];
  const transport = new PeerTransport({
    clusterId: () => 'c1',
    onUnreachable: () => undefined,
    onSnapshotReport: (_peer, delivered) => reports.push(delivered),
    snapshots: { files: leader.files, pieceBytes },
  });
  transport.setPeerAddress('n2', peer.address);
  const data = encodeSnapshotReference(leader.reference);
  try {
    transport.send([
      message('heartbeat', 4),
      message('snapshot', 5, data),
      message('heartbeat', 6),
    ]);
    await waitFor('the snapshot message', () => peer.received.some((m) => m.type === 'snapshot'), {
      timeoutMilliseconds: 20_000,
    });
    await waitFor('the delivery report', () => reports.length === 1);
    assert.equal(reports, [true]);
    assert.ok(await peer.snapshots.held(leader.reference), 'the follower holds the file whole');
    const sizes = peer.pieces.map((piece) => piece.bytes);
    assert.ok(Math.max(...sizes) <= pieceBytes, `pieces at most ${pieceBytes} bytes`);
    assert.is(peer.pieces[3]?.offset, peer.pieces[2]?.offset, 'the damaged piece is sent again');
    const restarts = peer.pieces.filter((piece, index) => index > 0 && piece.offset === 0);
    assert.equal(restarts, [], 'no transfer starts over');
    assert.ok(
      peer.pieces.length <= total + 2,
      `${peer.pieces.length} requests for ${total} pieces`,
    );
    assert.ok(peer.received.filter((m) => m.type === 'heartbeat').length === 2);
  } finally {
    await transport.close();
    await closeServer(peer.server);
  }
});

test('a snapshot message whose file has not arrived is refused', async () => {
  const leader = await leaderFiles();
  const peer = await follower(() => 'none');
  const reports: boolean[] = [];
  // Without a snapshot source the transport sends the message alone, without its file.
  const transport = new PeerTransport({
    clusterId: () => 'c1',
    onUnreachable: () => undefined,
    onSnapshotReport: (_peer, delivered) => reports.push(delivered),
  });
  transport.setPeerAddress('n2', peer.address);
  try {
    transport.send([message('snapshot', 5, encodeSnapshotReference(leader.reference))]);
    await waitFor('the report', () => reports.length === 1);
    assert.equal(reports, [false]);
    assert.equal(peer.received, []);
  } finally {
    await transport.close();
    await closeServer(peer.server);
  }
});

test.run();
