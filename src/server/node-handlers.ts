// The handlers of both ports' routes, each a call into one node service with the
// input the route table validated.

import type { NodeInfo } from '../api/index.js';
import { collectedThroughHeader, serveChunk } from '../data/chunk-transfer.js';
import { InvalidArgumentError } from '../util/errors.js';
import { type AuthService, parsePermissionText } from '../node/auth-service.js';
import type { NodeMetrics } from '../node/metrics/registry.js';
import { accessGuard } from './access.js';
import type { ClientPort } from './client-server.js';
import { leaderLocator } from './leader-locator.js';
import type { NodeServices } from '../node/node-services.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { liveness, readiness, renderHealth } from '../node/metrics/readiness.js';
import { serveWatch } from '../node/watch-service.js';
import { StatusAnswer, type HandlersFor } from './dispatch.js';
import { raftMessagesHandler, type RaftMessagesOptions } from './peer-server.js';
import type { NodeSnapshots } from './node-snapshots.js';
import { backupHandlers } from './backup-handlers.js';

export function clientHandlers(
  services: NodeServices,
  metricsText: () => Promise<string>,
): HandlersFor<'client'> {
  const { objects, admin, maintenance, chunks } = services;
  return {
    livez: ({ query }) => livez(services, query.verbose),
    readyz: ({ query }) => readyz(services, query.verbose),
    health: ({ query }) => livez(services, query.verbose),
    ready: ({ query }) => readyz(services, query.verbose),
    metrics: metricsText,
    listObjects: ({ query }) => objects.list(query),
    getObject: ({ params, query }) => objects.get(params['key'] as string, query.consistency),
    headObject: async ({ params, query }) => ({
      info: await objects.head(params['key'] as string, query.consistency),
    }),
    putObject: ({ params, query, request }) => objects.put(params['key'] as string, request, query),
    deleteObject: ({ params, query }) => objects.delete(params['key'] as string, query),
    watch: ({ query, request, response }) => serveWatch(services.watches, query, request, response),
    ...backupHandlers(services.backup),
    nodeInfo: () => services.info(),
    nodeStatus: () => admin.nodeStatus(),
    bootstrap: ({ body }) => admin.acceptBootstrap(body),
    scrubNode: ({ body }) => chunks.scrubNow(body.rateBytesPerSecond),
    clusterStatus: async () => ({
      ...(await admin.clusterStatus()),
      ...(services.clusterSettings.current() === undefined
        ? {}
        : { settings: services.clusterSettings.view() }),
      ...(services.group.isLeader() ? { repair: repairProgress(services) } : {}),
    }),
    addMember: ({ body }) => admin.addMember(body.address),
    removeMember: ({ params }) => admin.removeMember(params['id'] as string),
    rebalanceStatus: () => maintenance.status(),
    rebalancePlan: ({ query }) => maintenance.plan(query.rateBytesPerSecond),
    rebalanceStart: ({ body }) => maintenance.configure(body, false),
    rebalancePause: ({ body }) => maintenance.configure(body, true),
    rebalanceResume: ({ body }) => maintenance.configure({ ...body, resume: true }, false),
    repair: () => maintenance.repair(),
    drain: ({ body }) => maintenance.drain(body.id),
    collectGarbage: () => maintenance.collectGarbage(),
    clusterSettings: async () => {
      await services.group.readBarrier('linearizable');
      return services.clusterSettings.view();
    },
    updateClusterSettings: ({ body }) => services.clusterSettings.update(body),
    txn: ({ body, query }) => services.txn.txn(body, query.fence),
    txnOutcome: ({ params, query }) =>
      services.txn.outcome(params['requestId'] as string, query.sentAfterRevision),
    stage: ({ request, query }) => services.txn.stage(request, query),
    grantLease: ({ body }) => services.leases.grant(body.ttlMilliseconds),
    listLeases: () => services.leases.list(),
    keepaliveLease: ({ params }) => services.leases.keepalive(params['id'] as string),
    getLease: ({ params }) => services.leases.get(params['id'] as string),
    revokeLease: ({ params }) => services.leases.revoke(params['id'] as string),
    acquireLock: ({ params, body }) => services.locks.acquire(params['name'] as string, body),
    releaseLock: ({ params, query }) =>
      services.locks.release(params['name'] as string, query.requestId),
    lockHolders: ({ params }) => services.locks.holders(params['name'] as string),
    listLocks: ({ query }) => services.locks.list(query),
    ...authHandlers(services.auth),
  };
}

/** The auth routes' names: the handlers below are typed by the route table. */
type AuthRouteName =
  | 'enableAuth'
  | 'whoami'
  | 'listUsers'
  | 'addUser'
  | 'removeUser'
  | 'grantRole'
  | 'revokeRole'
  | 'listRoles'
  | 'addRole'
  | 'removeRole'
  | 'grantPermission'
  | 'revokePermission'
  | 'listTokens'
  | 'createToken'
  | 'revokeToken';

/** Users, roles and tokens (issue 14): each a call into the auth service. */
function authHandlers(service: AuthService): Pick<HandlersFor<'client'>, AuthRouteName> {
  // Path parameters are checked by the route table's validators before a handler runs.
  const name = (params: Readonly<Record<string, string | undefined>>, field = 'name'): string =>
    params[field] as string;
  return {
    enableAuth: () => service.enable(),
    whoami: ({ caller }) => service.whoami(caller),
    listUsers: () => service.users(),
    addUser: ({ body }) =>
      service.change({ type: 'addUser', name: body.name }, `user ${body.name}`),
    removeUser: ({ params }) =>
      service.change({ type: 'removeUser', name: name(params) }, `user ${name(params)}`),
    grantRole: ({ params, body }) =>
      service.change(
        { type: 'grantRole', user: name(params), role: body.name },
        `user ${name(params)}`,
      ),
    revokeRole: ({ params }) =>
      service.change(
        { type: 'revokeRole', user: name(params), role: name(params, 'role') },
        `user ${name(params)}`,
      ),
    listRoles: () => service.roles(),
    addRole: ({ body }) =>
      service.change({ type: 'addRole', name: body.name }, `role ${body.name}`),
    removeRole: ({ params }) =>
      service.change({ type: 'removeRole', name: name(params) }, `role ${name(params)}`),
    grantPermission: ({ params, body }) =>
      service.change(
        {
          type: 'grantPermission',
          role: name(params),
          permission: parsePermissionText(body.permission),
        },
        `role ${name(params)}`,
      ),
    revokePermission: ({ params, body }) =>
      service.change(
        {
          type: 'revokePermission',
          role: name(params),
          permission: parsePermissionText(body.permission),
        },
        `role ${name(params)}`,
      ),
    listTokens: () => service.tokens(),
    createToken: ({ body }) => service.createToken(body),
    revokeToken: ({ params }) =>
      service.change(
        { type: 'revokeToken', id: name(params, 'id') },
        `token ${name(params, 'id')}`,
      ),
  };
}

/** The client port of a node: its handlers, its leadership, its metrics, its access guard. */
export function clientPortOf(
  services: NodeServices,
  metrics: NodeMetrics,
  info: () => NodeInfo,
): ClientPort {
  return {
    handlers: clientHandlers(services, () => metrics.render()),
    leadership: leaderLocator(services.group, info),
    observeRequest: (...request) => metrics.observeRequest(...request),
    guard: accessGuard(services.auth),
  };
}

function collectedThroughOf(value: string | undefined): number {
  const index = value === undefined ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(index) || index < 0)
    throw new InvalidArgumentError(`${collectedThroughHeader} must be a Raft index`);
  return index;
}

export function peerHandlers(
  services: NodeServices,
  store: ChunkStore,
  raft: RaftMessagesOptions,
  snapshots: NodeSnapshots,
): HandlersFor<'peer'> {
  const { admin, chunks } = services;
  return {
    raftMessages: raftMessagesHandler({ ...raft, snapshotHeld: snapshots.held }),
    ...snapshots.handlers,
    chunkPut: async ({ params, headers, request, response }) => {
      // Below the disk reserve a copy is refused (DISK_FULL), so the writer picks another.
      services.diskGuard.refuseWritesWhenLow();
      // Issue 13: stored only once this node reclaimed the collections the writer saw.
      await services.reclaimer.admit(collectedThroughOf(headers[collectedThroughHeader]));
      const homeMemberId = headers['x-cairn-hint-for'];
      const hint = {
        hints: services.hints,
        ...(homeMemberId === undefined ? {} : { homeMemberId }),
      };
      return serveChunk(store, 'PUT', params['sha256'] as string, request, response, hint);
    },
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

function livez(services: NodeServices, verbose: boolean): StatusAnswer {
  const report = liveness(services.readiness);
  return new StatusAnswer(report.ok ? 200 : 503, renderHealth(report, verbose, 'livez'));
}

async function readyz(services: NodeServices, verbose: boolean): Promise<StatusAnswer> {
  const report = await readiness(services.readiness);
  return new StatusAnswer(report.ok ? 200 : 503, renderHealth(report, verbose, 'readyz'));
}

function repairProgress(services: NodeServices) {
  const progress = services.coordinator.progress;
  return {
    chunksUnderReplicated: progress.chunksUnderReplicated ?? null,
    running: progress.running,
    chunksPlanned: progress.chunksPlanned,
    chunksCopied: progress.chunksCopied,
    bytesCopied: progress.bytesCopied,
  };
}
