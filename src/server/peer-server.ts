// The peer port: Raft message batches from other members (and, later, snapshot
// streams and chunk transfer). A batch from another cluster is refused with 403, so
// two clusters can never mix their logs.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Message } from '../raft/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { readBody, sendError } from './http-helpers.js';
import { peerRaftPath, snapshotHeader } from './peer-transport.js';
import { decodeMessageBatch } from './raft-message-codec.js';

export interface PeerHandlers {
  /** The cluster this node belongs to, or undefined before bootstrap or join. */
  readonly clusterId: () => string | undefined;
  readonly onMessages: (messages: readonly Message[]) => void;
  /** Extra routes (chunk transfer, snapshots); return false when the route is unknown. */
  readonly route?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
}

export function createPeerServer(handlers: PeerHandlers): Server {
  const server = createServer((request, response) => {
    void handlePeerRequest(handlers, request, response).catch((error: unknown) =>
      sendError(response, error),
    );
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

async function handlePeerRequest(
  handlers: PeerHandlers,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (request.method === 'POST' && request.url === peerRaftPath) {
    const carriesSnapshot = request.headers[snapshotHeader] === '1';
    const body = carriesSnapshot
      ? await readBody(
          request,
          limits.requestPeerSnapshotBodyBytesMax,
          'requestPeerSnapshotBodyBytesMax',
        )
      : await readBody(
          request,
          limits.requestPeerBatchBodyBytesMax,
          'requestPeerBatchBodyBytesMax',
        );
    const batch = decodeMessageBatch(body);
    const ownCluster = handlers.clusterId();
    if (ownCluster === undefined || batch.clusterId !== ownCluster) {
      throw new CairnError(
        'CAIRN_ERR_CLUSTER_MISMATCH',
        ownCluster === undefined
          ? `this node belongs to no cluster yet; refusing raft messages of cluster ${batch.clusterId}`
          : `this node belongs to cluster ${ownCluster}; refusing raft messages of cluster ${batch.clusterId}`,
      );
    }
    handlers.onMessages(batch.messages);
    response.writeHead(204).end();
    return;
  }
  if (handlers.route && (await handlers.route(request, response))) return;
  throw new CairnError(
    'CAIRN_ERR_NOT_FOUND',
    `no peer endpoint ${request.method ?? ''} ${request.url ?? ''}`,
  );
}
