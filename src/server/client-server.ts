// The client port (DESIGN.md section 6): objects, listing, cluster and node admin,
// health, readiness and metrics. It parses and formats only; the node decides. Writes
// that reach a follower are forwarded to the leader once (a forwarded request that
// lands on a follower again gets 421 NOT_LEADER with the leader's address).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request as undiciRequest } from 'undici';
import type { NodeApi, ReadConsistency } from '../node/api.js';
import { CairnError, InvalidArgumentError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { readJsonBody, sendError, sendJson } from './http-helpers.js';

const objectsPath = '/v1/objects';
const forwardedHeader = 'x-cairn-forwarded';
const leaderHeader = 'x-cairn-leader';

export function createClientServer(node: NodeApi): Server {
  const server = createServer((request, response) => {
    void route(node, request, response).catch((error: unknown) => {
      request.resume(); // drain what the handler did not read, so keep-alive survives
      sendError(response, error);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0; // large objects stream for as long as they need
  return server;
}

async function route(
  node: NodeApi,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://cairn');
  const method = request.method ?? 'GET';
  if (url.pathname === '/health' && method === 'GET')
    return sendJson(response, 200, { status: 'ok', node: node.info().id });
  if (url.pathname === '/ready' && method === 'GET') {
    const health = node.health();
    return sendJson(response, health.ready ? 200 : 503, {
      ready: health.ready,
      reason: health.reason,
    });
  }
  if (url.pathname === '/metrics' && method === 'GET') {
    const text = node.metricsText();
    response.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
    return;
  }
  if (url.pathname === objectsPath && method === 'GET') return listObjects(node, url, response);
  if (url.pathname.startsWith(`${objectsPath}/`))
    return objectRoute(node, method, objectKeyOf(url.pathname), url, request, response);
  if (url.pathname.startsWith('/v1/cluster/') || url.pathname.startsWith('/v1/node/'))
    return adminRoute(node, method, url, request, response);
  throw new CairnError('CAIRN_ERR_NOT_FOUND', `no endpoint ${method} ${url.pathname}`);
}

function objectKeyOf(pathname: string): string {
  const encoded = pathname.slice(objectsPath.length + 1);
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new CairnError(
      'CAIRN_ERR_INVALID_KEY',
      'the key in the URL is not valid percent-encoded UTF-8',
    );
  }
}

async function objectRoute(
  node: NodeApi,
  method: string,
  key: string,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const consistency = consistencyOf(url);
  if (method === 'GET') {
    const { info, body } = await node.getObject(key, consistency);
    response.writeHead(200, objectHeaders(info));
    await pipeline(body, response);
    return;
  }
  if (method === 'HEAD') {
    const info = await node.headObject(key, consistency);
    response.writeHead(200, objectHeaders(info)).end();
    return;
  }
  if (method !== 'PUT' && method !== 'DELETE')
    throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', `${method} is not allowed on an object`);
  if (!node.isLeader()) return forwardToLeader(node, request, response);
  // Tells clients where writes go, so they stop sending them through a follower.
  response.setHeader(leaderHeader, node.info().clientAddress);
  const ifVersion = integerHeader(request, 'if-match-version');
  const requestId = stringHeader(request, 'x-cairn-request-id');
  if (method === 'DELETE') {
    request.resume();
    sendJson(
      response,
      200,
      await node.deleteObject(key, {
        ...(ifVersion === undefined ? {} : { ifVersion }),
        ...(requestId === undefined ? {} : { requestId }),
      }),
    );
    return;
  }
  const sizeBytes = integerHeader(request, 'content-length');
  const info = await node.putObject(key, request, {
    ...(sizeBytes === undefined ? {} : { sizeBytes }),
    ...(ifVersion === undefined ? {} : { ifVersion }),
    ...(request.headers['if-none-match'] === '*' ? { ifAbsent: true } : {}),
    ...(requestId === undefined ? {} : { requestId }),
  });
  sendJson(response, 200, info);
}

function objectHeaders(info: {
  version: number;
  size: number;
  sha256: string;
}): Record<string, string | number> {
  return {
    'content-type': 'application/octet-stream',
    'content-length': info.size,
    'x-cairn-version': info.version,
    'x-cairn-sha256': info.sha256,
  };
}

async function listObjects(node: NodeApi, url: URL, response: ServerResponse): Promise<void> {
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? limits.listPageKeysMax : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new InvalidArgumentError(`limit must be a positive integer, got "${limitText ?? ''}"`);
  if (limit > limits.listPageKeysMax)
    throw new LimitExceededError('listPageKeysMax', limits.listPageKeysMax, limit, 'keys');
  const page = await node.listObjects({
    prefix: url.searchParams.get('prefix') ?? '',
    after: url.searchParams.get('after') ?? '',
    limit,
    consistency: consistencyOf(url),
  });
  sendJson(response, 200, page);
}

async function adminRoute(
  node: NodeApi,
  method: string,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body =
    method === 'GET'
      ? {}
      : await readJsonBody(
          request,
          limits.requestMetadataBodyBytesMax,
          'requestMetadataBodyBytesMax',
        );
  try {
    sendJson(response, 200, await node.admin(method, url.pathname + url.search, body));
  } catch (error) {
    if (
      !(error instanceof CairnError) ||
      error.code !== 'CAIRN_ERR_NOT_LEADER' ||
      request.headers[forwardedHeader] !== undefined
    )
      throw error;
    await forwardToLeader(node, request, response, Buffer.from(JSON.stringify(body)));
  }
}

function consistencyOf(url: URL): ReadConsistency {
  const value = url.searchParams.get('consistency') ?? 'linearizable';
  if (value !== 'linearizable' && value !== 'serializable') {
    throw new InvalidArgumentError(
      `consistency must be linearizable or serializable, got "${value}"`,
    );
  }
  return value;
}

function integerHeader(request: IncomingMessage, name: string): number | undefined {
  const value = request.headers[name];
  if (value === undefined || Array.isArray(value)) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed))
    throw new InvalidArgumentError(`header ${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

function stringHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Sends the request on to the leader's client port and streams its answer back. */
async function forwardToLeader(
  node: NodeApi,
  request: IncomingMessage,
  response: ServerResponse,
  bufferedBody?: Buffer,
): Promise<void> {
  const hint = node.leader();
  if (request.headers[forwardedHeader] !== undefined || hint.leaderClientAddress === null) {
    throw new CairnError(
      'CAIRN_ERR_NOT_LEADER',
      hint.leaderClientAddress === null
        ? 'no leader is known (an election may be running); retry shortly'
        : `this node is not the leader; send writes to ${hint.leaderClientAddress}`,
      {
        details: { leaderId: hint.leaderId, leaderClientAddress: hint.leaderClientAddress },
      },
    );
  }
  const headers: Record<string, string> = { [forwardedHeader]: node.info().id };
  for (const name of [
    'content-type',
    'content-length',
    'if-match-version',
    'if-none-match',
    'x-cairn-request-id',
  ]) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (bufferedBody !== undefined) headers['content-length'] = String(bufferedBody.length);
  const method = (request.method ?? 'GET') as 'PUT' | 'DELETE' | 'POST' | 'GET';
  let upstream: Awaited<ReturnType<typeof undiciRequest>>;
  try {
    upstream = await undiciRequest(`http://${hint.leaderClientAddress}${request.url ?? '/'}`, {
      method,
      headers,
      body: bufferedBody ?? (method === 'PUT' || method === 'POST' ? (request as Readable) : null),
      headersTimeout: limits.clientRequestTimeoutMilliseconds,
      bodyTimeout: limits.clientRequestTimeoutMilliseconds,
    });
  } catch (error) {
    // The request body was handed to the forward, which may have taken part of it: this
    // connection cannot carry another request (the next one on it went unanswered until
    // the client's timeout), so it is closed after the error answer.
    response.setHeader('connection', 'close');
    throw forwardFailure(hint.leaderClientAddress, error);
  }
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (
      typeof value === 'string' &&
      name !== 'connection' &&
      name !== 'keep-alive' &&
      name !== 'transfer-encoding'
    )
      responseHeaders[name] = value;
  }
  response.writeHead(upstream.statusCode, responseHeaders);
  await pipeline(upstream.body, response);
}

/** A forward that got no answer from the leader: retryable; nothing happened if it never connected. */
function forwardFailure(leaderAddress: string, error: unknown): CairnError {
  const code = (error as { code?: string }).code;
  const neverConnected =
    code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH';
  return new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `the leader at ${leaderAddress} could not be reached (${code ?? (error instanceof Error ? error.message : String(error))}); retry`,
    {
      details: {
        leaderClientAddress: leaderAddress,
        outcome: neverConnected ? 'failed' : 'unknown',
      },
    },
  );
}
