// The JSON shapes both ports exchange, defined once: the server answers with them and
// src/client reads them. Pure types (this folder imports only src/util).

export type ReadConsistency = 'linearizable' | 'serializable';

export interface ObjectInfo {
  readonly key: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
}

/** What GET and HEAD of an object answer: its headers and (GET) its bytes, streamed. */
export interface ObjectAnswer {
  readonly info: ObjectInfo;
  readonly body?: AsyncIterable<Uint8Array>;
}

export interface DeletedObject {
  readonly key: string;
  readonly version: number;
}

export interface ListObjectsPage {
  readonly items: readonly ObjectInfo[];
  readonly nextAfter: string | null;
}

export interface MemberAddressing {
  readonly id: string;
  readonly clientAddress: string;
  readonly peerAddress: string;
  readonly zone: string;
  readonly weight: number;
}

/** GET /v1/node/info: who a node is and which cluster it belongs to. */
export interface NodeInfo extends MemberAddressing {
  readonly clusterId: string | null;
  readonly version: string;
}

/** GET /v1/node/status (and one member of GET /v1/cluster/status). */
export interface NodeStatus extends NodeInfo {
  /** voter, learner, none; "unknown" when the member did not answer. */
  readonly membership: 'voter' | 'learner' | 'none' | 'unknown';
  /** The Raft role; "unreachable" when the member did not answer. */
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

/** The name the CLI has used for one member's status. */
export type MemberStatus = NodeStatus;

export interface ClusterStatus {
  readonly clusterId: string | null;
  readonly leaderId: string | null;
  readonly members: readonly NodeStatus[];
}

export interface HealthAnswer {
  readonly status: 'ok';
  readonly node: string;
}

export interface ReadyAnswer {
  readonly ready: boolean;
  readonly reason: string;
}

export interface BootstrapRequest {
  readonly clusterId: string;
  readonly members: readonly MemberAddressing[];
  readonly replicationFactor: number;
}

export interface JoinRequest {
  readonly clusterId: string;
  readonly members: readonly MemberAddressing[];
}

export interface MembershipAnswer {
  readonly clusterId: string;
  readonly alreadyMember: boolean;
}

export interface AddMemberRequest {
  /** The new node's client address, host:port. */
  readonly address: string;
}

export interface AddMemberAnswer {
  readonly added: MemberAddressing;
  readonly role: 'learner';
}

export interface RemoveMemberAnswer {
  readonly removed: string;
}

export interface CopyFailureView {
  readonly sha256: string;
  readonly targetId: string;
  readonly reason: string;
}

export interface RefusedTargetView {
  readonly memberId: string;
  readonly reason: string;
  readonly chunks: number;
  readonly bytes: number;
}

/** The leader's rebalance state, as GET /v1/cluster/rebalance answers it. */
export interface RebalanceStatusView {
  readonly leaderId: string;
  readonly currentEpoch: number;
  readonly settledEpoch: number;
  /** idle: nothing to move; running: a pass is copying; paused; waiting: work left (it retries). */
  readonly state: 'idle' | 'running' | 'paused' | 'waiting';
  readonly paused: boolean;
  readonly rateBytesPerSecond: number;
  readonly parallel: number;
  readonly passes: number;
  readonly chunksPlanned: number;
  readonly bytesPlanned: number;
  readonly chunksCopied: number;
  readonly bytesCopied: number;
  readonly bytesPerSecond: number;
  readonly failedCount: number;
  readonly failures: readonly CopyFailureView[];
  readonly refused: readonly RefusedTargetView[];
  readonly lostChunkCount: number;
  readonly surplusRemoved: number;
  readonly lastError: string | null;
}

/** POST /v1/cluster/rebalance (and pause, resume): the settings to change. */
export interface RebalanceRequest {
  readonly rateBytesPerSecond?: number;
  readonly parallel?: number;
  readonly start?: boolean;
  readonly resume?: boolean;
}

export interface RepairReport {
  readonly chunksExamined: number;
  readonly copiesMissing: number;
  readonly copiesRestored: number;
  readonly bytesRestored: number;
  readonly failedCount: number;
  readonly failures: readonly CopyFailureView[];
  readonly refused: readonly RefusedTargetView[];
  readonly lostChunkCount: number;
  readonly lostChunks: readonly string[];
  readonly surplusRemoved: number;
  readonly settledEpoch: number;
  readonly currentEpoch: number;
}

export interface NodeScrubReport {
  readonly node: string;
  readonly chunksChecked: number;
  readonly bytesChecked: number;
  readonly corrupt: readonly string[];
  readonly vanished: number;
  readonly interrupted: boolean;
  /** Copies this node should hold (placement) but lacked after the check (corrupt included). */
  readonly missing: number;
  readonly refetched: number;
  readonly refetchFailures: readonly string[];
}

export interface GarbageReport {
  readonly graceMilliseconds: number;
  readonly candidates: number;
  readonly removed: number;
  readonly keptYoung: number;
  readonly unreachable: readonly string[];
}

export interface DrainAnswer {
  readonly id: string;
  readonly epoch: number;
}

/** Peer port: one page of a member's chunk inventory. */
export interface InventoryPage {
  readonly memberId: string;
  readonly fillRatio: number;
  readonly chunks: readonly string[];
  readonly nextAfter: string | null;
}

/** Peer port: the leader asks a member to remove copies (each checked there again). */
export interface RemoveChunksRequest {
  readonly reason: 'surplus' | 'garbage';
  readonly sha256s: readonly string[];
  readonly graceMilliseconds?: number;
}

export interface RemoveChunksAnswer {
  readonly removed: number;
  readonly kept: number;
}

/** Rate, parallelism and pause of rebalance copies, held by every member. */
export interface MaintenanceSettings {
  readonly rateBytesPerSecond: number;
  readonly parallel: number;
  readonly paused: boolean;
}

export type MaintenanceSettingsChange = Partial<MaintenanceSettings>;

/** The JSON error body of every non-2xx answer (codes without the CAIRN_ERR_ prefix). */
export interface ErrorAnswer {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details: Readonly<Record<string, string | number | boolean | null>>;
  };
}

// ------------------------------------------------------------ leases and locks (issue 15)

export interface LeaseGrantRequest {
  readonly ttlMilliseconds: number;
}

export interface LeaseView {
  /** The revision of the grant: unique, increasing, never reused. */
  readonly id: number;
  readonly ttlMilliseconds: number;
  /** Time left by the leader's clock (at most the TTL; never counted from a new leader's start). */
  readonly remainingMilliseconds: number;
}

export interface LeaseList {
  readonly items: readonly LeaseView[];
}

export interface LeaseRevoked {
  readonly id: number;
  readonly revoked: true;
}

export type LockModeName = 'exclusive' | 'shared' | 'semaphore';

export interface LockAcquireRequest {
  readonly leaseId: number;
  /** Names this acquire: a retry with the same id is the same request. */
  readonly requestId: string;
  readonly mode: LockModeName;
  /** N for a semaphore. */
  readonly semaphoreLimit?: number;
  /** How long this request may wait for the grant (0: answer at once). */
  readonly waitMilliseconds?: number;
}

export type LockAcquireAnswer =
  | {
      readonly name: string;
      readonly granted: true;
      /** The fencing token: the revision that granted the lock. */
      readonly token: number;
      readonly leaseId: number;
      /** What a fenced write sends as x-cairn-fence. */
      readonly fence: string;
    }
  | {
      readonly name: string;
      readonly granted: false;
      /** 1 = next in line. */
      readonly position: number;
      readonly leaseId: number;
    };

export interface LockEntryView {
  readonly requestId: string;
  readonly leaseId: number;
  readonly mode: LockModeName;
  readonly token?: number;
}

export interface LockHolders {
  readonly name: string;
  readonly semaphoreLimit: number;
  readonly holders: readonly LockEntryView[];
  readonly waiters: readonly LockEntryView[];
}

export interface LockReleased {
  readonly name: string;
  readonly released: true;
}
