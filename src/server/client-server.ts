// The client port (DESIGN.md section 6): objects, listing, cluster and node admin,
// health, readiness and metrics, dispatched by the route table. A route that runs on
// the leader and reaches a follower is forwarded once to the leader's peer port
// (src/server/forward.ts); a forwarded request never travels further.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { leaderHeader, routesOf, type Route } from '../api/index.js';
import { createListener } from '../net/index.js';
import { CairnError } from '../util/errors.js';
import {
  findRoute,
  observeRequest,
  readRouteBody,
  runRoute,
  type HandlersFor,
  type RequestObserver,
  type RouteInput,
} from './dispatch.js';
import { forwardToLeader, type LeaderLocator } from './forward.js';
import { admitClusterForming } from './admission.js';
import { sendError } from './http-helpers.js';
import { refuseNodeOnlyHeaders, type RouteGuard } from './access.js';

const clientRoutes = routesOf('client');

export interface ClientPort {
  readonly handlers: HandlersFor<'client'>;
  readonly leadership: LeaderLocator;
  /** Request durations by route and status, for /metrics. */
  readonly observeRequest?: RequestObserver;
  /** Every route's permission, checked where it runs (src/server/access.ts). */
  readonly guard?: RouteGuard;
}

export function createClientServer(port: ClientPort): Server {
  const server = createListener((request, response) => {
    void serveClientRequest(port, request, response, undefined).catch((error: unknown) => {
      request.resume(); // drain what the handler did not read, so keep-alive survives
      sendError(response, error);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0; // large objects stream for as long as they need
  return server;
}

/**
 * Serves one client-port request. `forwardedBy` is set when a follower forwarded it
 * here over the peer port: it then runs here or fails with NOT_LEADER, never moves on.
 */
export async function serveClientRequest(
  port: ClientPort,
  request: IncomingMessage,
  response: ServerResponse,
  forwardedBy: string | undefined,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://cairn');
  const matched = findRoute(clientRoutes, request.method ?? 'GET', url.pathname);
  const { route } = matched;
  observeRequest(route, response, port.observeRequest);
  if (forwardedBy === undefined) refuseNodeOnlyHeaders(request);
  const handler = port.handlers[route.name as keyof HandlersFor<'client'>] as (
    input: RouteInput<unknown, unknown>,
  ) => unknown;
  if (route.name === 'bootstrap') admitClusterForming(request, 'bootstrapping a cluster');
  const leaderOnly = route.runsOn === 'leader';
  if (leaderOnly && !port.leadership.isLeader()) {
    if (forwardedBy !== undefined) throw notLeader(port.leadership);
    return forwardToLeader(port.leadership, route, request, response);
  }
  const rawBody = await readRouteBody(route, request);
  // Tells clients where writes go, so they stop sending them through a follower.
  if (leaderOnly) response.setHeader(leaderHeader, port.leadership.selfClientAddress());
  try {
    await runRoute(matched, handler, url, rawBody, request, response, port.guard);
  } catch (error) {
    // Leadership moved while the handler ran (or it handed leadership over): a JSON
    // request, already read whole, is forwarded once to the new leader.
    if (!retryOnLeader(route, error, forwardedBy)) throw error;
    response.removeHeader(leaderHeader);
    await forwardToLeader(port.leadership, route, request, response, rawBody);
  }
}

function retryOnLeader(route: Route, error: unknown, forwardedBy: string | undefined): boolean {
  return (
    route.body.kind !== 'stream' &&
    forwardedBy === undefined &&
    error instanceof CairnError &&
    error.code === 'CAIRN_ERR_NOT_LEADER'
  );
}

export function notLeader(leadership: LeaderLocator): CairnError {
  const hint = leadership.leader();
  return new CairnError(
    'CAIRN_ERR_NOT_LEADER',
    hint.leaderClientAddress === null
      ? 'no leader is known (an election may be running); retry shortly'
      : `this node is not the leader; send writes to ${hint.leaderClientAddress}`,
    { details: { leaderId: hint.leaderId, leaderClientAddress: hint.leaderClientAddress } },
  );
}
