// Forwarding a request that must run on the leader: from a follower's client port to
// the leader's PEER port (/peer/v1/forward + the original path), carrying every header
// the route declares plus who forwarded it and who the caller is. The answer streams
// back unchanged.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request as undiciRequest } from 'undici';
import { callerHeader, forwardedByHeader, forwardPathPrefix, type Route } from '../api/index.js';
import { baseUrl, nodeDispatcher } from '../net/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { declaredHeaders } from './dispatch.js';

export interface LeaderHint {
  readonly leaderId: string | null;
  readonly leaderClientAddress: string | null;
  /** Where the leader's peer port is reached from here (a test proxy, maybe). */
  readonly leaderPeerAddress: string | null;
}

/** What forwarding needs to know about leadership, and nothing else of the node. */
export interface LeaderLocator {
  isLeader(): boolean;
  leader(): LeaderHint;
  selfId(): string;
  selfClientAddress(): string;
}

const hopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding']);

export async function forwardToLeader(
  leadership: LeaderLocator,
  route: Route,
  request: IncomingMessage,
  response: ServerResponse,
  bufferedBody?: unknown,
): Promise<void> {
  const hint = leadership.leader();
  if (hint.leaderPeerAddress === null || hint.leaderId === leadership.selfId()) {
    throw new CairnError(
      'CAIRN_ERR_NOT_LEADER',
      'no leader is known (an election may be running); retry shortly',
      { details: { leaderId: hint.leaderId, leaderClientAddress: hint.leaderClientAddress } },
    );
  }
  const headers: Record<string, string> = {
    ...declaredHeaders(route, request),
    [forwardedByHeader]: leadership.selfId(),
    [callerHeader]: request.socket.remoteAddress ?? '',
  };
  const body =
    bufferedBody === undefined
      ? route.method === 'PUT' || route.method === 'POST'
        ? (request as Readable)
        : null
      : Buffer.from(JSON.stringify(bufferedBody));
  if (Buffer.isBuffer(body)) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  let upstream: Awaited<ReturnType<typeof undiciRequest>>;
  try {
    const target = `${baseUrl(hint.leaderPeerAddress)}${forwardPathPrefix}${request.url ?? '/'}`;
    const dispatcher = nodeDispatcher();
    upstream = await undiciRequest(target, {
      ...(dispatcher === undefined ? {} : { dispatcher }),
      method: route.method,
      headers,
      body,
      headersTimeout: limits.clientRequestTimeoutMilliseconds,
      bodyTimeout: limits.clientRequestTimeoutMilliseconds,
    });
  } catch (error) {
    // The request body was handed to the forward, which may have taken part of it: this
    // connection cannot carry another request (the next one on it went unanswered until
    // the client's timeout), so it is closed after the error answer.
    response.setHeader('connection', 'close');
    throw forwardFailure(hint.leaderClientAddress ?? hint.leaderPeerAddress, error);
  }
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream.headers))
    if (typeof value === 'string' && !hopHeaders.has(name)) responseHeaders[name] = value;
  response.writeHead(upstream.statusCode, responseHeaders);
  await pipeline(upstream.body, response);
}

/** A forward that got no answer: retryable; nothing happened if it never connected. */
function forwardFailure(leaderAddress: string, error: unknown): CairnError {
  const code = (error as { code?: string }).code;
  const neverConnected =
    code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH';
  const why = code ?? (error instanceof Error ? error.message : String(error));
  return new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `the leader at ${leaderAddress} could not be reached (${why}); retry`,
    {
      details: {
        leaderClientAddress: leaderAddress,
        outcome: neverConnected ? 'failed' : 'unknown',
      },
    },
  );
}
