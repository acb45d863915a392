// Cluster lifecycle as the CLI drives it: bootstrap forms a cluster from running
// nodes, join adds one, leave/remove takes one out. Every wait is bounded.

import { randomUUID } from 'node:crypto';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { routePath, routes, type ClusterStatus, type NodeInfo } from '../api/index.js';
import { CairnClient } from './client.js';
import { parseEndpoints, type Endpoint } from './endpoints.js';

export type { ClusterStatus, MemberStatus, NodeInfo } from '../api/index.js';

const waitStepMilliseconds = 200;

function endpointText(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/** A client bound to one node (no balancing, few retries): for per-node calls. */
function singleNodeClient(endpoint: Endpoint, token?: string): CairnClient {
  return new CairnClient({
    ...(token === undefined ? {} : { token }),
    endpoints: [endpoint],
    retryAttemptsMax: 2,
    requestTimeoutMilliseconds: 5_000,
  });
}

async function withClient<T>(
  client: CairnClient,
  use: (client: CairnClient) => Promise<T>,
): Promise<T> {
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

export async function nodeInfo(endpoint: Endpoint, token?: string): Promise<NodeInfo> {
  return withClient(
    singleNodeClient(endpoint, token),
    async (client) => (await client.requestJson('GET', routePath(routes.nodeInfo))) as NodeInfo,
  );
}

export async function clusterStatus(client: CairnClient): Promise<ClusterStatus> {
  return (await client.requestJson('GET', routePath(routes.clusterStatus))) as ClusterStatus;
}

export interface BootstrapResult {
  readonly clusterId: string;
  readonly replicationFactor: number;
  readonly leaderId: string;
  readonly members: readonly NodeInfo[];
}

export async function bootstrapCluster(
  endpointsText: string | undefined,
  replicationFactor: number | undefined,
  timeoutMilliseconds: number,
): Promise<BootstrapResult> {
  const endpoints = parseEndpoints(endpointsText);
  const infos = await Promise.all(endpoints.map((endpoint) => nodeInfo(endpoint)));
  const taken = infos.filter((info) => info.clusterId !== null);
  if (taken.length > 0) {
    throw new CairnError(
      'CAIRN_ERR_ALREADY_IN_CLUSTER',
      `refusing to bootstrap: ${taken.map((info) => `${info.id} (${info.clientAddress}) belongs to cluster ${info.clusterId ?? ''}`).join(', ')}; use cairn join to add an empty node to a cluster`,
    );
  }
  const names = new Set(infos.map((info) => info.id));
  if (names.size !== infos.length)
    throw new InvalidArgumentError(
      `node names must be unique; got ${infos.map((info) => info.id).join(', ')}`,
    );
  const factor = replicationFactor ?? Math.min(limits.replicationFactorDefault, infos.length);
  if (factor < 1 || factor > infos.length)
    throw new InvalidArgumentError(
      `--replication-factor must be between 1 and ${infos.length} (the number of nodes), got ${factor}`,
    );
  const clusterId = randomUUID();
  const members = infos.map((info) => ({
    id: info.id,
    clientAddress: info.clientAddress,
    peerAddress: info.peerAddress,
    zone: info.zone,
    weight: info.weight,
  }));
  for (const endpoint of endpoints) {
    await withClient(singleNodeClient(endpoint), (client) =>
      client.requestJson(
        'POST',
        routePath(routes.bootstrap),
        { clusterId, members, replicationFactor: factor },
        { idempotent: true },
      ),
    );
  }
  const status = await waitForCluster(
    endpointsText ?? '',
    timeoutMilliseconds,
    (candidate) =>
      candidate.leaderId !== null &&
      candidate.members.every(
        (member) => member.appliedIndex >= 2 && member.membership === 'voter',
      ),
  );
  return {
    clusterId,
    replicationFactor: factor,
    leaderId: status.leaderId as string,
    members: infos,
  };
}

/** Polls cluster status until `done` holds, or fails after the timeout with the last status seen. */
export async function waitForCluster(
  endpointsText: string,
  timeoutMilliseconds: number,
  done: (status: ClusterStatus) => boolean,
  token?: string,
): Promise<ClusterStatus> {
  const client = new CairnClient({
    ...(token === undefined ? {} : { token }),
    endpoints: endpointsText,
    retryAttemptsMax: 2,
    requestTimeoutMilliseconds: 3_000,
  });
  const deadline = performance.now() + timeoutMilliseconds;
  let last: ClusterStatus | undefined;
  let lastError = '';
  try {
    for (let attempt = 0; attempt < 100_000; attempt++) {
      try {
        last = await clusterStatus(client);
        if (done(last)) return last;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, waitStepMilliseconds));
    }
  } finally {
    await client.close();
  }
  const seen =
    last === undefined
      ? `no status (${lastError})`
      : `leader ${last.leaderId ?? 'none'}, members ${last.members.map((member) => `${member.id}:${member.membership}/${member.role}`).join(' ')}`;
  throw new CairnError(
    'CAIRN_ERR_TIMEOUT',
    `the cluster did not settle within ${timeoutMilliseconds} ms; last seen: ${seen}`,
  );
}

export async function joinNode(
  client: CairnClient,
  nodeAddressText: string,
  timeoutMilliseconds: number,
): Promise<{ id: string; membership: string }> {
  const [nodeEndpoint] = parseEndpoints(nodeAddressText);
  if (nodeEndpoint === undefined)
    throw new InvalidArgumentError('--node needs the address (host:port) of the node to add');
  const info = await nodeInfo(nodeEndpoint, client.token);
  await client.requestJson('POST', routePath(routes.addMember), {
    address: endpointText(nodeEndpoint),
  });
  const clusterEndpoints = client.endpoints.map((endpoint) => endpoint.origin).join(',');
  const status = await waitForCluster(
    clusterEndpoints,
    timeoutMilliseconds,
    (candidate) =>
      candidate.members.some(
        (member) =>
          member.id === info.id &&
          member.appliedIndex > 0 &&
          member.appliedIndex >=
            (candidate.members.find((leader) => leader.id === candidate.leaderId)?.commitIndex ??
              Infinity) -
              1,
      ),
    client.token,
  );
  const joined = status.members.find((member) => member.id === info.id);
  return { id: info.id, membership: joined?.membership ?? 'learner' };
}

export async function removeMember(client: CairnClient, id: string): Promise<{ removed: string }> {
  return (await client.requestJson('DELETE', routePath(routes.removeMember, { id }))) as {
    removed: string;
  };
}
