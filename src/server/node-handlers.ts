// The handlers of both ports' routes, each a call into one node service with the
// input the route table validated.

import { serveChunk } from '../data/chunk-transfer.js';
import type { NodeServices } from '../node/node-services.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { StatusAnswer, type HandlersFor } from './dispatch.js';
import { raftMessagesHandler, type RaftMessagesOptions } from './peer-server.js';

export function clientHandlers(
  services: NodeServices,
  metricsText: () => string,
): HandlersFor<'client'> {
  const { objects, admin, maintenance, chunks } = services;
  return {
    health: () => ({ status: 'ok', node: services.info().id }),
    ready: () => {
      const health = services.group.health();
      return new StatusAnswer(health.ready ? 200 : 503, {
        ready: health.ready,
        reason: health.reason,
      });
    },
    metrics: metricsText,
    listObjects: ({ query }) => objects.list(query),
    getObject: ({ params, query }) => objects.get(params['key'] as string, query.consistency),
    headObject: async ({ params, query }) => ({
      info: await objects.head(params['key'] as string, query.consistency),
    }),
    putObject: ({ params, query, request }) => objects.put(params['key'] as string, request, query),
    deleteObject: ({ params, query }) => objects.delete(params['key'] as string, query),
    nodeInfo: () => services.info(),
    nodeStatus: () => admin.nodeStatus(),
    bootstrap: ({ body }) => admin.acceptBootstrap(body),
    scrubNode: ({ body }) => chunks.scrubNow(body.rateBytesPerSecond),
    clusterStatus: () => admin.clusterStatus(),
    addMember: ({ body }) => admin.addMember(body.address),
    removeMember: ({ params }) => admin.removeMember(params['id'] as string),
    rebalanceStatus: () => maintenance.status(),
    rebalancePlan: ({ query }) => maintenance.plan(query.rateBytesPerSecond),
    rebalanceStart: ({ body }) => maintenance.configure(body, false),
    rebalancePause: ({ body }) => maintenance.configure(body, true),
    rebalanceResume: ({ body }) => maintenance.configure({ ...body, resume: true }, false),
    repair: () => maintenance.repair(),
    drain: ({ body }) => maintenance.drain(body.id),
    collectGarbage: ({ body }) => maintenance.collectGarbage(body.graceMilliseconds),
    grantLease: ({ body }) => services.leases.grant(body.ttlMilliseconds),
    listLeases: () => services.leases.list(),
    keepaliveLease: ({ params }) => services.leases.keepalive(params['id'] as string),
    getLease: ({ params }) => services.leases.get(params['id'] as string),
    revokeLease: ({ params }) => services.leases.revoke(params['id'] as string),
    acquireLock: ({ params, body }) => services.locks.acquire(params['name'] as string, body),
    releaseLock: ({ params, query }) =>
      services.locks.release(params['name'] as string, query.requestId),
    lockHolders: ({ params }) => services.locks.holders(params['name'] as string),
  };
}

export function peerHandlers(
  services: NodeServices,
  store: ChunkStore,
  raft: RaftMessagesOptions,
): HandlersFor<'peer'> {
  const { admin, chunks } = services;
  return {
    raftMessages: raftMessagesHandler(raft),
    chunkPut: ({ params, request, response }) =>
      serveChunk(store, 'PUT', params['sha256'] as string, request, response),
    chunkGet: ({ params, request, response }) =>
      serveChunk(store, 'GET', params['sha256'] as string, request, response),
    chunkHead: ({ params, request, response }) =>
      serveChunk(store, 'HEAD', params['sha256'] as string, request, response),
    peerNodeInfo: () => services.info(),
    peerNodeStatus: () => admin.nodeStatus(),
    peerJoin: ({ body }) => admin.acceptJoin(body),
    inventory: ({ query }) => chunks.inventoryPage(query.after, query.limit),
    removeChunks: ({ body }) => chunks.removeLocal(body),
    maintenanceSettings: ({ body }) => services.settings.apply(body),
  };
}
