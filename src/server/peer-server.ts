// The peer port: Raft message batches, chunk copies, the maintenance calls between
// members, and client requests forwarded by a follower to the leader. Dispatched by
// the route table. A Raft batch from another cluster is refused with 403, so two
// clusters can never mix their logs.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { forwardedByHeader, forwardPathPrefix, routesOf } from '../api/index.js';
import { createListener } from '../net/index.js';
import type { Message } from '../raft/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { serveClientRequest, type ClientPort } from './client-server.js';
import {
  findRoute,
  readRouteBody,
  runRoute,
  type HandlersFor,
  type RouteInput,
} from './dispatch.js';
import { admitClusterForming, admitPeer, type MembershipQuestion } from './admission.js';

export { memberQuestion } from './admission.js';
import { readBody, sendError } from './http-helpers.js';
import { decodeSnapshotReference, type SnapshotReference } from '../storage/snapshot-reference.js';
import { decodeMessageBatch } from './raft-message-codec.js';

const peerRoutes = routesOf('peer');

export interface PeerPort {
  readonly handlers: HandlersFor<'peer'>;
  /** Where forwarded client requests are served (this node's client routes). */
  readonly clientPort: ClientPort;
  /** Who may use the port (TLS on: node certificates of current members). */
  readonly membership: MembershipQuestion;
}

export function createPeerServer(port: PeerPort): Server {
  const server = createListener((request, response) => {
    void servePeerRequest(port, request, response).catch((error: unknown) => {
      request.resume();
      sendError(response, error);
    });
  }, 'peer');
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0; // forwarded puts stream for as long as they need
  return server;
}

async function servePeerRequest(
  port: PeerPort,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  admitPeer(port.membership, request);
  const url = new URL(request.url ?? '/', 'http://cairn');
  if (url.pathname.startsWith(`${forwardPathPrefix}/`)) {
    const forwardedBy = request.headers[forwardedByHeader];
    request.url = (request.url ?? '').slice(forwardPathPrefix.length);
    return serveClientRequest(
      port.clientPort,
      request,
      response,
      typeof forwardedBy === 'string' ? forwardedBy : 'a peer',
    );
  }
  const matched = findRoute(peerRoutes, request.method ?? 'GET', url.pathname);
  const handler = port.handlers[matched.route.name as keyof HandlersFor<'peer'>] as (
    input: RouteInput<unknown, unknown>,
  ) => unknown;
  if (matched.route.name === 'peerJoin') admitClusterForming(request, 'joining a cluster');
  const rawBody = await readRouteBody(matched.route, request);
  await runRoute(matched, handler, url, rawBody, request, response);
}

export interface RaftMessagesOptions {
  /** The cluster this node belongs to, or undefined before bootstrap or join. */
  readonly clusterId: () => string | undefined;
  readonly onMessages: (messages: readonly Message[]) => void;
  /** Whether the snapshot file a snapshot message references arrived whole. */
  readonly snapshotHeld?: (reference: SnapshotReference) => Promise<boolean>;
}

/** The handler of POST /peer/v1/raft: a binary batch, refused from another cluster. */
export function raftMessagesHandler(
  options: RaftMessagesOptions,
): (input: RouteInput<unknown, unknown>) => Promise<void> {
  return async ({ request, response }) => {
    const body = await readBody(
      request,
      limits.requestPeerBatchBodyBytesMax,
      'requestPeerBatchBodyBytesMax',
    );
    const batch = decodeMessageBatch(body);
    const ownCluster = options.clusterId();
    if (ownCluster === undefined || batch.clusterId !== ownCluster) {
      throw new CairnError(
        'CAIRN_ERR_CLUSTER_MISMATCH',
        ownCluster === undefined
          ? `this node belongs to no cluster yet; refusing raft messages of cluster ${batch.clusterId}`
          : `this node belongs to cluster ${ownCluster}; refusing raft messages of cluster ${batch.clusterId}`,
      );
    }
    for (const message of batch.messages) await requireSnapshotFile(options, message);
    options.onMessages(batch.messages);
    response.writeHead(204).end();
  };
}

/** A snapshot message is stepped only once the file it references is here, whole. */
async function requireSnapshotFile(options: RaftMessagesOptions, message: Message): Promise<void> {
  if (message.snapshot === undefined) return;
  const reference = decodeSnapshotReference(message.snapshot.data);
  if (reference === null || options.snapshotHeld === undefined) return;
  if (await options.snapshotHeld(reference)) return;
  throw new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `the file of snapshot ${reference.index} has not arrived whole; send it first`,
  );
}
