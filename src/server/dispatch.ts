// Dispatch by the route table (src/api/routes.ts): find the route, validate its query,
// headers and JSON body, call its handler with the validated input, and write the answer
// the route declares. Handlers never see an unparsed body.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  matchPath,
  type ObjectAnswer,
  type PathParams,
  type QueryValues,
  type Route,
  type ClientRoutes,
  type PeerRoutes,
} from '../api/index.js';
import type { Caller } from '../node/auth-service.js';
import { CairnError } from '../util/errors.js';
import type { RouteGuard } from './access.js';
import { limits } from '../util/limits.js';
import { readJsonBody, sendJson } from './http-helpers.js';

export interface RouteInput<Q, B> {
  readonly params: PathParams;
  readonly query: Q;
  readonly body: B;
  /** The declared headers only (first value of each). */
  readonly headers: QueryValues;
  /** The request itself: the body of a streamed route, and the caller's address. */
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** Who is calling (its token checked), undefined while authentication is off. */
  readonly caller?: Caller;
}

/** A JSON answer with a status other than 200 (GET /ready answers 503 when not ready). */
export class StatusAnswer {
  constructor(
    readonly status: number,
    readonly value: unknown,
  ) {}
}

type AnswerOf<T> = T extends Route<unknown, unknown, infer R> ? R | StatusAnswer : never;

export type HandlerOf<T> =
  T extends Route<infer Q, infer B, unknown>
    ? (input: RouteInput<Q, B>) => Promise<AnswerOf<T>> | AnswerOf<T>
    : never;

/** Handlers for the routes of one port, by route name. */
export type HandlersFor<P extends 'client' | 'peer'> = P extends 'client'
  ? { readonly [N in keyof ClientRoutes]: HandlerOf<ClientRoutes[N]> }
  : { readonly [N in keyof PeerRoutes]: HandlerOf<PeerRoutes[N]> };

export interface Matched {
  readonly route: Route;
  readonly params: PathParams;
}

/** The route of `method` and `pathname` among `candidates`; NOT_FOUND if none. */
export function findRoute(candidates: readonly Route[], method: string, pathname: string): Matched {
  let pathMatched = false;
  for (const route of candidates) {
    const params = matchPath(route.path, pathname);
    if (params === undefined) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  if (pathMatched && pathname.startsWith('/v1/objects/'))
    throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', `${method} is not allowed on an object`);
  throw new CairnError('CAIRN_ERR_NOT_FOUND', `no endpoint ${method} ${pathname}`);
}

export function declaredHeaders(route: Route, request: IncomingMessage): QueryValues {
  const headers: Record<string, string> = {};
  for (const name of route.headers) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value) && value[0] !== undefined) headers[name] = value[0];
  }
  return headers;
}

export function queryValues(url: URL): QueryValues {
  const values: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in values)) values[name] = value;
  return values;
}

/** Reads and validates the JSON body of a JSON route (undefined for the others). */
export async function readRouteBody(route: Route, request: IncomingMessage): Promise<unknown> {
  if (route.body.kind !== 'json') return undefined;
  const raw = await readJsonBody(
    request,
    route.body.bytesMax?.value ?? limits.requestMetadataBodyBytesMax,
    route.body.bytesMax?.name ?? 'requestMetadataBodyBytesMax',
  );
  return raw;
}

/** Observes a request's duration once its answer is sent (or the connection closed). */
export type RequestObserver = (operation: string, code: string, seconds: number) => void;

/**
 * Reports the request's route, HTTP status and duration when the response ends; the
 * code is the status sent, so errors written later by the server's catch count too.
 */
export function observeRequest(
  route: Route,
  response: ServerResponse,
  observer: RequestObserver | undefined,
): void {
  if (observer === undefined) return;
  const started = performance.now();
  response.once('close', () => {
    const code = response.writableFinished ? String(response.statusCode) : 'aborted';
    observer(route.name, code, (performance.now() - started) / 1000);
  });
}

/** Runs the handler of a matched route with validated input and writes its answer. */
export async function runRoute(
  matched: Matched,
  handler: (input: RouteInput<unknown, unknown>) => unknown,
  url: URL,
  rawBody: unknown,
  request: IncomingMessage,
  response: ServerResponse,
  guard?: RouteGuard,
): Promise<void> {
  const { route, params } = matched;
  const headers = declaredHeaders(route, request);
  const query = route.query(queryValues(url), headers);
  const body = route.body.kind === 'json' ? route.body.validate(rawBody) : undefined;
  // Before the body of a streamed route is read: a refused put stores nothing.
  const caller = guard?.check(route, { params, query, body, headers });
  if (route.body.kind === 'none') request.resume();
  const input = { params, query, body, headers, request, response };
  const answer = await handler(caller === undefined ? input : { ...input, caller });
  await writeAnswer(
    route,
    guard === undefined ? answer : guard.filter(route, caller, answer),
    response,
  );
}

async function writeAnswer(route: Route, answer: unknown, response: ServerResponse): Promise<void> {
  switch (route.response) {
    case 'raw':
    case 'ndjson':
      return;
    case 'text': {
      // A StatusAnswer holding text: /readyz answers 503 naming the failing check.
      const status = answer instanceof StatusAnswer ? answer.status : 200;
      const text = (answer instanceof StatusAnswer ? answer.value : answer) as string;
      response.writeHead(status, {
        'content-type': 'text/plain; version=0.0.4',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
      return;
    }
    case 'object': {
      const { info, body } = answer as ObjectAnswer;
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': info.size,
        'x-cairn-version': info.version,
        'x-cairn-sha256': info.sha256,
      });
      if (body === undefined) response.end();
      else await pipeline(Readable.from(body), response);
      return;
    }
    case 'json':
      if (answer instanceof StatusAnswer) sendJson(response, answer.status, answer.value);
      else sendJson(response, 200, answer);
  }
}
