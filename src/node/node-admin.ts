// Cluster lifecycle on the node: bootstrap, join, add and remove members, status
// (DESIGN.md section 6). Lifecycle writes run on the leader; a follower's server
// forwards them there. Also the two leader duties of membership: record the cluster
// at bootstrap, promote caught-up learners.

import type {
  AddMemberAnswer,
  BootstrapRequest,
  ClusterStatus,
  JoinRequest,
  MemberAddressing,
  MembershipAnswer,
  NodeInfo,
  NodeStatus,
  RemoveMemberAnswer,
} from '../api/index.js';
import { historyRange, type MetaCommand, type MetaResult, previewCommand } from '../meta/index.js';
import type { MetaReader } from '../meta/store.js';
import { CairnError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { statfsSync } from 'node:fs';
import { diskUsage } from './disk-usage.js';
import type { NodeIdentity } from './identity.js';
import { leaderHint, notLeaderError, type LeaderSource } from './leader-gate.js';
import type { MemberCalls } from './member-calls.js';
import type { ConfChange, RaftStatus } from './meta-group.js';

/** What cluster admin needs of the meta group. */
export interface AdminGroup extends LeaderSource {
  identity(): NodeIdentity | undefined;
  adoptIdentity(identity: NodeIdentity): Promise<void>;
  status(): RaftStatus | undefined;
  appliedIndex(): number;
  clusterRecorded(): boolean;
  propose(command: MetaCommand): Promise<MetaResult>;
  /** `command` rides in the change's context: both apply in one entry (its result). */
  proposeConfChange(change: ConfChange, command?: MetaCommand): Promise<MetaResult | undefined>;
  reader(): MetaReader;
  transferLeader(to: string): void;
  /** The routed peer address of a member (a test proxy, maybe). */
  peerAddressOf(memberId: string): string | undefined;
  routeOf(memberId: string, advertised: string): string;
}

export interface AdminOptions {
  readonly selfId: string;
  readonly dataDirectory: string;
  readonly group: AdminGroup;
  readonly info: () => NodeInfo;
  readonly healthReason: () => string;
  readonly calls: Pick<MemberCalls, 'nodeInfoByClientAddress' | 'join' | 'nodeStatus'>;
}

const handOverTimeoutMilliseconds = 5_000;
const handOverPollMilliseconds = 20;

export class ClusterAdmin {
  constructor(private readonly options: AdminOptions) {}

  private get group(): AdminGroup {
    return this.options.group;
  }

  async acceptBootstrap(request: BootstrapRequest): Promise<MembershipAnswer> {
    const self = this.options.selfId;
    if (!request.members.some((member) => member.id === self))
      throw new InvalidArgumentError(`node ${self} is not among the founding members`);
    if (this.group.identity()?.clusterId === request.clusterId)
      return { clusterId: request.clusterId, alreadyMember: true };
    await this.group.adoptIdentity({
      formatVersion: 1,
      clusterId: request.clusterId,
      nodeId: self,
      founding: { members: request.members, replicationFactor: request.replicationFactor },
    });
    return { clusterId: request.clusterId, alreadyMember: false };
  }

  async acceptJoin(request: JoinRequest): Promise<MembershipAnswer> {
    if (this.group.identity()?.clusterId === request.clusterId)
      return { clusterId: request.clusterId, alreadyMember: true };
    await this.group.adoptIdentity({
      formatVersion: 1,
      clusterId: request.clusterId,
      nodeId: this.options.selfId,
      joinedWith: request.members,
    });
    return { clusterId: request.clusterId, alreadyMember: false };
  }

  private requireLeader(): void {
    if (!this.group.isLeader())
      throw notLeaderError(this.group, 'membership changes run on the leader');
  }

  async addMember(address: string): Promise<AddMemberAnswer> {
    this.requireLeader();
    const info = await this.options.calls.nodeInfoByClientAddress(address);
    const clusterId = this.group.identity()?.clusterId as string;
    if (info.clusterId !== null && info.clusterId !== clusterId) {
      throw new CairnError(
        'CAIRN_ERR_CLUSTER_MISMATCH',
        `node ${info.id} at ${address} belongs to another cluster (${info.clusterId}); give it an empty --data-dir to join this one`,
      );
    }
    const existing = this.group.members();
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
      await this.options.calls.join(this.group.routeOf(info.id, info.peerAddress), {
        clusterId,
        members: [...existing, member],
      });
    await this.proposeMembershipChange(
      { type: 'addLearner', nodeId: member.id },
      { type: 'addMember', ...member, role: 'learner' },
      'the member could not be added',
    );
    return { added: member, role: 'learner' };
  }

  async removeMember(id: string): Promise<RemoveMemberAnswer> {
    this.requireLeader();
    const status = this.group.status();
    const inConfiguration =
      status !== undefined &&
      (status.confState.voters.includes(id) || status.confState.learners.includes(id));
    const recorded = this.group.members().some((member) => member.id === id);
    if (!inConfiguration && !recorded) throw new NotFoundError(`member ${id}`);
    if (status?.confState.voters.length === 1 && status.confState.voters[0] === id) {
      throw new CairnError(
        'CAIRN_ERR_CONFLICT',
        `${id} is the last voter; removing it would leave the cluster without a quorum`,
      );
    }
    // A leader never removes itself: if it crashed between committing its removal and
    // handing over, the remaining voters could wait forever for its vote (test/sim
    // FINDINGS.md, F3). It hands leadership to the most caught-up voter first; the client
    // retries the removal there.
    if (id === this.options.selfId && status !== undefined) await this.handOverLeadership(status);
    const removal: MetaCommand | undefined = recorded ? { type: 'removeMember', id } : undefined;
    if (inConfiguration) {
      const change: ConfChange = { type: 'removeNode', nodeId: id };
      await this.proposeMembershipChange(change, removal, 'the member could not be removed');
    } else if (removal !== undefined) {
      const result = await this.group.propose(removal);
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
  private async proposeMembershipChange(
    change: ConfChange,
    command: MetaCommand | undefined,
    failure: string,
  ): Promise<void> {
    if (command !== undefined) {
      const preview = previewCommand(this.group.reader(), command);
      if (preview.type === 'rejected')
        throw new CairnError('CAIRN_ERR_CONFLICT', `${failure}: ${preview.message}`);
    }
    const result = await this.group.proposeConfChange(change, command);
    if (result?.type === 'rejected')
      throw new CairnError('CAIRN_ERR_CONFLICT', `${failure}: ${result.message}`);
  }

  private async handOverLeadership(status: RaftStatus): Promise<never> {
    const candidates = status.confState.voters.filter((voter) => voter !== status.id);
    const transferee = candidates.sort(
      (left, right) => (status.progress[right]?.match ?? 0) - (status.progress[left]?.match ?? 0),
    )[0];
    if (transferee === undefined)
      throw new CairnError('CAIRN_ERR_CONFLICT', `${status.id} is the only voter; it cannot leave`);
    this.group.transferLeader(transferee);
    const deadline = performance.now() + handOverTimeoutMilliseconds;
    const attemptsMax = handOverTimeoutMilliseconds / handOverPollMilliseconds + 1;
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      if (!this.group.isLeader() || performance.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, handOverPollMilliseconds));
    }
    const clientAddress = this.group.members().find((member) => member.id === transferee);
    throw new CairnError(
      'CAIRN_ERR_NOT_LEADER',
      `${status.id} handed leadership to ${transferee} before its own removal; retry there`,
      {
        details: {
          leaderId: transferee,
          leaderClientAddress: clientAddress?.clientAddress ?? null,
        },
      },
    );
  }

  /** Leader duty at bootstrap: record the cluster (identity, members, ring) in the meta state. */
  async recordClusterDuty(): Promise<void> {
    const identity = this.group.identity();
    const founding = identity?.founding;
    if (founding === undefined || !this.group.isLeader() || this.group.clusterRecorded()) return;
    await this.group.propose({
      type: 'bootstrapCluster',
      clusterId: identity?.clusterId as string,
      replicationFactor: founding.replicationFactor,
      vnodesPerWeightUnit: limits.placementVirtualNodesPerWeightUnitDefault,
      members: founding.members.map((member) => ({ ...member, role: 'voter' as const })),
    });
  }

  /** Leader duty: promote a caught-up learner, while there are fewer than raftVotersMax voters. */
  async promoteLearnersDuty(): Promise<void> {
    const status = this.group.status();
    if (
      status === undefined ||
      status.role !== 'leader' ||
      status.confState.voters.length >= limits.raftVotersMax
    )
      return;
    const candidate = status.confState.learners.find(
      (id) => (status.progress[id]?.match ?? 0) >= status.commit,
    );
    if (candidate === undefined) return;
    await this.proposeMembershipChange(
      { type: 'promoteLearner', nodeId: candidate },
      { type: 'updateMember', id: candidate, role: 'voter' },
      `${candidate} could not be promoted`,
    );
  }

  nodeStatus(): NodeStatus {
    const status = this.group.status();
    const self = this.options.selfId;
    const membership =
      status === undefined
        ? 'none'
        : status.confState.voters.includes(self)
          ? 'voter'
          : status.confState.learners.includes(self)
            ? 'learner'
            : 'none';
    const usage = diskUsage(this.options.dataDirectory);
    return {
      ...this.options.info(),
      membership,
      role: status?.role ?? 'none',
      term: status?.term ?? 0,
      leaderId: status?.leaderId ?? null,
      commitIndex: status?.commit ?? 0,
      appliedIndex: this.group.appliedIndex(),
      lastIndex: status?.lastIndex ?? 0,
      diskUsedBytes: usage.bytes,
      diskFreeBytes: diskFreeBytesOf(this.options.dataDirectory),
      chunks: usage.chunks,
      history: historyRange(this.group.reader()),
      health: this.options.healthReason(),
    };
  }

  async clusterStatus(): Promise<ClusterStatus> {
    const clusterId = this.group.identity()?.clusterId ?? null;
    const statuses = await Promise.all(
      this.group.members().map(async (member): Promise<NodeStatus> => {
        if (member.id === this.options.selfId) return this.nodeStatus();
        try {
          const address = this.group.peerAddressOf(member.id) ?? member.peerAddress;
          return await this.options.calls.nodeStatus(address);
        } catch (error) {
          return unreachableStatus(member, clusterId, error);
        }
      }),
    );
    return { clusterId, leaderId: leaderHint(this.group).leaderId, members: statuses };
  }
}

function unreachableStatus(
  member: MemberAddressing,
  clusterId: string | null,
  error: unknown,
): NodeStatus {
  return {
    ...member,
    clusterId,
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

function diskFreeBytesOf(directory: string): number {
  const stats = statfsSync(directory);
  return stats.bavail * stats.bsize;
}
