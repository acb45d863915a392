// Public types of the pure Raft core. The simulator, the node driver and storage
// code against these names, so they change only additively.

import type { Prng } from '../util/prng.js';

/** Node ids are opaque non-empty strings, unique within a group. */
export type NodeId = string;

export type EntryType = 'normal' | 'confChange';

/** One log entry. `data` of a confChange entry is `encodeConfChange(change)`. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on disk before a node may answer anything (Raft paper, figure 2). */
export interface HardState {
  readonly term: number;
  /** Who this node voted for in `term`, or null. */
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** Members of the group. Learners receive the log but neither vote nor count to quorum. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/**
 * Single-server membership changes, one at a time (see README.md):
 * addLearner adds a non-voting member; promoteLearner turns a learner into a voter;
 * removeNode removes a voter or a learner.
 */
export type ConfChangeType = 'addLearner' | 'promoteLearner' | 'removeNode';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /**
   * Opaque to Raft, applied by the state machine in the same entry as the change
   * (cairn: the encoded meta command that records the member). Absent = empty.
   */
  readonly context?: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export type MessageType =
  | 'vote'
  | 'voteResponse'
  | 'preVote'
  | 'preVoteResponse'
  | 'append'
  | 'appendResponse'
  | 'heartbeat'
  | 'heartbeatResponse'
  | 'snapshot'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResponse'
  | 'transferLeader';

/**
 * Every message between members of a group. Fields that a type does not use are
 * zero / empty. `groupId` names the Raft group; a node steps only messages of its own
 * group (a mismatch is an assertion failure: the transport routes by group id).
 */
export interface Message {
  readonly groupId: string;
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** append: term of the entry at `index`; vote: term of the candidate's last entry; reject: term at rejectHint; refused vote: term at `commit`. */
  readonly logTerm: number;
  /** append: index preceding `entries`; vote: candidate's last index; appendResponse: last matched index; readIndex response: read index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  /** append, heartbeat: the leader's commit index; refused vote: a commit hint for the candidate (0 for none). */
  readonly commit: number;
  readonly reject: boolean;
  /** appendResponse with reject: the follower's guess of the highest index that may match. */
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  /** readIndex request context (opaque to raft); heartbeats carry it for ReadIndex rounds. */
  readonly context?: Uint8Array;
}

/** A linearizable read may be served once the applied index reaches `index`. */
export interface ReadState {
  readonly index: number;
  readonly requestContext: Uint8Array;
}

export interface SoftState {
  readonly leaderId: NodeId | null;
  readonly role: Role;
}

/**
 * What the driver must do, in this order: persist `snapshot` (if any), `hardState` (if
 * any) and `entries` (fsync when `mustSync`); then send `messages`; then install the
 * snapshot into the state machine and apply `committedEntries`; then call
 * `advance(ready)`. `entries` may overwrite a suffix of the persisted log: entries at
 * index >= entries[0].index that are on disk must be discarded.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly mustSync: boolean;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly readStates: readonly ReadState[];
}

/**
 * What raft reads of the persisted state. The driver writes it (after each Ready);
 * raft never writes it. `MemoryLogStorage` is the reference implementation.
 */
export interface RaftLogReader {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lowIndex, highIndexExclusive), at least one, then up to `sizeBytesMax` in total. Bounds must lie in [firstIndex, lastIndex + 1]. */
  entries(lowIndex: number, highIndexExclusive: number, sizeBytesMax: number): Entry[];
  /** Term of the entry at `index`, for index in [firstIndex - 1, lastIndex]; undefined outside (compacted or not yet written). */
  term(index: number): number | undefined;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot (index 0 with empty data when none has been taken). */
  snapshot(): Snapshot;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly groupId: string;
  /** A follower campaigns after a randomized timeout in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  readonly electionTimeoutTicks: number;
  readonly heartbeatTicks: number;
  /** Source of election timeout jitter; nothing else in raft is random. */
  readonly prng: Prng;
  readonly storage: RaftLogReader;
  /** Highest index the state machine has applied (0 or the snapshot index on a fresh start). */
  readonly appliedIndex: number;
  readonly maxSizePerMessageBytes: number;
  readonly inflightMessagesMax: number;
  readonly inflightBytesMax: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly probeSent: boolean;
  readonly pendingSnapshot: number;
  readonly inflightMessages: number;
  readonly inflightBytes: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly groupId: string;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leaderId: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  /** Per member, only on the leader (empty otherwise). */
  readonly progress: Readonly<Record<NodeId, ProgressStatus>>;
  readonly leadTransferee: NodeId | null;
}

/** Where a proposal landed: a waiter learns the outcome when (index, term) is applied, or that it was lost when another term's entry is applied at index. */
export interface ProposalPosition {
  readonly index: number;
  readonly term: number;
}
