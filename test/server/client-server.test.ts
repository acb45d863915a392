// The client port's HTTP handling with stand-in handlers: what is tested here is the
// dispatch by the route table and the forward of leader-only requests to the leader's
// peer port, not the node (the cluster tests cover the node behind it).
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pool, request } from 'undici';
import { createClientServer, type ClientPort } from '../../src/server/client-server.js';
import { createPeerServer } from '../../src/server/peer-server.js';
import { closeServer, listenOn } from '../helpers/wait.js';
import { standInClientHandlers, standInLeadership, standInPeerHandlers } from './stand-in-ports.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a write forwarded to a leader that is gone fails as UNAVAILABLE and closes its connection; the next request is served', async () => {
  const deadLeader = `127.0.0.1:${await closedPort()}`;
  let forwarding: () => void = () => undefined;
  const forwardStarted = new Promise<void>((resolve) => (forwarding = resolve));
  // A follower that still believes in a leader that was just killed.
  const port: ClientPort = {
    handlers: standInClientHandlers({ health: () => 'livez check passed\n' }),
    leadership: standInLeadership({
      isLeader: () => false,
      selfId: () => 'n2',
      leader: () => {
        forwarding();
        return { leaderId: 'n1', leaderClientAddress: deadLeader, leaderPeerAddress: deadLeader };
      },
    }),
  };
  // The body arrives only once the forward has started, as a streamed upload does.
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.alloc(1000, 1);
    await forwardStarted;
    await new Promise((resolve) => setImmediate(resolve));
    yield Buffer.alloc(1000, 2);
  }
  const server = createClientServer(port);
  const serverPort = await listen(server);
  // One connection, so the second request can only use the connection the first one used.
  const pool = new Pool(`http://127.0.0.1:${serverPort}`, {
    connections: 1,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  try {
    const put = await pool.request({
      method: 'PUT',
      path: '/v1/objects/k',
      body: Readable.from(body()),
      headers: { 'content-type': 'application/octet-stream', 'content-length': '2000' },
    });
    const answer = (await put.body.json()) as { error: { code: string } };
    assert.is(put.statusCode, 503);
    assert.is(answer.error.code, 'UNAVAILABLE', 'retryable, not an internal error');
    // The failed forward took part of the request body: this connection must not carry
    // another request (in a real cluster the next one went unanswered for the client's
    // whole timeout), so the server closes it after the answer.
    assert.is(put.headers['connection'], 'close');
    const health = await pool.request({ method: 'GET', path: '/health' });
    assert.is(health.statusCode, 200);
    assert.is(await health.body.text(), 'livez check passed\n');
  } finally {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Seen {
  headers: Record<string, string | undefined>;
  forwardedBy: string | undefined;
  bytes: number;
  key: string;
}

/** A leader (its peer port only) and a follower (its client port) forwarding to it. */
async function leaderAndFollower(leaderLeads: () => boolean): Promise<{
  follower: string;
  seen: Seen[];
  close: () => Promise<void>;
}> {
  const seen: Seen[] = [];
  const leaderClientPort: ClientPort = {
    handlers: standInClientHandlers({
      putObject: async ({ params, query, headers, request: incoming }) => {
        let bytes = 0;
        for await (const part of incoming as AsyncIterable<Buffer>) bytes += part.length;
        seen.push({
          headers: { ...headers },
          forwardedBy: incoming.headers['x-cairn-forwarded-by'] as string | undefined,
          bytes,
          key: params['key'] as string,
        });
        return {
          key: params['key'] as string,
          version: query.ifVersion ?? 7,
          size: bytes,
          sha256: 'x',
        };
      },
    }),
    leadership: standInLeadership({ isLeader: leaderLeads, selfClientAddress: () => 'leader:1' }),
  };
  const leaderPeer = createPeerServer({
    handlers: standInPeerHandlers(),
    clientPort: leaderClientPort,
    membership: { isCurrentMember: () => true },
  });
  const leaderPeerAddress = await listenOn(leaderPeer);
  const followerServer = createClientServer({
    handlers: standInClientHandlers(),
    leadership: standInLeadership({
      isLeader: () => false,
      selfId: () => 'n2',
      leader: () => ({ leaderId: 'n1', leaderClientAddress: 'leader:1', leaderPeerAddress }),
    }),
  });
  const follower = await listenOn(followerServer);
  return {
    follower,
    seen,
    close: async () => {
      await closeServer(followerServer);
      await closeServer(leaderPeer);
    },
  };
}

test('a write on a follower reaches the leader over its peer port with every declared header and the caller identity', async () => {
  const cluster = await leaderAndFollower(() => true);
  try {
    const answer = await request(`http://${cluster.follower}/v1/objects/a%2Fb`, {
      method: 'PUT',
      body: Buffer.alloc(3000, 5),
      headers: {
        'content-type': 'application/octet-stream',
        'if-match-version': '4',
        'x-cairn-request-id': 'r-1',
        authorization: 'Bearer token-of-the-caller',
        'x-not-declared': 'dropped',
      },
    });
    assert.is(answer.statusCode, 200);
    assert.equal(await answer.body.json(), { key: 'a/b', version: 4, size: 3000, sha256: 'x' });
    assert.is(answer.headers['x-cairn-leader'], 'leader:1', 'the leader tells where writes go');
    const [seen] = cluster.seen;
    assert.ok(seen !== undefined, 'the leader served the write');
    assert.is(seen.key, 'a/b');
    assert.is(seen.bytes, 3000);
    assert.is(seen.forwardedBy, 'n2');
    assert.is(seen.headers['if-match-version'], '4');
    assert.is(seen.headers['x-cairn-request-id'], 'r-1');
    assert.is(seen.headers['authorization'], 'Bearer token-of-the-caller');
    assert.is(seen.headers['x-not-declared'], undefined, 'only declared headers are honoured');
  } finally {
    await cluster.close();
  }
});

test('a forwarded write that lands on a node that is no longer leader is refused, never forwarded again', async () => {
  const cluster = await leaderAndFollower(() => false);
  try {
    const answer = await request(`http://${cluster.follower}/v1/objects/k`, {
      method: 'PUT',
      body: 'v',
    });
    assert.is(answer.statusCode, 421);
    assert.is(((await answer.body.json()) as { error: { code: string } }).error.code, 'NOT_LEADER');
    assert.is(cluster.seen.length, 0);
  } finally {
    await cluster.close();
  }
});

test('the client port validates input by the route table and serves no peer route', async () => {
  const server = createClientServer({
    handlers: standInClientHandlers({
      listObjects: ({ query }) => ({ items: [], nextAfter: query.prefix, revision: 3 }),
    }),
    leadership: standInLeadership(),
  });
  const address = await listenOn(server);
  try {
    const listed = await request(`http://${address}/v1/objects?prefix=p%2F&limit=5`);
    assert.is(listed.statusCode, 200);
    assert.equal(await listed.body.json(), { items: [], nextAfter: 'p/', revision: 3 });
    const badLimit = await request(`http://${address}/v1/objects?limit=zero`);
    assert.is(badLimit.statusCode, 400);
    await badLimit.body.dump();
    const overLimit = await request(`http://${address}/v1/objects?limit=100000`);
    assert.is(overLimit.statusCode, 413);
    await overLimit.body.dump();
    const badConsistency = await request(`http://${address}/v1/objects?consistency=eventual`);
    assert.is(badConsistency.statusCode, 400);
    await badConsistency.body.dump();
    const posted = await request(`http://${address}/v1/objects/k`, { method: 'POST', body: '' });
    assert.is(posted.statusCode, 400, 'POST is not allowed on an object');
    await posted.body.dump();
    for (const path of ['/v1/node/maintenance/inventory', '/peer/v1/maintenance/inventory']) {
      const answer = await request(`http://${address}${path}`);
      assert.is(answer.statusCode, 404, `${path} is not on the client port`);
      await answer.body.dump();
    }
  } finally {
    await closeServer(server);
  }
});

test.run();
