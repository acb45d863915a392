// Cluster lifecycle on the node: bootstrap, join, remove, status (DESIGN.md section 6,
// endpoints under /v1/node/... and /v1/cluster/...). Lifecycle writes run on the
// leader; the client server forwards them there.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { callMember } from './member-calls.js';
import { limits } from '../util/limits.js';
import { CairnError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import { encodeCommand, type MetaCommand, type MetaResult, previewCommand } from '../meta/index.js';
import type { ConfChange } from '../raft/index.js';
import type { MemberAddressing, NodeInfo } from './api.js';
import type { CairnNode } from './node.js';
import { callRaft } from './raft-errors.js';

export interface NodeStatus extends NodeInfo {
  readonly membership: 'voter' | 'learner' | 'none';
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly diskUsedBytes: number;
  readonly chunks: number;
  readonly health: string;
}

const peerCallTimeoutMilliseconds = 3_000;

export async function handleAdmin(
  node: CairnNode,
  method: string,
  path: string,
  body: unknown,
): Promise<unknown> {
  const url = new URL(path, 'http://cairn');
  const route = `${method} ${url.pathname}`;
  if (route === 'GET /v1/node/info') return node.info();
  if (route === 'GET /v1/node/status') return nodeStatus(node);
  if (route === 'POST /v1/node/bootstrap') return acceptBootstrap(node, body);
  if (route === 'POST /v1/node/join') return acceptJoin(node, body);
  if (route === 'GET /v1/cluster/status') return clusterStatus(node);
  if (route === 'POST /v1/cluster/members') return addMember(node, body);
  if (method === 'DELETE' && url.pathname.startsWith('/v1/cluster/members/')) {
    return removeMember(
      node,
      decodeURIComponent(url.pathname.slice('/v1/cluster/members/'.length)),
    );
  }
  const maintained = node.maintenance.handle(method, url, body); // rebalance, repair, scrub, gc: src/node/node-maintenance.ts
  if (maintained !== undefined) return maintained;
  throw new CairnError('CAIRN_ERR_NOT_FOUND', `no endpoint ${route}`);
}

function asMembers(value: unknown): MemberAddressing[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > limits.raftMembersMax)
    throw new InvalidArgumentError('members must be a non-empty list');
  return value.map((item: unknown) => {
    const member = item as Partial<MemberAddressing>;
    if (
      typeof member.id !== 'string' ||
      typeof member.clientAddress !== 'string' ||
      typeof member.peerAddress !== 'string' ||
      typeof member.zone !== 'string' ||
      typeof member.weight !== 'number'
    ) {
      throw new InvalidArgumentError(
        'each member needs id, clientAddress, peerAddress, zone and weight',
      );
    }
    return {
      id: member.id,
      clientAddress: member.clientAddress,
      peerAddress: member.peerAddress,
      zone: member.zone,
      weight: member.weight,
    };
  });
}

async function acceptBootstrap(node: CairnNode, body: unknown): Promise<unknown> {
  const request = body as { clusterId?: unknown; members?: unknown; replicationFactor?: unknown };
  if (typeof request.clusterId !== 'string' || request.clusterId === '')
    throw new InvalidArgumentError('clusterId is required');
  const members = asMembers(request.members);
  const replicationFactor = Number(request.replicationFactor);
  if (
    !Number.isSafeInteger(replicationFactor) ||
    replicationFactor < 1 ||
    replicationFactor > Math.min(members.length, limits.replicationFactorMax)
  ) {
    throw new InvalidArgumentError(
      `the replication factor must be between 1 and ${Math.min(members.length, limits.replicationFactorMax)} (the number of nodes), got ${String(request.replicationFactor)}`,
    );
  }
  if (!members.some((member) => member.id === node.config.name))
    throw new InvalidArgumentError(`node ${node.config.name} is not among the founding members`);
  if (node.identity?.clusterId === request.clusterId)
    return { clusterId: request.clusterId, alreadyMember: true };
  await node.adoptIdentity({
    formatVersion: 1,
    clusterId: request.clusterId,
    nodeId: node.config.name,
    founding: { members, replicationFactor },
  });
  return { clusterId: request.clusterId, alreadyMember: false };
}

async function acceptJoin(node: CairnNode, body: unknown): Promise<unknown> {
  const request = body as { clusterId?: unknown; members?: unknown };
  if (typeof request.clusterId !== 'string' || request.clusterId === '')
    throw new InvalidArgumentError('clusterId is required');
  if (node.identity?.clusterId === request.clusterId)
    return { clusterId: request.clusterId, alreadyMember: true };
  await node.adoptIdentity({
    formatVersion: 1,
    clusterId: request.clusterId,
    nodeId: node.config.name,
    joinedWith: asMembers(request.members),
  });
  return { clusterId: request.clusterId, alreadyMember: false };
}

function requireLeader(node: CairnNode): void {
  if (!node.isLeader()) {
    const hint = node.leader();
    throw new CairnError('CAIRN_ERR_NOT_LEADER', 'membership changes run on the leader', {
      details: { leaderId: hint.leaderId, leaderClientAddress: hint.leaderClientAddress },
    });
  }
}

function callNode(
  address: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  return callMember(address, method, path, body, peerCallTimeoutMilliseconds);
}

async function addMember(node: CairnNode, body: unknown): Promise<unknown> {
  requireLeader(node);
  const address = (body as { address?: unknown }).address;
  if (typeof address !== 'string' || address === '')
    throw new InvalidArgumentError(
      "address (the new node's client address, host:port) is required",
    );
  const info = (await callNode(address, 'GET', '/v1/node/info')) as NodeInfo;
  const clusterId = node.identity?.clusterId as string;
  if (info.clusterId !== null && info.clusterId !== clusterId) {
    throw new CairnError(
      'CAIRN_ERR_CLUSTER_MISMATCH',
      `node ${info.id} at ${address} belongs to another cluster (${info.clusterId}); give it an empty --data-dir to join this one`,
    );
  }
  const existing = node.memberAddressing();
  if (existing.some((member) => member.id === info.id))
    throw new CairnError(
      'CAIRN_ERR_CONFLICT',
      `a member named ${info.id} already exists; give the new node another --name`,
    );
  const member: MemberAddressing = {
    id: info.id,
    clientAddress: info.clientAddress,
    peerAddress: info.peerAddress,
    zone: info.zone,
    weight: info.weight,
  };
  if (info.clusterId === null)
    await callNode(address, 'POST', '/v1/node/join', { clusterId, members: [...existing, member] });
  await proposeMembershipChange(
    node,
    { type: 'addLearner', nodeId: member.id },
    { type: 'addMember', ...member, role: 'learner' },
    'the member could not be added',
  );
  return { added: member, role: 'learner' };
}

async function removeMember(node: CairnNode, id: string): Promise<unknown> {
  requireLeader(node);
  const status = node.raft?.status();
  const inConfiguration =
    status !== undefined &&
    (status.confState.voters.includes(id) || status.confState.learners.includes(id));
  const recorded = node.memberAddressing().some((member) => member.id === id);
  if (!inConfiguration && !recorded) throw new NotFoundError(`member ${id}`);
  if (
    status !== undefined &&
    status.confState.voters.length === 1 &&
    status.confState.voters[0] === id
  ) {
    throw new CairnError(
      'CAIRN_ERR_CONFLICT',
      `${id} is the last voter; removing it would leave the cluster without a quorum`,
    );
  }
  // A leader never removes itself: if it crashed between committing its removal and
  // handing over, the remaining voters could wait forever for its vote (test/sim
  // FINDINGS.md, F3). It hands leadership to the most caught-up voter first; the client
  // retries the removal there.
  if (id === node.config.name && status !== undefined) await handOverLeadership(node, status);
  const removal: MetaCommand | undefined = recorded ? { type: 'removeMember', id } : undefined;
  if (inConfiguration) {
    const change: ConfChange = { type: 'removeNode', nodeId: id };
    await proposeMembershipChange(node, change, removal, 'the member could not be removed');
  } else if (removal !== undefined) {
    const result = await node.proposeCommand(removal);
    if (result.type === 'rejected') throw new CairnError('CAIRN_ERR_CONFLICT', result.message);
  }
  return { removed: id };
}

/**
 * One proposal for a Raft membership change and the meta command that records it: the
 * command rides in the change's context and both apply in the same entry
 * (src/node/meta-state-machine.ts). The command is checked against the applied state
 * first, so a change the meta state would refuse is not proposed.
 */
async function proposeMembershipChange(
  node: CairnNode,
  change: ConfChange,
  command: MetaCommand | undefined,
  failure: string,
): Promise<void> {
  if (command !== undefined) {
    const preview = previewCommand(node.stateMachine.reader(), command);
    if (preview.type === 'rejected')
      throw new CairnError('CAIRN_ERR_CONFLICT', `${failure}: ${preview.message}`);
  }
  const context = command === undefined ? {} : { context: encodeCommand(command) };
  const result = (await node.driver?.proposeConfChange({ ...change, ...context })) as
    | MetaResult
    | undefined;
  if (result?.type === 'rejected')
    throw new CairnError('CAIRN_ERR_CONFLICT', `${failure}: ${result.message}`);
}

// Leader duties run on a timer and on every leadership change; these keep one of each
// in flight per node.
const dutiesInFlight = new WeakMap<CairnNode, Set<string>>();

function startDuty(node: CairnNode, duty: string): boolean {
  const running = dutiesInFlight.get(node) ?? new Set<string>();
  dutiesInFlight.set(node, running);
  if (running.has(duty)) return false;
  running.add(duty);
  return true;
}

function endDuty(node: CairnNode, duty: string): void {
  dutiesInFlight.get(node)?.delete(duty);
}

async function handOverLeadership(
  node: CairnNode,
  status: NonNullable<CairnNode['raft']>['status'] extends () => infer S ? S : never,
): Promise<never> {
  const candidates = status.confState.voters.filter((voter) => voter !== status.id);
  const transferee = candidates.sort(
    (left, right) => (status.progress[right]?.match ?? 0) - (status.progress[left]?.match ?? 0),
  )[0];
  if (transferee === undefined)
    throw new CairnError('CAIRN_ERR_CONFLICT', `${status.id} is the only voter; it cannot leave`);
  callRaft(() => node.raft?.transferLeader(transferee));
  node.driver?.schedule();
  const deadline = performance.now() + handOverTimeoutMilliseconds;
  for (
    let attempt = 0;
    node.isLeader() && performance.now() < deadline && attempt < 10_000;
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new CairnError(
    'CAIRN_ERR_NOT_LEADER',
    `${status.id} handed leadership to ${transferee} before its own removal; retry there`,
    {
      details: {
        leaderId: transferee,
        leaderClientAddress:
          node.memberAddressing().find((member) => member.id === transferee)?.clientAddress ?? null,
      },
    },
  );
}

const handOverTimeoutMilliseconds = 5_000;

/** Leader duty at bootstrap: record the cluster (identity, members, ring) in the meta state. */
export async function ensureClusterRecorded(node: CairnNode): Promise<void> {
  const founding = node.identity?.founding;
  if (
    founding === undefined ||
    !node.isLeader() ||
    node.clusterRecorded() ||
    !startDuty(node, 'record')
  )
    return;
  try {
    await node.proposeCommand({
      type: 'bootstrapCluster',
      clusterId: node.identity?.clusterId as string,
      replicationFactor: founding.replicationFactor,
      vnodesPerWeightUnit: limits.placementVirtualNodesPerWeightUnitDefault,
      members: founding.members.map((member) => ({ ...member, role: 'voter' as const })),
    });
  } finally {
    endDuty(node, 'record');
  }
}

/** Leader duty: promote a learner that has caught up, while there are fewer than raftVotersMax voters. */
export async function promoteCaughtUpLearners(node: CairnNode): Promise<void> {
  const status = node.raft?.status();
  if (
    status === undefined ||
    status.role !== 'leader' ||
    status.confState.voters.length >= limits.raftVotersMax
  )
    return;
  const candidate = status.confState.learners.find(
    (id) => (status.progress[id]?.match ?? 0) >= status.commit,
  );
  if (candidate === undefined || !startDuty(node, 'promote')) return;
  try {
    await proposeMembershipChange(
      node,
      { type: 'promoteLearner', nodeId: candidate },
      { type: 'updateMember', id: candidate, role: 'voter' },
      `${candidate} could not be promoted`,
    );
  } finally {
    endDuty(node, 'promote');
  }
}

export function nodeStatus(node: CairnNode): NodeStatus {
  const status = node.raft?.status();
  const self = node.config.name;
  const membership =
    status === undefined
      ? 'none'
      : status.confState.voters.includes(self)
        ? 'voter'
        : status.confState.learners.includes(self)
          ? 'learner'
          : 'none';
  const usage = diskUsage(node.config.dataDirectory);
  return {
    ...node.info(),
    membership,
    role: status?.role ?? 'none',
    term: status?.term ?? 0,
    leaderId: status?.leaderId ?? null,
    commitIndex: status?.commit ?? 0,
    appliedIndex: node.driver?.appliedIndex ?? 0,
    lastIndex: status?.lastIndex ?? 0,
    diskUsedBytes: usage.bytes,
    chunks: usage.chunks,
    health: node.health().reason,
  };
}

async function clusterStatus(node: CairnNode): Promise<unknown> {
  const members = node.memberAddressing();
  const statuses = await Promise.all(
    members.map(async (member) => {
      if (member.id === node.config.name) return nodeStatus(node);
      try {
        return (await callNode(member.clientAddress, 'GET', '/v1/node/status')) as NodeStatus;
      } catch (error) {
        return {
          ...member,
          clusterId: node.identity?.clusterId ?? null,
          version: '',
          membership: 'unknown',
          role: 'unreachable',
          term: 0,
          leaderId: null,
          commitIndex: 0,
          appliedIndex: 0,
          lastIndex: 0,
          diskUsedBytes: 0,
          chunks: 0,
          health: error instanceof Error ? error.message : 'unreachable',
        };
      }
    }),
  );
  return {
    clusterId: node.identity?.clusterId ?? null,
    leaderId: node.leader().leaderId,
    members: statuses,
  };
}

const usageCache = new Map<string, { at: number; bytes: number; chunks: number }>();
const usageCacheMilliseconds = 5_000;
const usageFilesMax = 2_000_000;

/** Bytes under the data directory and chunk files, cached for a few seconds (a walk is not free). */
function diskUsage(directory: string): { bytes: number; chunks: number } {
  const cached = usageCache.get(directory);
  if (cached !== undefined && performance.now() - cached.at < usageCacheMilliseconds) return cached;
  let bytes = 0;
  let chunks = 0;
  const pending = [directory];
  for (let visited = 0; pending.length > 0 && visited < usageFilesMax; visited++) {
    const current = pending.pop() as string;
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(current, name);
      try {
        const stat = statSync(path);
        if (stat.isDirectory()) pending.push(path);
        else {
          bytes += stat.size;
          if (/^[0-9a-f]{64}$/.test(name) && path.includes(`${join(directory, 'chunks')}`))
            chunks++;
        }
      } catch {
        // removed while walking
      }
    }
  }
  const result = { at: performance.now(), bytes, chunks };
  usageCache.set(directory, result);
  return result;
}
