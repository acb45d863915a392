// JSON calls from one node to another (admin and maintenance), built from the route
// table: to another member's peer port, or — for a node not yet a member, known only by
// the client address an operator gave — its client port. Bounded in time; errors are
// CAIRN_ERR_UNAVAILABLE naming the node and the call.

import { request } from 'undici';
import {
  routePath,
  routes,
  type InventoryPage,
  type JoinRequest,
  type MaintenanceSettings,
  type MembershipAnswer,
  type NodeInfo,
  type NodeStatus,
  type RemoveChunksAnswer,
  type RemoveChunksRequest,
  type Route,
} from '../api/index.js';
import { baseUrl, nodeDispatcher } from '../net/index.js';
import { CairnError } from '../util/errors.js';

const shortCallMilliseconds = 3_000;
const settingsCallMilliseconds = 5_000;
const maintenanceCallMilliseconds = 30_000;

export async function callNode(
  address: string,
  route: Route,
  path: string,
  body: unknown,
  timeoutMilliseconds: number,
): Promise<unknown> {
  let response: Awaited<ReturnType<typeof request>>;
  const dispatcher = nodeDispatcher();
  try {
    response = await request(`${baseUrl(address)}${path}`, {
      ...(dispatcher === undefined ? {} : { dispatcher }),
      method: route.method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMilliseconds,
      bodyTimeout: timeoutMilliseconds,
    });
  } catch (error) {
    throw new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `node ${address} does not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = (await response.body.json()) as { error?: { code: string; message: string } };
  if (response.statusCode !== 200) {
    throw new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `node ${address} refused ${route.method} ${path}: ${parsed.error?.message ?? response.statusCode}`,
      { details: { code: parsed.error?.code ?? null } },
    );
  }
  return parsed;
}

/** Typed calls to other nodes; addresses are peer addresses unless named otherwise. */
export const memberCalls = {
  /** A node's info by its client address (all an operator gives for a new node). */
  nodeInfoByClientAddress: (clientAddress: string): Promise<NodeInfo> =>
    callNode(
      clientAddress,
      routes.nodeInfo,
      routePath(routes.nodeInfo),
      undefined,
      shortCallMilliseconds,
    ) as Promise<NodeInfo>,
  nodeStatus: (peerAddress: string): Promise<NodeStatus> =>
    callNode(
      peerAddress,
      routes.peerNodeStatus,
      routePath(routes.peerNodeStatus),
      undefined,
      shortCallMilliseconds,
    ) as Promise<NodeStatus>,
  join: (peerAddress: string, body: JoinRequest): Promise<MembershipAnswer> =>
    callNode(
      peerAddress,
      routes.peerJoin,
      routePath(routes.peerJoin),
      body,
      shortCallMilliseconds,
    ) as Promise<MembershipAnswer>,
  inventory: (peerAddress: string, after: string | null, limit?: number): Promise<InventoryPage> =>
    callNode(
      peerAddress,
      routes.inventory,
      routePath(routes.inventory, {}, { after: after ?? undefined, limit }),
      undefined,
      maintenanceCallMilliseconds,
    ) as Promise<InventoryPage>,
  removeChunks: (peerAddress: string, body: RemoveChunksRequest): Promise<RemoveChunksAnswer> =>
    callNode(
      peerAddress,
      routes.removeChunks,
      routePath(routes.removeChunks),
      body,
      maintenanceCallMilliseconds,
    ) as Promise<RemoveChunksAnswer>,
  pushSettings: (peerAddress: string, settings: MaintenanceSettings): Promise<unknown> =>
    callNode(
      peerAddress,
      routes.maintenanceSettings,
      routePath(routes.maintenanceSettings),
      settings,
      settingsCallMilliseconds,
    ),
};

export type MemberCalls = typeof memberCalls;
