// The client port's HTTP handling with a stand-in node: what is tested here is the
// connection, not the node (the cluster tests cover the node behind it).
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pool } from 'undici';
import type { NodeApi } from '../../src/node/api.js';
import { createClientServer } from '../../src/server/client-server.js';

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
  const node = {
    info: () => ({ id: 'n2', clientAddress: '127.0.0.1:1' }),
    isLeader: () => false,
    leader: () => {
      forwarding();
      return { leaderId: 'n1', leaderClientAddress: deadLeader };
    },
  } as unknown as NodeApi;
  // The body arrives only once the forward has started, as a streamed upload does.
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.alloc(1000, 1);
    await forwardStarted;
    await new Promise((resolve) => setImmediate(resolve));
    yield Buffer.alloc(1000, 2);
  }
  const server = createClientServer(node);
  const port = await listen(server);
  // One connection, so the second request can only use the connection the first one used.
  const pool = new Pool(`http://127.0.0.1:${port}`, {
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
    assert.equal(await health.body.json(), { status: 'ok', node: 'n2' });
  } finally {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test.run();
