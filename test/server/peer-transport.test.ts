// The peer transport over real sockets on 127.0.0.1: batching, cluster-id refusal,
// unreachable peers reported, and nothing sent after close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/raft/index.js';
import { raftPeerServer } from './stand-in-ports.js';
import { PeerTransport } from '../../src/server/peer-transport.js';
import { closeServer, listenOn, waitFor } from '../helpers/wait.js';

function heartbeat(to: string, term: number): Message {
  return {
    groupId: 'meta',
    type: 'heartbeat',
    from: 'n1',
    to,
    term,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: term,
    reject: false,
    rejectHint: 0,
  };
}

test('messages reach the peer, in order, batched while a request is in flight', async () => {
  const received: Message[] = [];
  const server = raftPeerServer({
    clusterId: () => 'c1',
    onMessages: (messages) => received.push(...messages),
  });
  const address = await listenOn(server);
  const unreachable: string[] = [];
  const transport = new PeerTransport({
    clusterId: () => 'c1',
    onUnreachable: (peer) => unreachable.push(peer),
  });
  transport.setPeerAddress('n2', address);
  try {
    for (let term = 1; term <= 200; term++) transport.send([heartbeat('n2', term)]);
    await waitFor('all 200 messages', () => received.length === 200);
    assert.equal(
      received.map((message) => message.term),
      Array.from({ length: 200 }, (_, index) => index + 1),
    );
    assert.ok(
      transport.statistics.requestsSent < 200,
      `batched: ${transport.statistics.requestsSent} requests for 200 messages`,
    );
    assert.equal(unreachable, []);
  } finally {
    await transport.close();
    await closeServer(server);
  }
});

test('a peer of another cluster refuses the batch and is reported unreachable', async () => {
  const received: Message[] = [];
  const server = raftPeerServer({
    clusterId: () => 'other-cluster',
    onMessages: (messages) => received.push(...messages),
  });
  const address = await listenOn(server);
  const unreachable: string[] = [];
  const transport = new PeerTransport({
    clusterId: () => 'c1',
    onUnreachable: (peer) => unreachable.push(peer),
  });
  transport.setPeerAddress('n2', address);
  try {
    transport.send([heartbeat('n2', 1)]);
    await waitFor('unreachable report', () => unreachable.length === 1);
    assert.is(received.length, 0);
    assert.is(transport.statistics.requestsFailed, 1);
  } finally {
    await transport.close();
    await closeServer(server);
  }
});

test('a peer that is down is reported unreachable and its messages dropped', async () => {
  const server = raftPeerServer({ clusterId: () => 'c1', onMessages: () => undefined });
  const address = await listenOn(server);
  await closeServer(server); // the port is now closed
  const unreachable: string[] = [];
  const transport = new PeerTransport({
    clusterId: () => 'c1',
    onUnreachable: (peer) => unreachable.push(peer),
  });
  transport.setPeerAddress('n3', address);
  try {
    transport.send([heartbeat('n3', 1), heartbeat('n3', 2)]);
    await waitFor('unreachable report', () => unreachable.includes('n3'));
    assert.is(transport.statistics.messagesDropped, 2);
    transport.send([heartbeat('n9', 1)]); // unknown peer
    assert.ok(unreachable.includes('n9'));
  } finally {
    await transport.close();
  }
});

test.run();
