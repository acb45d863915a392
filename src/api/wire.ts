// The JSON shapes both ports exchange, defined once: the server answers with them and
// src/client reads them. Pure types (this folder imports only src/util).

export type ReadConsistency = 'linearizable' | 'serializable';

export interface ObjectInfo {
  readonly key: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
  /**
   * A chunked put's copies: the fewest durable copies any chunk had when the put was
   * acknowledged, and R. Fewer than R means repair will add the rest (issue 13).
   */
  readonly copies?: { readonly made: number; readonly wanted: number };
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
  /**
   * The revision the page shows: pass it as atRevision for the next pages (pinned), and
   * watch from revision + 1 to miss or repeat no change.
   */
  readonly revision: number;
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
  /** Free bytes of its data directory's file system (issue 13; absent from older nodes). */
  readonly diskFreeBytes?: number;
  readonly chunks: number;
  readonly health: string;
  /** The retained history (watch, listing at a revision); absent when unreachable. */
  readonly history?: HistoryRangeView;
}

export interface HistoryRangeView {
  /** Events of revisions oldestRevision..revision are retained. */
  readonly oldestRevision: number;
  readonly revision: number;
  readonly retainedEvents: number;
  readonly retainedBytes: number;
}

/** The name the CLI has used for one member's status. */
export type MemberStatus = NodeStatus;

export interface ClusterStatus {
  readonly clusterId: string | null;
  readonly leaderId: string | null;
  readonly members: readonly NodeStatus[];
  /** The cluster's settings and down members, once the cluster is recorded (issue 13). */
  readonly settings?: ClusterSettingsView;
  /** The leader's last or running maintenance pass (present when the leader answered). */
  readonly repair?: RepairProgressView;
}

export interface RepairProgressView {
  /** Chunks short of a copy when the last pass was planned (null: no pass yet). */
  readonly chunksUnderReplicated: number | null;
  readonly running: boolean;
  readonly chunksPlanned: number;
  readonly chunksCopied: number;
  readonly bytesCopied: number;
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

/** POST /v1/cluster/gc: what the leader's collection committed (nodes delete afterwards). */
export interface GarbageReport {
  /** Distinct chunk files some member holds that nothing references. */
  readonly candidates: number;
  /** Of those, taken by a collectChunks entry (the rest were referenced again meanwhile). */
  readonly collected: number;
  /** collectChunks entries committed. */
  readonly entries: number;
  /** The Raft index of the last collection: a node has deleted its copies once past it. */
  readonly collectionIndex: number;
  readonly unreachable: readonly string[];
  /** True when a member had more chunks in flight than it could list: nothing collected. */
  readonly skipped: boolean;
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
  /** Chunks of this member's puts in flight (issue 13: garbage collection leaves them). */
  readonly inFlightChunks?: readonly string[];
  /** False when the member had more in flight than garbageInFlightChunksReportedMax. */
  readonly inFlightComplete?: boolean;
}

/** Peer port: the leader asks a member to remove copies (each checked there again). */
export interface RemoveChunksRequest {
  /** Garbage goes through the meta group instead (collectChunks, issue 13). */
  readonly reason: 'surplus';
  readonly sha256s: readonly string[];
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

// Issue 13: cluster settings and down members (GET/PUT /v1/cluster/settings).
export interface ClusterSettingsView {
  readonly replicationFactor: number;
  readonly writeQuorum: number;
  readonly downAfterMilliseconds: number;
  readonly repairRateBytesPerSecond: number;
  readonly rebalanceRateBytesPerSecond: number;
  /** Members marked down (unreachable longer than down-after), with when last heard. */
  readonly downMembers: readonly { readonly id: string; readonly lastHeardAt: string }[];
}

export interface ClusterSettingsChange {
  readonly writeQuorum?: number;
  readonly downAfterMilliseconds?: number;
  readonly repairRateBytesPerSecond?: number;
  readonly rebalanceRateBytesPerSecond?: number;
  readonly allowWriteQuorumOne?: boolean;
}

// Transactions and staged uploads (POST /v1/txn, GET /v1/txn/{requestId}, POST /v1/staging).

export type TxnCompareTarget =
  | 'exists'
  | 'version'
  | 'createdRevision'
  | 'sha256'
  | 'size'
  | 'lease'
  | 'lockToken';
export type TxnCompareOperator = '=' | '!=' | '<' | '>';

export interface TxnCompare {
  readonly key: string;
  readonly target: TxnCompareTarget;
  readonly operator: TxnCompareOperator;
  /** null is "absent" and sorts below every present value. */
  readonly value: null | number | string | boolean;
}

/** An operation as validated (values decoded to bytes). */
export type TxnOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'putStaged'; readonly key: string; readonly handle: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'deletePrefix'; readonly prefix: string }
  | { readonly type: 'get'; readonly key: string }
  | {
      readonly type: 'list';
      readonly prefix: string;
      readonly after: string;
      readonly limit: number;
    };

export interface TxnRequest {
  /** Retries with the same id return the first outcome; '' = none (not kept). */
  readonly requestId: string;
  readonly compare: readonly TxnCompare[];
  readonly success: readonly TxnOperation[];
  readonly failure: readonly TxnOperation[];
}

export interface TxnKeyState {
  readonly key: string;
  readonly exists: boolean;
  readonly version: number | null;
  readonly createdRevision: number | null;
  readonly size: number | null;
  readonly sha256: string | null;
  readonly lease: number | null;
  /** lockToken compares only (the key is a lock name): its holders' fencing tokens. */
  readonly lockTokens?: readonly number[];
}

export interface TxnFailedCompare {
  readonly index: number;
  readonly target: string;
  readonly operator: string;
  readonly value: null | number | string | boolean;
  readonly current: TxnKeyState;
}

/** One operation's result on the wire: a get's inline bytes as base64 `value` (+ `valueText`). */
export type TxnOperationAnswer = { readonly type: string } & Readonly<Record<string, unknown>>;

export interface TxnAnswer {
  readonly requestId: string;
  readonly succeeded: boolean;
  readonly revision: number;
  /** True when this is the kept outcome of an earlier application (reads not repeated). */
  readonly replayed: boolean;
  readonly results: readonly TxnOperationAnswer[];
  readonly failedCompares: readonly TxnFailedCompare[];
}

export interface StagedUpload {
  readonly handle: string;
  readonly size: number;
  readonly sha256: string;
  readonly chunks: number;
  /** On the group clock (the leaders' wall clocks, never going back). */
  readonly expiresAtMilliseconds: number;
}

// Watch (GET /v1/watch): one JSON object per line.

/** The state an event replaced (null: the key was absent). */
export interface WatchPreviousState {
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
}

export type WatchEventLine =
  | {
      readonly type: 'put';
      readonly revision: number;
      readonly key: string;
      /** Events of this revision in this watch: a revision is whole after this many. */
      readonly events: number;
      readonly version: number;
      readonly createdRevision: number;
      readonly size: number;
      readonly sha256: string;
      readonly previous: WatchPreviousState | null;
      /** values=true: an inline object's bytes, base64 (and as UTF-8 text when they are). */
      readonly value?: string;
      readonly valueText?: string;
    }
  | {
      readonly type: 'delete';
      readonly revision: number;
      readonly key: string;
      readonly events: number;
      readonly previous: WatchPreviousState | null;
    };

export type WatchLine =
  | WatchEventLine
  /** After the events of a revision with more than one. */
  | { readonly type: 'end'; readonly revision: number; readonly events: number }
  /** Every revision up to `revision` has been sent (first line, and every second when idle). */
  | { readonly type: 'progress'; readonly revision: number }
  /** The last line of a watch the node ended: resume from lastRevision + 1. */
  | {
      readonly type: 'canceled';
      readonly reason: 'slow' | 'noLeader' | 'shutdown' | 'closed';
      readonly lastRevision: number;
    };

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

/** GET /v1/locks: locks with holders or waiters, by name; `next` continues the listing. */
export interface LockList {
  readonly items: readonly LockHolders[];
  /** Pass as `after` for the next page; absent on the last one. */
  readonly next?: string;
}

export interface LockReleased {
  readonly name: string;
  readonly released: true;
}

// Streamed Raft snapshots (issue 18): the receiver's answer to a piece or a status call.
export interface SnapshotReceipt {
  /** Bytes of the snapshot file the receiver holds (where the next piece must start). */
  readonly receivedBytes: number;
  /** The whole file arrived and passed its SHA-256 and stream checksums. */
  readonly complete: boolean;
}

// Backup and restore (issue 18).
export interface RevisionBaseRequest {
  /** Revisions continue above this one (the highest revision of a restored backup). */
  readonly revision: number;
}

export interface RevisionBaseAnswer {
  readonly revision: number;
}

// ------------------------------------------------------------ authentication (issue 14)

/** A permission on the wire: `VERB[,VERB...]:PREFIX` (`read,list:logs/`; `all:` is everything). */
export type PermissionText = string;

export interface AuthUserView {
  readonly name: string;
  readonly roles: readonly string[];
}

export interface AuthRoleView {
  readonly name: string;
  readonly permissions: readonly PermissionText[];
}

export interface AuthTokenView {
  readonly id: string;
  readonly user: string;
  /** null: every permission of the user. */
  readonly scope: readonly PermissionText[] | null;
  readonly createdAt: string;
  /** null: never expires. */
  readonly expiresAt: string | null;
  readonly expired: boolean;
  readonly description: string;
}

export interface AuthTokenCreateRequest {
  readonly user: string;
  readonly scope?: readonly PermissionText[];
  readonly expiresInMilliseconds?: number;
  readonly description?: string;
}

/** The only time a token's secret is shown: it is stored as a SHA-256 hash. */
export interface AuthTokenCreated extends AuthTokenView {
  readonly token: string;
}

export interface AuthEnabled {
  readonly enabled: true;
  readonly rootToken: AuthTokenCreated;
}

export interface WhoAmI {
  readonly authEnabled: boolean;
  /** null while authentication is off (every caller may do everything). */
  readonly user: string | null;
  readonly tokenId: string | null;
  readonly permissions: readonly PermissionText[];
  readonly scope: readonly PermissionText[] | null;
  readonly expiresAt: string | null;
}

export interface AuthDone {
  readonly done: true;
  readonly revision: number;
}
