// The route table of both ports (DESIGN.md section 6). The servers dispatch by it, the
// client builds its paths from it, and src/client/API.md documents it. The client port
// serves clients and operators; the peer port serves the other members only.

import { InvalidArgumentError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import {
  identityHeaders,
  jsonBody,
  noBody,
  noQuery,
  streamBody,
  type Method,
  type Permission,
  type Port,
  type ResponseKind,
  type Route,
  type RouteBody,
} from './route.js';
import {
  chunkIdList,
  consistency,
  fields,
  integerHeader,
  isChunkId,
  memberList,
  optionalBoolean,
  optionalInteger,
  queryInteger,
  requiredString,
  type QueryValues,
} from './validate.js';
import { parseTxnRequest } from './txn-body.js';
import type * as Wire from './wire.js';

interface RouteSpec<Q, B> {
  readonly port: Port;
  readonly method: Method;
  readonly path: string;
  readonly query?: (query: QueryValues, headers: QueryValues) => Q;
  readonly body?: RouteBody<B>;
  readonly response?: ResponseKind;
  readonly headers?: readonly string[];
  readonly permission: Permission;
  readonly runsOn?: 'any' | 'leader';
}

function route<R, Q = Record<string, never>, B = undefined>(
  name: string,
  spec: RouteSpec<Q, B>,
): Route<Q, B, R> {
  const own = spec.headers ?? [];
  return {
    name,
    port: spec.port,
    method: spec.method,
    path: spec.path,
    query: spec.query ?? (noQuery as unknown as (query: QueryValues) => Q),
    body: spec.body ?? (noBody as RouteBody<B>),
    response: spec.response ?? 'json',
    headers: spec.port === 'client' ? [...own, ...identityHeaders] : own,
    permission: spec.permission,
    runsOn: spec.runsOn ?? 'any',
  };
}

export interface ObjectReadInput {
  readonly consistency: Wire.ReadConsistency;
}

export interface ObjectWriteInput {
  readonly sizeBytes?: number;
  readonly ifVersion?: number;
  readonly ifAbsent?: boolean;
  readonly requestId?: string;
  /** x-cairn-fence NAME=TOKEN: applied only while TOKEN holds lock NAME. */
  readonly fence?: { readonly name: string; readonly token: number };
  /** x-cairn-lease: the object is deleted when the lease ends. */
  readonly lease?: number;
}

/** Parses `NAME=TOKEN` (x-cairn-fence); the name is checked where the command is built. */
export function parseFence(text: string): { name: string; token: number } {
  const at = text.lastIndexOf('=');
  const token = Number(text.slice(at + 1));
  if (at < 1 || !/^[1-9][0-9]*$/.test(text.slice(at + 1)) || !Number.isSafeInteger(token))
    throw new InvalidArgumentError(`x-cairn-fence must be NAME=TOKEN, got ${JSON.stringify(text)}`);
  return { name: text.slice(0, at), token };
}

function objectRead(query: QueryValues): ObjectReadInput {
  return { consistency: consistency(query['consistency']) };
}

function objectWrite(_query: QueryValues, headers: QueryValues): ObjectWriteInput {
  const sizeBytes = integerHeader(headers['content-length'], 'content-length');
  const ifVersion = integerHeader(headers['if-match-version'], 'if-match-version');
  const requestId = headers['x-cairn-request-id'];
  const fence = headers['x-cairn-fence'];
  const lease = integerHeader(headers['x-cairn-lease'], 'x-cairn-lease');
  return {
    ...(lease === undefined || lease === 0 ? {} : { lease }),
    ...(sizeBytes === undefined ? {} : { sizeBytes }),
    ...(ifVersion === undefined ? {} : { ifVersion }),
    ...(headers['if-none-match'] === '*' ? { ifAbsent: true } : {}),
    ...(requestId === undefined || requestId === '' ? {} : { requestId }),
    ...(fence === undefined || fence === '' ? {} : { fence: parseFence(fence) }),
  };
}

export interface ListInput {
  readonly prefix: string;
  readonly after: string;
  readonly limit: number;
  readonly consistency: Wire.ReadConsistency;
  /** List the state at this retained revision (undefined: the current state). */
  readonly atRevision?: number;
}

export interface WatchInput {
  readonly prefix: string;
  /** Undefined: from the next revision; 1: from the oldest retained. */
  readonly fromRevision?: number;
  /** values=true: put events of inline objects carry the bytes (while still current). */
  readonly values?: boolean;
}

function watchQuery(query: QueryValues): WatchInput {
  const from = query['fromRevision'];
  const values = query['values'];
  if (values !== undefined && values !== 'true' && values !== 'false')
    throw new InvalidArgumentError(`values must be true or false, got ${JSON.stringify(values)}`);
  return {
    prefix: query['prefix'] ?? '',
    ...(values === 'true' ? { values: true } : {}),
    ...(from === undefined
      ? {}
      : { fromRevision: queryInteger(from, 'fromRevision', 1, 1, Number.MAX_SAFE_INTEGER) }),
  };
}

function listQuery(query: QueryValues): ListInput {
  const limitText = query['limit'];
  const limit = limitText === undefined ? limits.listPageKeysMax : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new InvalidArgumentError(`limit must be a positive integer, got "${limitText ?? ''}"`);
  if (limit > limits.listPageKeysMax)
    throw new LimitExceededError('listPageKeysMax', limits.listPageKeysMax, limit, 'keys');
  return {
    prefix: query['prefix'] ?? '',
    after: query['after'] ?? '',
    limit,
    consistency: consistency(query['consistency']),
    ...(query['atRevision'] === undefined
      ? {}
      : {
          atRevision: queryInteger(
            query['atRevision'],
            'atRevision',
            0,
            0,
            Number.MAX_SAFE_INTEGER,
          ),
        }),
  };
}

function bootstrapBody(value: unknown): Wire.BootstrapRequest {
  const input = fields(value);
  const clusterId = requiredString(input['clusterId'], 'clusterId is required');
  const members = memberList(input['members']);
  const replicationFactor = Number(input['replicationFactor']);
  const factorMax = Math.min(members.length, limits.replicationFactorMax);
  if (
    !Number.isSafeInteger(replicationFactor) ||
    replicationFactor < 1 ||
    replicationFactor > factorMax
  )
    throw new InvalidArgumentError(
      `the replication factor must be between 1 and ${factorMax} (the number of nodes), got ${String(input['replicationFactor'])}`,
    );
  return { clusterId, members, replicationFactor };
}

function joinBody(value: unknown): Wire.JoinRequest {
  const input = fields(value);
  const clusterId = requiredString(input['clusterId'], 'clusterId is required');
  return { clusterId, members: memberList(input['members']) };
}

function addMemberBody(value: unknown): Wire.AddMemberRequest {
  const address = requiredString(
    fields(value)['address'],
    "address (the new node's client address, host:port) is required",
  );
  return { address };
}

function rebalanceBody(value: unknown): Wire.RebalanceRequest {
  const input = fields(value);
  const rate = optionalInteger(
    input['rateBytesPerSecond'],
    'rateBytesPerSecond',
    0,
    limits.maintenanceRateBytesPerSecondMax,
  );
  const parallel = optionalInteger(
    input['parallel'],
    'parallel',
    1,
    limits.maintenanceTransfersParallelMax,
  );
  return {
    ...(rate === undefined ? {} : { rateBytesPerSecond: rate }),
    ...(parallel === undefined ? {} : { parallel }),
    ...(input['start'] === true ? { start: true } : {}),
    ...(input['resume'] === true ? { resume: true } : {}),
  };
}

function settingsBody(value: unknown): Wire.MaintenanceSettingsChange {
  const { rateBytesPerSecond, parallel } = rebalanceBody(value);
  const paused = optionalBoolean(fields(value)['paused'], 'paused');
  return {
    ...(rateBytesPerSecond === undefined ? {} : { rateBytesPerSecond }),
    ...(parallel === undefined ? {} : { parallel }),
    ...(paused === undefined ? {} : { paused }),
  };
}

function removeBody(value: unknown): Required<Wire.RemoveChunksRequest> {
  const input = fields(value);
  const sha256s = chunkIdList(input['sha256s'], limits.maintenanceRemoveBatchChunksMax);
  const reason = input['reason'];
  if (reason !== 'surplus')
    throw new InvalidArgumentError('reason must be surplus (garbage goes through collectChunks)');
  return { reason, sha256s };
}

function inventoryQuery(query: QueryValues): { after: string | null; limit: number } {
  const pageMax = limits.maintenanceInventoryPageChunksMax;
  const limit = queryInteger(query['limit'], 'limit', pageMax, 1, pageMax);
  const after = query['after'] ?? null;
  if (after !== null && !isChunkId(after))
    throw new InvalidArgumentError('after must be a chunk id');
  return { after, limit };
}

function revisionBaseBody(value: unknown): Wire.RevisionBaseRequest {
  const body = fields(value);
  const revision = optionalInteger(body['revision'], 'revision', 1, Number.MAX_SAFE_INTEGER);
  if (revision === undefined) throw new InvalidArgumentError('revision is required');
  return { revision };
}

/** The CRC32C (decimal) of the piece a snapshotPiece request carries. */
export const snapshotPieceChecksumHeader = 'x-cairn-piece-crc32c';

export interface SnapshotPieceQuery {
  /** The snapshot file: its index, term, size and SHA-256 (its reference). */
  readonly reference: { index: number; term: number; bytes: number; sha256: string };
  /** Where the piece starts (0 for a status call). */
  readonly offset: number;
  /** CRC32C of the piece (-1 for a status call). */
  readonly crc32c: number;
}

function snapshotPieceQuery(query: QueryValues, headers: QueryValues): SnapshotPieceQuery {
  const safe = Number.MAX_SAFE_INTEGER;
  const sha256 = query['sha256'] ?? '';
  if (!isChunkId(sha256)) throw new InvalidArgumentError('sha256 must be 64 lowercase hex digits');
  const reference = {
    index: queryInteger(query['index'], 'index', -1, 1, safe),
    term: queryInteger(query['term'], 'term', -1, 1, safe),
    bytes: queryInteger(query['bytes'], 'bytes', -1, 1, safe),
    sha256,
  };
  if (reference.index < 0 || reference.term < 0 || reference.bytes < 0)
    throw new InvalidArgumentError('index, term and bytes are required');
  const offset = queryInteger(query['offset'], 'offset', 0, 0, safe);
  const crc32c = queryInteger(headers[snapshotPieceChecksumHeader], 'crc32c', -1, 0, 2 ** 32 - 1);
  return { reference, offset, crc32c };
}

export interface HealthQuery {
  /** `?verbose` lists every check, not only the failing ones. */
  readonly verbose: boolean;
}

function healthQuery(query: QueryValues): HealthQuery {
  const verbose = query['verbose'];
  return { verbose: verbose !== undefined && verbose !== 'false' && verbose !== '0' };
}

const settingsRateMax = limits.maintenanceRateBytesPerSecondMax;

function settingsChangeBody(value: unknown): Wire.ClusterSettingsChange {
  const input = fields(value);
  const change = {
    writeQuorum: optionalInteger(
      input['writeQuorum'],
      'writeQuorum',
      1,
      limits.replicationFactorMax,
    ),
    downAfterMilliseconds: optionalInteger(
      input['downAfterMilliseconds'],
      'downAfterMilliseconds',
      1_000,
      7 * 24 * 3_600_000,
    ),
    repairRateBytesPerSecond: optionalInteger(
      input['repairRateBytesPerSecond'],
      'repairRateBytesPerSecond',
      0,
      settingsRateMax,
    ),
    rebalanceRateBytesPerSecond: optionalInteger(
      input['rebalanceRateBytesPerSecond'],
      'rebalanceRateBytesPerSecond',
      0,
      settingsRateMax,
    ),
    allowWriteQuorumOne: optionalBoolean(input['allowWriteQuorumOne'], 'allowWriteQuorumOne'),
  };
  const present = Object.entries(change).filter(([, field]) => field !== undefined);
  if (present.every(([name]) => name === 'allowWriteQuorumOne'))
    throw new InvalidArgumentError('the settings change names no setting');
  return Object.fromEntries(present) as Wire.ClusterSettingsChange;
}

export interface TxnInput {
  /** x-cairn-fence NAME=TOKEN: applied only while TOKEN holds lock NAME. */
  readonly fence?: { readonly name: string; readonly token: number };
}

function txnHeaders(_query: QueryValues, headers: QueryValues): TxnInput {
  const fence = headers['x-cairn-fence'];
  return fence === undefined || fence === '' ? {} : { fence: parseFence(fence) };
}

export interface TxnOutcomeInput {
  /** A revision the caller saw before it first sent the txn (0: unknown). */
  readonly sentAfterRevision: number;
}

function txnOutcomeQuery(query: QueryValues): TxnOutcomeInput {
  const revisionMax = Number.MAX_SAFE_INTEGER;
  const sentAfterRevision = queryInteger(
    query['sentAfterRevision'],
    'sentAfterRevision',
    0,
    0,
    revisionMax,
  );
  return { sentAfterRevision };
}

export interface StageInput {
  readonly sizeBytes?: number;
  readonly lifetimeMilliseconds: number;
}

function stageQuery(query: QueryValues, headers: QueryValues): StageInput {
  const sizeBytes = integerHeader(headers['content-length'], 'content-length');
  const lifetimeMilliseconds = queryInteger(
    query['lifetimeMilliseconds'],
    'lifetimeMilliseconds',
    limits.stagingLifetimeMillisecondsDefault,
    1,
    limits.stagingLifetimeMillisecondsMax,
  );
  return { lifetimeMilliseconds, ...(sizeBytes === undefined ? {} : { sizeBytes }) };
}

// ------------------------------------------------------------ leases and locks (issue 15)

function leaseGrantBody(value: unknown): Wire.LeaseGrantRequest {
  const ttl = optionalInteger(
    fields(value)['ttlMilliseconds'],
    'ttlMilliseconds',
    limits.leaseTtlMillisecondsMin,
    limits.leaseTtlMillisecondsMax,
  );
  if (ttl === undefined) throw new InvalidArgumentError('ttlMilliseconds is required');
  return { ttlMilliseconds: ttl };
}

function lockAcquireBody(value: unknown): Required<Wire.LockAcquireRequest> {
  const input = fields(value);
  const leaseId = optionalInteger(input['leaseId'], 'leaseId', 1, Number.MAX_SAFE_INTEGER);
  if (leaseId === undefined) throw new InvalidArgumentError('leaseId is required');
  const requestId = requiredString(input['requestId'], 'requestId is required');
  const mode = input['mode'] ?? 'exclusive';
  if (mode !== 'exclusive' && mode !== 'shared' && mode !== 'semaphore')
    throw new InvalidArgumentError('mode must be exclusive, shared or semaphore');
  const limit = optionalInteger(
    input['semaphoreLimit'],
    'semaphoreLimit',
    1,
    limits.lockHoldersMax,
  );
  if ((mode === 'semaphore') !== (limit !== undefined))
    throw new InvalidArgumentError('semaphoreLimit is given with mode semaphore, and only then');
  const wait = optionalInteger(
    input['waitMilliseconds'],
    'waitMilliseconds',
    0,
    limits.lockWaitMillisecondsMax,
  );
  return { leaseId, requestId, mode, semaphoreLimit: limit ?? 0, waitMilliseconds: wait ?? 0 };
}

export interface LockListInput {
  readonly prefix: string;
  readonly after: string;
  readonly limit: number;
}

function lockListQuery(query: QueryValues): LockListInput {
  const limit = queryInteger(
    query['limit'],
    'limit',
    limits.lockListPageMax,
    1,
    limits.lockListPageMax,
  );
  return { prefix: query['prefix'] ?? '', after: query['after'] ?? '', limit };
}

function lockReleaseQuery(query: QueryValues): { requestId: string } {
  return { requestId: requiredString(query['requestId'], 'requestId is required') };
}

const coordinationRoutes = {
  grantLease: route<Wire.LeaseView, Record<string, never>, Wire.LeaseGrantRequest>('grantLease', {
    port: 'client',
    method: 'POST',
    path: '/v1/leases',
    body: jsonBody(leaseGrantBody),
    permission: 'lock',
    runsOn: 'leader',
  }),
  listLeases: route<Wire.LeaseList>('listLeases', {
    port: 'client',
    method: 'GET',
    path: '/v1/leases',
    permission: 'lock',
    runsOn: 'leader',
  }),
  keepaliveLease: route<Wire.LeaseView>('keepaliveLease', {
    port: 'client',
    method: 'POST',
    path: '/v1/leases/:id/keepalive',
    permission: 'lock',
    runsOn: 'leader',
  }),
  getLease: route<Wire.LeaseView>('getLease', {
    port: 'client',
    method: 'GET',
    path: '/v1/leases/:id',
    permission: 'lock',
    runsOn: 'leader',
  }),
  revokeLease: route<Wire.LeaseRevoked>('revokeLease', {
    port: 'client',
    method: 'DELETE',
    path: '/v1/leases/:id',
    permission: 'lock',
    runsOn: 'leader',
  }),
  acquireLock: route<
    Wire.LockAcquireAnswer,
    Record<string, never>,
    Required<Wire.LockAcquireRequest>
  >('acquireLock', {
    port: 'client',
    method: 'POST',
    path: '/v1/locks/:name',
    body: jsonBody(lockAcquireBody),
    permission: 'lock',
    runsOn: 'leader',
  }),
  releaseLock: route<Wire.LockReleased, { requestId: string }>('releaseLock', {
    port: 'client',
    method: 'DELETE',
    path: '/v1/locks/:name',
    query: lockReleaseQuery,
    permission: 'lock',
    runsOn: 'leader',
  }),
  listLocks: route<Wire.LockList, LockListInput>('listLocks', {
    port: 'client',
    method: 'GET',
    path: '/v1/locks',
    query: lockListQuery,
    permission: 'lock',
    runsOn: 'leader',
  }),
  lockHolders: route<Wire.LockHolders>('lockHolders', {
    port: 'client',
    method: 'GET',
    path: '/v1/locks/:name',
    permission: 'lock',
    runsOn: 'leader',
  }),
} as const;

// ------------------------------------------------------------ users, roles, tokens (issue 14)

function nameBody(value: unknown): { name: string } {
  return { name: requiredString(fields(value)['name'], 'name is required') };
}

function permissionBody(value: unknown): { permission: string } {
  const permission = requiredString(
    fields(value)['permission'],
    'permission (VERB[,VERB...]:PREFIX, like read,list:logs/) is required',
  );
  return { permission };
}

function tokenCreateBody(value: unknown): Wire.AuthTokenCreateRequest {
  const input = fields(value);
  const user = requiredString(input['user'], 'user (whose token it is) is required');
  const scope = input['scope'];
  if (scope !== undefined && (!Array.isArray(scope) || scope.some((p) => typeof p !== 'string')))
    throw new InvalidArgumentError('scope is a list of permissions like "read,list:logs/"');
  const expires = optionalInteger(
    input['expiresInMilliseconds'],
    'expiresInMilliseconds',
    1_000,
    limits.authTokenLifetimeMillisecondsMax,
  );
  const description = input['description'];
  if (description !== undefined && typeof description !== 'string')
    throw new InvalidArgumentError('description is a string');
  return {
    user,
    ...(scope === undefined ? {} : { scope: scope as string[] }),
    ...(expires === undefined ? {} : { expiresInMilliseconds: expires }),
    ...(description === undefined ? {} : { description }),
  };
}

type Done = Wire.AuthDone;
type NoQuery = Record<string, never>;
const adminOnLeader = { port: 'client', permission: 'admin', runsOn: 'leader' } as const;
const adminAnywhere = { port: 'client', permission: 'admin' } as const;

const authRoutes = {
  enableAuth: route<Wire.AuthEnabled>('enableAuth', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/enable',
  }),
  whoami: route<Wire.WhoAmI>('whoami', {
    port: 'client',
    method: 'GET',
    path: '/v1/auth/whoami',
    permission: 'authenticated',
  }),
  listUsers: route<Wire.AuthUserView[]>('listUsers', {
    ...adminAnywhere,
    method: 'GET',
    path: '/v1/auth/users',
  }),
  addUser: route<Done, NoQuery, { name: string }>('addUser', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/users',
    body: jsonBody(nameBody),
  }),
  removeUser: route<Done>('removeUser', {
    ...adminOnLeader,
    method: 'DELETE',
    path: '/v1/auth/users/:name',
  }),
  grantRole: route<Done, NoQuery, { name: string }>('grantRole', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/users/:name/roles',
    body: jsonBody(nameBody),
  }),
  revokeRole: route<Done>('revokeRole', {
    ...adminOnLeader,
    method: 'DELETE',
    path: '/v1/auth/users/:name/roles/:role',
  }),
  listRoles: route<Wire.AuthRoleView[]>('listRoles', {
    ...adminAnywhere,
    method: 'GET',
    path: '/v1/auth/roles',
  }),
  addRole: route<Done, NoQuery, { name: string }>('addRole', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/roles',
    body: jsonBody(nameBody),
  }),
  removeRole: route<Done>('removeRole', {
    ...adminOnLeader,
    method: 'DELETE',
    path: '/v1/auth/roles/:name',
  }),
  grantPermission: route<Done, NoQuery, { permission: string }>('grantPermission', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/roles/:name/grant',
    body: jsonBody(permissionBody),
  }),
  revokePermission: route<Done, NoQuery, { permission: string }>('revokePermission', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/roles/:name/revoke',
    body: jsonBody(permissionBody),
  }),
  listTokens: route<Wire.AuthTokenView[]>('listTokens', {
    ...adminAnywhere,
    method: 'GET',
    path: '/v1/auth/tokens',
  }),
  createToken: route<Wire.AuthTokenCreated, NoQuery, Wire.AuthTokenCreateRequest>('createToken', {
    ...adminOnLeader,
    method: 'POST',
    path: '/v1/auth/tokens',
    body: jsonBody(tokenCreateBody),
  }),
  revokeToken: route<Done>('revokeToken', {
    ...adminOnLeader,
    method: 'DELETE',
    path: '/v1/auth/tokens/:id',
  }),
} as const;

/** The client port: clients and operators. */
export const clientRoutes = {
  // Liveness and readiness as text (Kubernetes style); /health and /ready are aliases.
  livez: route<string, HealthQuery>('livez', {
    port: 'client',
    method: 'GET',
    path: '/livez',
    query: healthQuery,
    response: 'text',
    permission: 'none',
  }),
  readyz: route<string, HealthQuery>('readyz', {
    port: 'client',
    method: 'GET',
    path: '/readyz',
    query: healthQuery,
    response: 'text',
    permission: 'none',
  }),
  health: route<string, HealthQuery>('health', {
    port: 'client',
    method: 'GET',
    path: '/health',
    query: healthQuery,
    response: 'text',
    permission: 'none',
  }),
  ready: route<string, HealthQuery>('ready', {
    port: 'client',
    method: 'GET',
    path: '/ready',
    query: healthQuery,
    response: 'text',
    permission: 'none',
  }),
  metrics: route<string>('metrics', {
    port: 'client',
    method: 'GET',
    path: '/metrics',
    response: 'text',
    permission: 'monitor',
  }),
  listObjects: route<Wire.ListObjectsPage, ListInput>('listObjects', {
    port: 'client',
    method: 'GET',
    path: '/v1/objects',
    query: listQuery,
    permission: 'list',
  }),
  watch: route<void, WatchInput>('watch', {
    port: 'client',
    method: 'GET',
    path: '/v1/watch',
    query: watchQuery,
    response: 'ndjson',
    permission: 'read',
  }),
  getObject: route<Wire.ObjectAnswer, ObjectReadInput>('getObject', {
    port: 'client',
    method: 'GET',
    path: '/v1/objects/*key',
    query: objectRead,
    response: 'object',
    permission: 'read',
  }),
  headObject: route<Wire.ObjectAnswer, ObjectReadInput>('headObject', {
    port: 'client',
    method: 'HEAD',
    path: '/v1/objects/*key',
    query: objectRead,
    response: 'object',
    permission: 'read',
  }),
  putObject: route<Wire.ObjectInfo, ObjectWriteInput>('putObject', {
    port: 'client',
    method: 'PUT',
    path: '/v1/objects/*key',
    query: objectWrite,
    body: streamBody('the object bytes'),
    permission: 'write',
    runsOn: 'leader',
    headers: [
      'content-type',
      'content-length',
      'if-match-version',
      'if-none-match',
      'x-cairn-request-id',
      'x-cairn-fence',
      'x-cairn-lease',
    ],
  }),
  deleteObject: route<Wire.DeletedObject, ObjectWriteInput>('deleteObject', {
    port: 'client',
    method: 'DELETE',
    path: '/v1/objects/*key',
    query: objectWrite,
    permission: 'delete',
    runsOn: 'leader',
    headers: ['if-match-version', 'x-cairn-request-id', 'x-cairn-fence'],
  }),
  nodeInfo: route<Wire.NodeInfo>('nodeInfo', {
    port: 'client',
    method: 'GET',
    path: '/v1/node/info',
    permission: 'monitor',
  }),
  nodeStatus: route<Wire.NodeStatus>('nodeStatus', {
    port: 'client',
    method: 'GET',
    path: '/v1/node/status',
    permission: 'monitor',
  }),
  bootstrap: route<Wire.MembershipAnswer, Record<string, never>, Wire.BootstrapRequest>(
    'bootstrap',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/node/bootstrap',
      body: jsonBody(bootstrapBody),
      permission: 'admin',
    },
  ),
  scrubNode: route<Wire.NodeScrubReport, Record<string, never>, { rateBytesPerSecond: number }>(
    'scrubNode',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/node/scrub',
      permission: 'admin',
      body: jsonBody((value) => ({
        rateBytesPerSecond:
          optionalInteger(
            fields(value)['rateBytesPerSecond'],
            'rateBytesPerSecond',
            0,
            limits.maintenanceRateBytesPerSecondMax,
          ) ?? 0,
      })),
    },
  ),
  clusterStatus: route<Wire.ClusterStatus>('clusterStatus', {
    port: 'client',
    method: 'GET',
    path: '/v1/cluster/status',
    permission: 'monitor',
  }),
  addMember: route<Wire.AddMemberAnswer, Record<string, never>, Wire.AddMemberRequest>(
    'addMember',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/cluster/members',
      body: jsonBody(addMemberBody),
      permission: 'admin',
      runsOn: 'leader',
    },
  ),
  removeMember: route<Wire.RemoveMemberAnswer>('removeMember', {
    port: 'client',
    method: 'DELETE',
    path: '/v1/cluster/members/:id',
    permission: 'admin',
    runsOn: 'leader',
  }),
  rebalanceStatus: route<Wire.RebalanceStatusView>('rebalanceStatus', {
    port: 'client',
    method: 'GET',
    path: '/v1/cluster/rebalance',
    permission: 'monitor',
    runsOn: 'leader',
  }),
  rebalancePlan: route<unknown, { rateBytesPerSecond: number }>('rebalancePlan', {
    port: 'client',
    method: 'GET',
    path: '/v1/cluster/rebalance/plan',
    permission: 'monitor',
    runsOn: 'leader',
    query: (query) => ({
      rateBytesPerSecond: queryInteger(query['rate'], 'rate', 0, 0, Number.MAX_SAFE_INTEGER),
    }),
  }),
  rebalanceStart: route<Wire.RebalanceStatusView, Record<string, never>, Wire.RebalanceRequest>(
    'rebalanceStart',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/cluster/rebalance',
      body: jsonBody(rebalanceBody),
      permission: 'admin',
      runsOn: 'leader',
    },
  ),
  rebalancePause: route<Wire.RebalanceStatusView, Record<string, never>, Wire.RebalanceRequest>(
    'rebalancePause',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/cluster/rebalance/pause',
      body: jsonBody(rebalanceBody),
      permission: 'admin',
      runsOn: 'leader',
    },
  ),
  rebalanceResume: route<Wire.RebalanceStatusView, Record<string, never>, Wire.RebalanceRequest>(
    'rebalanceResume',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/cluster/rebalance/resume',
      body: jsonBody(rebalanceBody),
      permission: 'admin',
      runsOn: 'leader',
    },
  ),
  repair: route<Wire.RepairReport>('repair', {
    port: 'client',
    method: 'POST',
    path: '/v1/cluster/repair',
    body: jsonBody(() => undefined),
    permission: 'admin',
    runsOn: 'leader',
  }),
  drain: route<Wire.DrainAnswer, Record<string, never>, { id: string }>('drain', {
    port: 'client',
    method: 'POST',
    path: '/v1/cluster/drain',
    permission: 'admin',
    runsOn: 'leader',
    body: jsonBody((value) => ({
      id: requiredString(fields(value)['id'], 'id (the member to drain) is required'),
    })),
  }),
  collectGarbage: route<Wire.GarbageReport>('collectGarbage', {
    port: 'client',
    method: 'POST',
    path: '/v1/cluster/gc',
    permission: 'admin',
    runsOn: 'leader',
  }),
  // Issue 13: the cluster's settings, changed through the meta group.
  clusterSettings: route<Wire.ClusterSettingsView>('clusterSettings', {
    port: 'client',
    method: 'GET',
    path: '/v1/cluster/settings',
    permission: 'monitor',
  }),
  updateClusterSettings: route<
    Wire.ClusterSettingsView,
    Record<string, never>,
    Wire.ClusterSettingsChange
  >('updateClusterSettings', {
    port: 'client',
    method: 'PUT',
    path: '/v1/cluster/settings',
    body: jsonBody(settingsChangeBody),
    permission: 'admin',
    runsOn: 'leader',
  }),
  // Transactions and staged uploads (issue 16).
  txn: route<Wire.TxnAnswer, TxnInput, Wire.TxnRequest>('txn', {
    port: 'client',
    method: 'POST',
    path: '/v1/txn',
    query: txnHeaders,
    headers: ['x-cairn-fence'],
    body: jsonBody(parseTxnRequest, {
      name: 'txnRequestBodyBytesMax',
      value: limits.txnRequestBodyBytesMax,
    }),
    permission: 'write',
    runsOn: 'leader',
  }),
  txnOutcome: route<Wire.TxnAnswer, TxnOutcomeInput>('txnOutcome', {
    port: 'client',
    method: 'GET',
    path: '/v1/txn/:requestId',
    query: txnOutcomeQuery,
    permission: 'read',
  }),
  stage: route<Wire.StagedUpload, StageInput>('stage', {
    port: 'client',
    method: 'POST',
    path: '/v1/staging',
    query: stageQuery,
    body: streamBody('the object bytes'),
    permission: 'write',
    runsOn: 'leader',
    headers: ['content-type', 'content-length'],
  }),
  // Backup and restore (issue 18): an export of the objects at one point, one chunk, and
  // the revision base of a new cluster a backup is restored into.
  backupExport: route<void, { prefix: string }>('backupExport', {
    port: 'client',
    method: 'GET',
    path: '/v1/admin/backup/objects',
    query: (query) => ({ prefix: query['prefix'] ?? '' }),
    response: 'ndjson',
    permission: 'admin',
  }),
  backupChunk: route<void, { size: number }>('backupChunk', {
    port: 'client',
    method: 'GET',
    path: '/v1/admin/backup/chunks/:sha256',
    query: (query) => ({
      size: queryInteger(query['size'], 'size', -1, 0, limits.chunkSizeBytes),
    }),
    response: 'raw',
    permission: 'admin',
  }),
  revisionBase: route<Wire.RevisionBaseAnswer, Record<string, never>, Wire.RevisionBaseRequest>(
    'revisionBase',
    {
      port: 'client',
      method: 'POST',
      path: '/v1/admin/revision-base',
      body: jsonBody(revisionBaseBody),
      permission: 'admin',
      runsOn: 'leader',
    },
  ),
  ...coordinationRoutes,
  ...authRoutes,
} as const;

/** The peer port: the other members only. */
export const peerRoutes = {
  raftMessages: route<void>('raftMessages', {
    port: 'peer',
    method: 'POST',
    path: '/peer/v1/raft',
    body: streamBody('a binary raft message batch'),
    response: 'raw',
    permission: 'peer',
  }),
  chunkPut: route<void>('chunkPut', {
    port: 'peer',
    method: 'PUT',
    path: '/peer/v1/chunks/:sha256',
    body: streamBody('the chunk bytes'),
    response: 'raw',
    permission: 'peer',
    // A stand-in copy names its home node (hinted hand-off, src/data/hinted-handoff.ts);
    // every copy names the last garbage collection its writer applied (issue 13).
    headers: ['x-cairn-hint-for', 'x-cairn-collected-through'],
  }),
  chunkGet: route<void>('chunkGet', {
    port: 'peer',
    method: 'GET',
    path: '/peer/v1/chunks/:sha256',
    response: 'raw',
    permission: 'peer',
  }),
  chunkHead: route<void>('chunkHead', {
    port: 'peer',
    method: 'HEAD',
    path: '/peer/v1/chunks/:sha256',
    response: 'raw',
    permission: 'peer',
  }),
  peerNodeInfo: route<Wire.NodeInfo>('peerNodeInfo', {
    port: 'peer',
    method: 'GET',
    path: '/peer/v1/node/info',
    permission: 'peer',
  }),
  peerNodeStatus: route<Wire.NodeStatus>('peerNodeStatus', {
    port: 'peer',
    method: 'GET',
    path: '/peer/v1/node/status',
    permission: 'peer',
  }),
  peerJoin: route<Wire.MembershipAnswer, Record<string, never>, Wire.JoinRequest>('peerJoin', {
    port: 'peer',
    method: 'POST',
    path: '/peer/v1/node/join',
    body: jsonBody(joinBody),
    permission: 'peer',
  }),
  inventory: route<Wire.InventoryPage, { after: string | null; limit: number }>('inventory', {
    port: 'peer',
    method: 'GET',
    path: '/peer/v1/maintenance/inventory',
    query: inventoryQuery,
    permission: 'peer',
  }),
  removeChunks: route<
    Wire.RemoveChunksAnswer,
    Record<string, never>,
    Required<Wire.RemoveChunksRequest>
  >('removeChunks', {
    port: 'peer',
    method: 'POST',
    path: '/peer/v1/maintenance/remove',
    body: jsonBody(removeBody),
    permission: 'peer',
  }),
  maintenanceSettings: route<
    Wire.MaintenanceSettings,
    Record<string, never>,
    Wire.MaintenanceSettingsChange
  >('maintenanceSettings', {
    port: 'peer',
    method: 'POST',
    path: '/peer/v1/maintenance/settings',
    body: jsonBody(settingsBody),
    permission: 'peer',
  }),
  // Streamed Raft snapshots (issue 18): the file a snapshot message references, in pieces.
  snapshotStatus: route<Wire.SnapshotReceipt, SnapshotPieceQuery>('snapshotStatus', {
    port: 'peer',
    method: 'GET',
    path: '/peer/v1/snapshot',
    query: snapshotPieceQuery,
    permission: 'peer',
  }),
  snapshotPiece: route<Wire.SnapshotReceipt, SnapshotPieceQuery>('snapshotPiece', {
    port: 'peer',
    method: 'PUT',
    path: '/peer/v1/snapshot',
    query: snapshotPieceQuery,
    body: streamBody('one piece of a snapshot file'),
    headers: [snapshotPieceChecksumHeader],
    permission: 'peer',
  }),
} as const;

export const routes = { ...clientRoutes, ...peerRoutes } as const;

export type ClientRoutes = typeof clientRoutes;
export type PeerRoutes = typeof peerRoutes;
export type Routes = typeof routes;
export type RouteName = keyof Routes;

/** Where a follower sends a client request that must run on the leader (same method). */
export const forwardPathPrefix = '/peer/v1/forward';
/** Set on a forwarded request: the node that forwarded it (a forward is never forwarded again). */
export const forwardedByHeader = 'x-cairn-forwarded-by';
/** Set on a forwarded request: the original caller's address as the follower saw it. */
export const callerHeader = 'x-cairn-caller';
/** Set on answers to writes: the leader's client address, so clients go there directly. */
export const leaderHeader = 'x-cairn-leader';

export function routesOf(port: Port): Route[] {
  return Object.values(port === 'client' ? clientRoutes : peerRoutes) as Route[];
}
