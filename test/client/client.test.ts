// CairnClient against real node:http stand-in servers on 127.0.0.1 (the real
// server cannot run yet). Every wait is bounded by a request timeout or withDeadline.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CairnClient, type CairnClientOptions } from '../../src/client/index.js';
import { CairnError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import {
  objectStoreHandler,
  readBody,
  refusedEndpoint,
  sendError,
  sendJson,
  sha256Hex,
  type StandInServer,
  startServer,
  withDeadline,
} from './stand-in-server.js';

const MiB = 1024 * 1024;
const testDeadlineMilliseconds = 10_000;

const running: StandInServer[] = [];
const clients: CairnClient[] = [];

async function server(handler: Parameters<typeof startServer>[0]): Promise<StandInServer> {
  const started = await startServer(handler);
  running.push(started);
  return started;
}

function client(
  endpoints: readonly string[],
  options: Partial<CairnClientOptions> = {},
): CairnClient {
  const created = new CairnClient({
    endpoints: endpoints.join(','),
    retryAttemptsMax: 5,
    requestTimeoutMilliseconds: 2_000,
    backoff: { baseMilliseconds: 1, maxMilliseconds: 5 },
    prng: new Prng(1),
    ...options,
  });
  clients.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await withDeadline(promise, testDeadlineMilliseconds, 'request');
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

test.after.each(async () => {
  await Promise.all(clients.splice(0).map((created) => created.close()));
  await Promise.all(running.splice(0).map((started) => started.close()));
});

const unavailable = (): Parameters<typeof startServer>[0] => (_request, response) =>
  sendError(response, 503, 'UNAVAILABLE', 'no quorum');

function objectHeaders(bytes: Uint8Array, version: number): Record<string, string | number> {
  return {
    'content-length': bytes.byteLength,
    'x-cairn-version': String(version),
    'x-cairn-sha256': sha256Hex(bytes),
  };
}

test('put, get, head, list and delete round-trip; the key travels as one path segment', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  const key = 'photos/2026/été.jpg';
  const bytes = new Uint8Array(Buffer.from('hello cairn'));
  const put = await cairn.putObject(key, bytes);
  assert.equal(put, { key, version: 1, size: bytes.byteLength, sha256: sha256Hex(bytes) });
  assert.is(node.requests[0]?.url, `/v1/objects/${encodeURIComponent(key)}`);
  assert.ok(node.requests[0]?.url.includes('%2F'), 'the slash is percent-encoded');
  const got = await cairn.getObject(key);
  assert.equal(got.metadata, put);
  assert.equal(Buffer.concat(await got.body.toArray()).toString(), 'hello cairn');
  assert.equal(await cairn.headObject(key, { consistency: 'serializable' }), put);
  assert.match(node.requests[2]?.url ?? '', /consistency=serializable$/);
  const page = await cairn.listObjects({ prefix: 'photos/' });
  assert.equal(page, { items: [put], nextAfter: null });
  assert.equal(await cairn.deleteObject(key, { ifVersion: 1 }), { key, version: 2 });
  const missing = await failure(cairn.headObject(key));
  assert.is(missing.code, 'CAIRN_ERR_NOT_FOUND');
  assert.is(missing.message, `object "${key}" not found`);
});

test('requests reuse one keep-alive connection, HEAD included', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  // Warm-up: undici may open a second connection while the first is being released.
  await cairn.putObject('k', new Uint8Array([1]));
  await cairn.headObject('k');
  await cairn.headObject('k');
  const warm = node.connections();
  assert.ok(warm <= 2, `${warm} connections after warm-up`);
  for (let request = 0; request < 5; request++) await cairn.headObject('k');
  for (let request = 0; request < 3; request++) await (await cairn.getObject('k')).body.toArray();
  assert.is(node.requests.length, 11);
  assert.is(
    node.connections(),
    warm,
    'no new connection per request (undici closes after HEAD unless told not to)',
  );
});

test('conditional puts send if-match-version / if-none-match and map 412', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  const bytes = new Uint8Array([1, 2, 3]);
  await cairn.putObject('k', bytes, { ifAbsent: true });
  assert.is(node.requests[0]?.headers['if-none-match'], '*');
  const exists = await failure(cairn.putObject('k', bytes, { ifAbsent: true }));
  assert.is(exists.code, 'CAIRN_ERR_PRECONDITION_FAILED');
  assert.is(exists.details['outcome'], 'failed');
  const stale = await failure(cairn.putObject('k', bytes, { ifVersion: 7 }));
  assert.is(node.requests[2]?.headers['if-match-version'], '7');
  assert.is(stale.code, 'CAIRN_ERR_PRECONDITION_FAILED');
  assert.is(stale.details['currentVersion'], 1);
  assert.is(node.requests.length, 3, 'a precondition failure is not retried');
});

test('round-robin spreads requests over the endpoints in turn', async () => {
  const nodes = await Promise.all([0, 1, 2].map(() => server(objectStoreHandler())));
  const cairn = client(nodes.map((node) => node.name));
  for (let request = 0; request < 6; request++) await failure(cairn.headObject('missing'));
  assert.equal(
    nodes.map((node) => node.requests.length),
    [2, 2, 2],
  );
});

test('key-hash sends every request for a key to the same endpoint', async () => {
  const nodes = await Promise.all([0, 1, 2].map(() => server(objectStoreHandler())));
  const cairn = client(
    nodes.map((node) => node.name),
    { policy: 'key-hash' },
  );
  for (let request = 0; request < 5; request++) await failure(cairn.headObject('one-key'));
  const counts = nodes.map((node) => node.requests.length).sort();
  assert.equal(counts, [0, 0, 5]);
});

test('random picks endpoints with the injected Prng', async () => {
  const nodes = await Promise.all([0, 1, 2].map(() => server(objectStoreHandler())));
  const cairn = client(
    nodes.map((node) => node.name),
    { policy: 'random', prng: new Prng(2026) },
  );
  const expected = new Prng(2026);
  for (let request = 0; request < 12; request++) {
    const before = nodes.map((node) => node.requests.length);
    await failure(cairn.headObject('k'));
    const chosen = nodes.findIndex((node, index) => node.requests.length > (before[index] ?? 0));
    assert.is(chosen, expected.nextIntegerInclusive(0, 2), `request ${request}`);
  }
});

test('a refused connection moves to the next endpoint and succeeds, even with a streamed body', async () => {
  const dead = await refusedEndpoint();
  const node = await server(objectStoreHandler());
  const cairn = client([dead, node.name]);
  const bytes = new Uint8Array(Buffer.alloc(300_000, 7));
  const stream = Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)], {
    objectMode: false,
  });
  const put = await withDeadline(
    cairn.putObject('s', stream, { size: bytes.byteLength }),
    testDeadlineMilliseconds,
    'put',
  );
  assert.is(put.sha256, sha256Hex(bytes), 'the whole body arrived on the retry');
  assert.is(node.requests.length, 1);
});

test('NOT_LEADER with a hint is followed to the leader, which then gets the writes directly', async () => {
  const leader = await server(objectStoreHandler());
  const follower = await server((_request, response) =>
    sendError(response, 421, 'NOT_LEADER', 'not the leader', { leaderClientAddress: leader.name }),
  );
  // Only the follower is configured: the leader is learned from the hint.
  const cairn = client([follower.name], {
    backoff: { baseMilliseconds: 60_000, maxMilliseconds: 60_000 },
  });
  const put = await withDeadline(
    cairn.putObject('k', new Uint8Array([1])),
    testDeadlineMilliseconds,
    'put',
  );
  assert.is(put.version, 1);
  assert.equal([follower.requests.length, leader.requests.length], [1, 1]);
  await cairn.deleteObject('k');
  assert.equal(
    [follower.requests.length, leader.requests.length],
    [1, 2],
    'the remembered leader is tried first',
  );
});

test('a write answered with x-cairn-leader sends later writes to that leader, not through the follower', async () => {
  const leader = await server(objectStoreHandler());
  const forward = objectStoreHandler();
  // A follower that forwards (plays the store itself) and names the leader in its answer.
  const follower = await server((request, response, self) => {
    response.setHeader('x-cairn-leader', leader.name);
    return forward(request, response, self);
  });
  const cairn = client([follower.name, leader.name], { policy: 'round-robin' });
  await withDeadline(cairn.putObject('a', new Uint8Array([1])), testDeadlineMilliseconds, 'put');
  assert.is(follower.requests.length, 1);
  for (let index = 0; index < 4; index++) await cairn.putObject(`b${index}`, new Uint8Array([2]));
  assert.is(follower.requests.length, 1, 'no further write went through the follower');
  assert.is(leader.requests.length, 4);
});

test('a NOT_LEADER hint naming the node that sent it is not followed in a loop', async () => {
  let self = '';
  const confused = await server((_request, response) =>
    sendError(response, 421, 'NOT_LEADER', 'stale view', { leaderClientAddress: self }),
  );
  self = confused.name;
  const node = await server(objectStoreHandler());
  const cairn = client([confused.name, node.name]);
  const put = await withDeadline(
    cairn.putObject('k', new Uint8Array([1])),
    testDeadlineMilliseconds,
    'put',
  );
  assert.is(put.version, 1);
  assert.equal(
    [confused.requests.length, node.requests.length],
    [1, 1],
    'the next endpoint is tried instead',
  );
});

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let poll = 0; poll < 1000 && !condition(); poll++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), `waited too long for: ${what}`);
}

test('an AbortSignal stops a request: before it starts, during backoff, and in flight', async () => {
  const busy = await server(unavailable());
  const silent = await server(() => undefined);
  const slowRetries = { baseMilliseconds: 60_000, maxMilliseconds: 60_000 };
  // The backoff draws its jitter from the Prng just before it sleeps: that says "in backoff now".
  class ObservedPrng extends Prng {
    draws = 0;
    override nextIntegerInclusive(minimum: number, maximum: number): number {
      this.draws += 1;
      return super.nextIntegerInclusive(minimum, maximum);
    }
  }
  const prng = new ObservedPrng(3);
  const cairn = client([busy.name], { backoff: slowRetries, prng });
  const error = await failure(cairn.headObject('k', { signal: AbortSignal.abort() }));
  assert.is(error.code, 'CAIRN_ERR_ABORTED');
  assert.is(busy.requests.length, 0, 'an aborted signal sends nothing');

  const duringBackoff = new AbortController();
  const waiting = failure(
    cairn.putObject('k', new Uint8Array([1]), { signal: duringBackoff.signal }),
  );
  await waitUntil(() => prng.draws === 1, 'the backoff after the first attempt');
  duringBackoff.abort();
  const stopped = await waiting;
  assert.is(stopped.code, 'CAIRN_ERR_ABORTED');
  assert.is(stopped.details['outcome'], 'failed', 'every attempt so far was refused by the server');
  assert.is(busy.requests.length, 1);

  const inFlight = new AbortController();
  const silentClient = client([silent.name]);
  const pending = failure(
    silentClient.putObject('k', new Uint8Array([1]), { signal: inFlight.signal }),
  );
  await waitUntil(() => silent.requests.length === 1, 'the request to arrive');
  inFlight.abort(new Error('interrupted by the user'));
  const aborted = await pending;
  assert.is(aborted.code, 'CAIRN_ERR_ABORTED');
  assert.match(aborted.message, /interrupted by the user/);
  assert.is(aborted.details['outcome'], 'unknown', 'the server may have applied it');
});

test('NOT_FOUND is not retried', async () => {
  const nodes = await Promise.all([0, 1].map(() => server(objectStoreHandler())));
  const cairn = client(nodes.map((node) => node.name));
  const error = await failure(cairn.getObject('nothing'));
  assert.is(error.code, 'CAIRN_ERR_NOT_FOUND');
  assert.is(error.message, 'key nothing not found');
  assert.is(nodes[0]!.requests.length + nodes[1]!.requests.length, 1);
});

test('retries are bounded: a server that always says UNAVAILABLE gets exactly retryAttemptsMax requests', async () => {
  const nodes = await Promise.all([0, 1].map(() => server(unavailable())));
  const cairn = client(
    nodes.map((node) => node.name),
    { retryAttemptsMax: 4 },
  );
  const error = await failure(cairn.putObject('k', new Uint8Array([1])));
  assert.is(error.code, 'CAIRN_ERR_UNAVAILABLE');
  assert.is(error.details['attempts'], 4);
  assert.is(error.details['outcome'], 'failed');
  assert.equal(
    nodes.map((node) => node.requests.length),
    [2, 2],
    'retries alternate between endpoints',
  );
});

test('no endpoint reachable: CAIRN_ERR_NO_ENDPOINT lists every endpoint and its last error', async () => {
  const dead = await Promise.all([0, 1, 2].map(() => refusedEndpoint()));
  const cairn = client(dead, { retryAttemptsMax: 5 });
  const error = await failure(cairn.listObjects());
  assert.is(error.code, 'CAIRN_ERR_NO_ENDPOINT');
  for (const name of dead)
    assert.ok(error.message.includes(`${name}: ECONNREFUSED`), error.message);
  assert.is(error.details['endpointsTried'], dead.join(','));
  assert.is(error.details['attempts'], 5);
});

test('the request timeout fires: a silent server gives CAIRN_ERR_TIMEOUT after the bounded attempts', async () => {
  const silent = await server(() => undefined); // accepts, never answers
  const cairn = client([silent.name], { requestTimeoutMilliseconds: 400, retryAttemptsMax: 2 });
  const error = await failure(cairn.headObject('k'));
  assert.is(error.code, 'CAIRN_ERR_TIMEOUT');
  assert.match(error.message, /UND_ERR_HEADERS_TIMEOUT/);
  assert.is(silent.requests.length, 2, 'a read is retried after a timeout');
});

test('without request ids, a mutation that timed out after it was sent is not retried: outcome unknown', async () => {
  const silent = await server(() => undefined);
  const other = await server(objectStoreHandler());
  const cairn = client([silent.name, other.name], {
    requestTimeoutMilliseconds: 400,
    deduplicateWrites: false,
  });
  const error = await failure(cairn.putObject('k', new Uint8Array([1, 2])));
  assert.is(error.code, 'CAIRN_ERR_UNAVAILABLE');
  assert.is(error.details['outcome'], 'unknown');
  assert.is(error.details['timeout'], true);
  assert.equal([silent.requests.length, other.requests.length], [1, 0]);
});

test('without request ids, a connection reset after a PUT was received: outcome unknown, not retried', async () => {
  const resetting = await server(async (request, response) => {
    await readBody(request);
    response.socket?.destroy();
  });
  const other = await server(objectStoreHandler());
  const cairn = client([resetting.name, other.name], { deduplicateWrites: false });
  const error = await failure(cairn.putObject('k', new Uint8Array([1, 2, 3])));
  assert.is(resetting.requests[0]?.headers['x-cairn-request-id'], undefined);
  assert.is(error.code, 'CAIRN_ERR_UNAVAILABLE');
  assert.is(error.details['outcome'], 'unknown');
  assert.equal([resetting.requests.length, other.requests.length], [1, 0]);
  // The same failure on a read is retried on the next endpoint.
  const missing = await failure(cairn.getObject('nothing'));
  assert.is(missing.code, 'CAIRN_ERR_NOT_FOUND');
});

test('with request ids, a write whose outcome is unknown is retried under the same id', async () => {
  const resetting = await server(async (request, response) => {
    await readBody(request);
    response.socket?.destroy();
  });
  const silent = await server(() => undefined);
  const node = await server(objectStoreHandler());
  const cairn = client([resetting.name, silent.name, node.name], {
    requestTimeoutMilliseconds: 400,
  });
  const put = await withDeadline(
    cairn.putObject('k', new Uint8Array([5])),
    testDeadlineMilliseconds,
    'put',
  );
  assert.is(put.version, 1);
  const ids = [resetting, silent, node].map(
    (standIn) => standIn.requests[0]?.headers['x-cairn-request-id'],
  );
  assert.type(ids[0], 'string');
  assert.ok(/^[\x21-\x7e]{1,64}$/.test(String(ids[0])), 'a request id the server accepts');
  assert.equal(ids, [ids[0], ids[0], ids[0]], 'every attempt carries the same id');
  await cairn.deleteObject('k');
  const deleteId = node.requests[1]?.headers['x-cairn-request-id'];
  assert.type(deleteId, 'string');
  assert.is.not(deleteId, ids[0], 'each logical write has its own id');
});

test('with request ids, running out of attempts after an unknown outcome reports outcome unknown', async () => {
  const resetting = await Promise.all(
    [0, 1].map(() =>
      server(async (request, response) => {
        await readBody(request);
        response.socket?.destroy();
      }),
    ),
  );
  const cairn = client(
    resetting.map((standIn) => standIn.name),
    { retryAttemptsMax: 3 },
  );
  const error = await failure(cairn.deleteObject('k'));
  assert.is(error.code, 'CAIRN_ERR_NO_ENDPOINT');
  assert.is(error.details['outcome'], 'unknown');
  assert.is(error.details['attempts'], 3);
  assert.equal(
    resetting.map((standIn) => standIn.requests.length),
    [2, 1],
  );
});

test('a partly read streamed body is not replayed; a stream factory is', async () => {
  // The busy node answers 503 as soon as the first bytes arrive, while the rest of the
  // caller's stream is still waiting to be produced: the stream is partly read, not ended.
  const busy = await server((request, response) => {
    request.once('data', () => {
      response.setHeader('connection', 'close');
      sendError(response, 503, 'UNAVAILABLE', 'busy');
    });
  });
  const node = await server(objectStoreHandler());
  const cairn = client([busy.name, node.name]);
  const bytes = new Uint8Array(Buffer.alloc(200_000, 3));
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  async function* gatedBody(): AsyncGenerator<Uint8Array> {
    yield bytes.subarray(0, 1000);
    await gate;
    yield bytes.subarray(1000);
  }
  const partlyRead = Readable.from(gatedBody());
  const consumed = await failure(cairn.putObject('k', partlyRead, { size: bytes.byteLength }));
  openGate();
  assert.is(consumed.code, 'CAIRN_ERR_UNAVAILABLE');
  assert.is(consumed.details['retried'], false);
  assert.is(consumed.details['outcome'], 'failed');
  assert.is(partlyRead.destroyed, false, "the caller's stream is left to the caller");
  assert.is(node.requests.length, 0);
  partlyRead.destroy();
  // Round-robin: the next request starts at the healthy node, so push the busy one first again.
  const factoryClient = client([busy.name, node.name]);
  let opened = 0;
  const factory = (): Readable => {
    opened += 1;
    return Readable.from([bytes]);
  };
  const put = await withDeadline(
    factoryClient.putObject('k', factory, { size: bytes.byteLength }),
    testDeadlineMilliseconds,
    'put',
  );
  assert.is(put.sha256, sha256Hex(bytes));
  assert.is(opened, 2);
});

test('a 5 MiB GET streams: getObject resolves before the server has sent it all, in many chunks', async () => {
  const object = new Uint8Array(5 * MiB);
  for (let index = 0; index < object.length; index += 4096) object[index] = index % 251;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let serverFinished = false;
  const node = await server(async (_request, response) => {
    response.writeHead(200, objectHeaders(object, 9));
    response.write(object.subarray(0, 64 * 1024));
    await released; // the rest only after the client holds the stream
    for (let offset = 64 * 1024; offset < object.length; offset += 256 * 1024) {
      if (!response.write(object.subarray(offset, offset + 256 * 1024))) {
        await new Promise((resolve) => response.once('drain', resolve));
      }
    }
    response.end(() => {
      serverFinished = true;
    });
  });
  const cairn = client([node.name]);
  const result = await withDeadline(
    cairn.getObject('big'),
    testDeadlineMilliseconds,
    'getObject before the body is sent',
  );
  assert.is(serverFinished, false);
  assert.equal(result.metadata, {
    key: 'big',
    version: 9,
    size: object.length,
    sha256: sha256Hex(object),
  });
  release();
  const hash = createHash('sha256');
  let chunks = 0;
  let bytes = 0;
  let largestChunk = 0;
  const consume = async (): Promise<void> => {
    for await (const chunk of result.body) {
      const piece = chunk as Buffer;
      hash.update(piece);
      chunks += 1;
      bytes += piece.byteLength;
      largestChunk = Math.max(largestChunk, piece.byteLength);
    }
  };
  await withDeadline(consume(), testDeadlineMilliseconds, 'body');
  assert.is(bytes, object.length);
  assert.is(hash.digest('hex'), sha256Hex(object));
  assert.ok(chunks >= 10, `the body arrived in ${chunks} chunks`);
  assert.ok(largestChunk <= 1 * MiB, `largest chunk ${largestChunk} bytes`);
});

test('a GET body that does not match its SHA-256 fails with CAIRN_ERR_CORRUPTION at its end', async () => {
  const sent = Buffer.alloc(300_000, 9);
  const claimed = Buffer.alloc(300_000, 8);
  const node = await server((_request, response) => {
    response.writeHead(200, { ...objectHeaders(claimed, 3) });
    response.end(sent);
  });
  const cairn = client([node.name]);
  const result = await cairn.getObject('k');
  const error = await failure(result.body.toArray());
  assert.is(error.code, 'CAIRN_ERR_CORRUPTION');
  assert.is(error.details['expectedSha256'], sha256Hex(claimed));
  assert.is(error.details['actualSha256'], sha256Hex(sent));
  const unverified = await cairn.getObject('k', { verify: false });
  assert.is(Buffer.concat(await unverified.body.toArray()).byteLength, sent.byteLength);
});

test('destroying a GET body early frees its connection', async () => {
  const object = Buffer.alloc(4 * MiB, 1);
  const node = await server((_request, response) => {
    response.writeHead(200, objectHeaders(object, 1));
    response.end(object);
  });
  const cairn = client([node.name], { connectionsPerEndpoint: 1 });
  for (let round = 0; round < 3; round++) {
    const result = await withDeadline(
      cairn.getObject('k'),
      testDeadlineMilliseconds,
      `get ${round}`,
    );
    await withDeadline(
      new Promise((resolve) => result.body.once('data', resolve)),
      testDeadlineMilliseconds,
      'first chunk',
    );
    result.body.destroy();
  }
  // With one connection per endpoint, this only succeeds if the abandoned ones were freed.
  const last = await withDeadline(
    cairn.getObject('k'),
    testDeadlineMilliseconds,
    'get after abandoned bodies',
  );
  assert.is(Buffer.concat(await last.body.toArray()).byteLength, object.byteLength);
  assert.is(node.requests.length, 4);
});

test('close() is bounded even when a body was never consumed', async () => {
  const object = Buffer.alloc(4 * MiB, 1);
  const node = await server((_request, response) => {
    response.writeHead(200, objectHeaders(object, 1));
    response.end(object);
  });
  const cairn = client([node.name], { requestTimeoutMilliseconds: 300 });
  const result = await cairn.getObject('k');
  assert.ok(result.body.readable);
  await withDeadline(cairn.close(), testDeadlineMilliseconds, 'close with a body left unconsumed');
});

test('a streamed PUT reports progress and arrives whole', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  const object = Buffer.alloc(3 * MiB, 1);
  const progress: number[] = [];
  const pieces = Array.from({ length: 48 }, (_, index) =>
    object.subarray(index * 65_536, (index + 1) * 65_536),
  );
  const put = await withDeadline(
    cairn.putObject('up', Readable.from(pieces), {
      size: object.length,
      onProgress: (sent) => progress.push(sent),
    }),
    testDeadlineMilliseconds,
    'put',
  );
  assert.is(put.size, object.length);
  assert.is(put.sha256, sha256Hex(object));
  assert.ok(progress.length > 1, 'progress reported more than once');
  assert.is(progress[progress.length - 1], object.length);
  assert.ok(
    progress.every((value, index) => index === 0 || value > (progress[index - 1] ?? 0)),
    'progress increases',
  );
  assert.is(node.requests[0]?.headers['content-length'], String(object.length));
});

test("an error of the caller's body stream fails the put with CAIRN_ERR_IO, not retried", async () => {
  const nodes = await Promise.all([0, 1].map(() => server(objectStoreHandler())));
  const cairn = client(nodes.map((node) => node.name));
  const received = (): number => nodes[0]!.requests.length + nodes[1]!.requests.length;
  async function* failingBody(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(1000);
    // Fail only once a server has the request, so that a retry would be seen.
    for (let poll = 0; poll < 500 && received() === 0; poll++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    throw new Error('disk read failed');
  }
  const error = await failure(cairn.putObject('k', Readable.from(failingBody()), { size: 5000 }));
  assert.is(error.code, 'CAIRN_ERR_IO');
  assert.match(error.message, /disk read failed/);
  assert.is(error.details['outcome'], 'failed');
  assert.is(received(), 1);
});

test('a closed client refuses requests', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  await cairn.close();
  const error = await failure(cairn.headObject('k'));
  assert.match(error.message, /closed/);
  assert.is(node.requests.length, 0);
});

test('a body shorter than the declared size fails cleanly', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  const error = await failure(
    cairn.putObject('k', Readable.from([Buffer.alloc(10)]), { size: 20 }),
  );
  assert.is(error.code, 'CAIRN_ERR_INVALID_ARGUMENT');
  assert.is(error.details['outcome'], 'failed');
});

test('listAllObjects pages through every key in order', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  const keys = Array.from({ length: 23 }, (_, index) => `logs/${String(index).padStart(3, '0')}`);
  for (const key of keys) await cairn.putObject(key, new Uint8Array([1]));
  await cairn.putObject('other/1', new Uint8Array([1]));
  const seen: string[] = [];
  let pages = 0;
  for await (const page of cairn.listAllObjects('logs/', { pageKeys: 5 })) {
    pages += 1;
    seen.push(...page.items.map((item) => item.key));
  }
  assert.equal(seen, keys);
  assert.is(pages, 5);
});

test('listAllObjects stops on a server that does not advance', async () => {
  const stuck = await server((_request, response) =>
    sendJson(response, 200, { items: [], nextAfter: 'same' }),
  );
  const cairn = client([stuck.name]);
  const consume = async (): Promise<void> => {
    for await (const page of cairn.listAllObjects('')) assert.is(page.items.length, 0);
  };
  const error = await failure(consume());
  assert.is(error.code, 'CAIRN_ERR_BAD_RESPONSE');
  assert.is(stuck.requests.length, 2);
});

test('requestJson posts admin JSON and maps its errors', async () => {
  const node = await server(async (request, response) => {
    if (request.url === '/v1/cluster/status')
      return sendJson(response, 200, { leader: 'n1', members: 3 });
    const body = JSON.parse((await readBody(request)).toString()) as { name: string };
    if (request.url === '/v1/cluster/join')
      return sendError(response, 409, 'NOT_IN_CLUSTER', 'bootstrap first');
    return sendJson(response, 200, { bootstrapped: body.name });
  });
  const cairn = client([node.name]);
  assert.equal(await cairn.requestJson('GET', '/v1/cluster/status'), { leader: 'n1', members: 3 });
  assert.equal(await cairn.requestJson('POST', '/v1/cluster/bootstrap', { name: 'c1' }), {
    bootstrapped: 'c1',
  });
  assert.is(node.requests[1]?.headers['content-type'], 'application/json');
  const error = await failure(cairn.requestJson('POST', '/v1/cluster/join', { name: 'n2' }));
  assert.is(error.code, 'CAIRN_ERR_NOT_IN_CLUSTER');
  assert.is(error.details['outcome'], 'failed');
});

test('malformed responses are CAIRN_ERR_BAD_RESPONSE naming the endpoint', async () => {
  const node = await server((request, response) => {
    if (request.method === 'PUT')
      return sendJson(response, 200, { key: 'k', version: 'seven', size: 1, sha256: 'x' });
    response.writeHead(200, { 'x-cairn-version': 'abc', 'content-length': 0 });
    response.end();
  });
  const cairn = client([node.name]);
  const put = await failure(cairn.putObject('k', new Uint8Array([1])));
  assert.is(put.code, 'CAIRN_ERR_BAD_RESPONSE');
  assert.is(put.details['outcome'], 'unknown', 'a 2xx to a mutation means it probably happened');
  assert.match(put.message, new RegExp(node.name));
  assert.is((await failure(cairn.headObject('k'))).code, 'CAIRN_ERR_BAD_RESPONSE');
});

test('invalid keys are rejected before any request', async () => {
  const node = await server(objectStoreHandler());
  const cairn = client([node.name]);
  for (const key of ['', 'a\u0000b', 'x'.repeat(1025), '\ud800']) {
    const error = await failure(cairn.getObject(key));
    assert.is(error.code, 'CAIRN_ERR_INVALID_KEY');
  }
  assert.is(node.requests.length, 0);
});

test.run();
