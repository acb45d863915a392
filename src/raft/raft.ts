// The Raft node: a synchronous state machine. Inputs are method calls (tick, step,
// propose, ...); outputs are collected into a Ready that the driver persists, sends
// and applies, then acknowledges with advance(). No I/O, no clock, no timers.
// Roles are data: becomeFollower/PreCandidate/Candidate/Leader swap stepRole and
// tickRole. Terms are handled once, in step(), before dispatching to the role.

import { assert, assertInteger } from '../util/assert.js';
import { CairnError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { Prng } from '../util/prng.js';
import { RaftError } from './raft-error.js';
import {
  applyConfChange,
  confChangeProblem,
  decodeConfChange,
  encodeConfChange,
} from './conf-change.js';
import { RaftLogView, entriesSizeBytes, entrySizeBytes } from './log.js';
import { Progress } from './progress.js';
import { committedIndex, hasQuorum, voteResult } from './quorum.js';
import { ReadOnlyQueue, decodeReadSequence, encodeReadSequence } from './read-only.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  MessageType,
  NodeId,
  ProgressStatus,
  ProposalPosition,
  RaftConfig,
  RaftStatus,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SoftState,
} from './types.js';

/** Context of the vote requests of a campaign forced by leader transfer: they bypass the leader lease. */
const transferCampaignContext = new TextEncoder().encode('cairn-raft-transfer');

type MessageFields = Partial<Omit<Message, 'groupId' | 'from' | 'to' | 'type'>>;

function isTransferCampaign(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.byteLength !== transferCampaignContext.byteLength)
    return false;
  for (let i = 0; i < context.byteLength; i++)
    if (context[i] !== transferCampaignContext[i]) return false;
  return true;
}

function notLeader(leaderId: NodeId | null): CairnError {
  return new CairnError(
    'CAIRN_ERR_NOT_LEADER',
    leaderId === null ? 'no leader is known' : `not the leader; the leader is ${leaderId}`,
    {
      details: { leaderId },
    },
  );
}

function validateConfig(config: RaftConfig): void {
  assert(config.id.length > 0, 'node id is not empty');
  assert(config.groupId.length > 0, 'group id is not empty');
  assertInteger(config.heartbeatTicks, 'heartbeatTicks', 1);
  assertInteger(config.electionTimeoutTicks, 'electionTimeoutTicks', config.heartbeatTicks + 1);
  assertInteger(
    config.maxSizePerMessageBytes,
    'maxSizePerMessageBytes',
    1,
    limits.raftMessageBatchBytesMax,
  );
  assertInteger(
    config.inflightMessagesMax,
    'inflightMessagesMax',
    1,
    limits.raftInflightAppendsPerFollowerMax,
  );
  assertInteger(
    config.inflightBytesMax,
    'inflightBytesMax',
    1,
    limits.raftInflightBytesPerFollowerMax,
  );
  assertInteger(config.appliedIndex, 'appliedIndex');
}

export class RaftNode {
  readonly id: NodeId;
  readonly groupId: string;
  private readonly config: RaftConfig;
  private readonly prng: Prng;
  private readonly log: RaftLogView;

  private term = 0;
  private vote: NodeId | null = null;
  private leaderId: NodeId | null = null;
  private role: Role = 'follower';
  private confState: ConfState;
  /** The log index as of which confState holds (a snapshot's index or the last conf change applied). */
  private confStateIndex = 0;

  private stepRole: (message: Message) => void = (message) => this.stepFollower(message);
  private tickRole: () => void = () => this.tickElection();

  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private outbox: Message[] = [];
  private readStates: ReadState[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId | null = null;
  /** Index of the latest conf change appended by this leader (or its lastIndex at election). */
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  /**
   * Proposals appended since the last Ready: sent to followers when the Ready is taken,
   * so that every proposal of one driver iteration travels in one append per follower.
   */
  private appendsToFlush = false;
  private readonly readOnly = new ReadOnlyQueue();
  /** Read requests received before this leader committed an entry of its term. */
  private readsAwaitingCommit: { requestContext: Uint8Array; from: NodeId }[] = [];

  private previousHardState: HardState;
  private previousSoftState: SoftState;
  private readyOutstanding = false;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.config = config;
    this.id = config.id;
    this.groupId = config.groupId;
    this.prng = config.prng;
    this.log = new RaftLogView(config.storage);
    const { hardState, confState } = config.storage.initialState();
    this.confState = confState;
    assert(
      hardState.commit >= this.log.committed && hardState.commit <= this.log.lastIndex(),
      'persisted commit within the log',
    );
    this.log.committed = hardState.commit;
    // The snapshot in storage counts as applied: the driver restores its state machine from it.
    const snapshotIndex = config.storage.snapshot().metadata.index;
    const appliedIndex = Math.max(config.appliedIndex, snapshotIndex);
    if (appliedIndex > this.log.applied) this.log.appliedTo(appliedIndex);
    this.confStateIndex = snapshotIndex;
    this.replayConfChanges();
    this.becomeFollower(hardState.term, null);
    this.vote = hardState.vote;
    this.previousHardState = hardState;
    this.previousSoftState = { leaderId: null, role: 'follower' };
  }

  /** After a restart, the configuration is the snapshot's plus the conf changes already applied. */
  private replayConfChanges(): void {
    let next = this.confStateIndex + 1;
    const end = this.log.applied + 1;
    let pages = 0;
    while (next < end) {
      assert(pages++ <= end, 'replay makes progress');
      const page = this.log.slice(next, end, this.config.maxSizePerMessageBytes);
      assert(page !== undefined && page.length > 0, 'applied entries are in storage');
      for (const entry of page)
        if (entry.type === 'confChange') this.applyCommittedConfChange(entry);
      next = (page[page.length - 1] as Entry).index + 1;
    }
  }

  // ---------------------------------------------------------------- roles

  private reset(term: number): void {
    if (term !== this.term) {
      assert(term > this.term, `term never decreases (${this.term} -> ${term})`);
      this.term = term;
      this.vote = null;
    }
    this.leaderId = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.prng.nextIntegerInclusive(
      this.config.electionTimeoutTicks,
      2 * this.config.electionTimeoutTicks - 1,
    );
    this.leadTransferee = null;
    this.votes.clear();
    this.progress.clear();
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.appendsToFlush = false;
    this.readOnly.reset();
    this.readsAwaitingCommit = [];
  }

  private becomeFollower(term: number, leaderId: NodeId | null): void {
    this.reset(term);
    this.stepRole = (message) => this.stepFollower(message);
    this.tickRole = () => this.tickElection();
    this.leaderId = leaderId;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not pre-campaign');
    // A pre-candidate keeps its term and vote: PreVote must not disturb anyone.
    this.votes.clear();
    this.stepRole = (message) => this.stepCandidate(message);
    this.tickRole = () => this.tickElection();
    this.leaderId = null;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign');
    this.reset(this.term + 1);
    this.stepRole = (message) => this.stepCandidate(message);
    this.tickRole = () => this.tickElection();
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.stepRole = (message) => this.stepLeader(message);
    this.tickRole = () => this.tickHeartbeat();
    this.leaderId = this.id;
    this.role = 'leader';
    const lastIndex = this.log.lastIndex();
    for (const id of [...this.confState.voters, ...this.confState.learners])
      this.addProgress(id, lastIndex);
    const self = this.progress.get(this.id);
    assert(self !== undefined, 'a leader is a member');
    self.becomeReplicate();
    self.match = Math.min(this.log.stableLastIndex(), lastIndex);
    self.next = lastIndex + 1;
    // No conf change until our empty entry is applied: a single-server change is only
    // safe once the leader has committed an entry of its term (Ongaro's fix, README.md).
    this.pendingConfIndex = lastIndex + 1;
    // An entry of our term lets us commit what earlier leaders left (paper 5.4.2).
    this.appendEntries([
      { term: this.term, index: lastIndex + 1, type: 'normal', data: new Uint8Array(0) },
    ]);
  }

  private addProgress(id: NodeId, lastIndex: number): void {
    const progress = new Progress({
      match: 0,
      next: lastIndex + 1,
      isLearner: this.confState.learners.includes(id),
      inflightMessagesMax: this.config.inflightMessagesMax,
      inflightBytesMax: this.config.inflightBytesMax,
    });
    progress.recentActive = true; // Do not fail CheckQuorum before anyone had a chance to answer.
    this.progress.set(id, progress);
  }

  private isPromotable(): boolean {
    return this.confState.voters.includes(this.id);
  }

  // ---------------------------------------------------------------- ticks

  /** Advance logical time by one tick. */
  tick(): void {
    this.tickRole();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaignIfAllowed(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.checkQuorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned
      // (a removed leader tries again).
      this.leadTransferee = null;
      if (!this.confState.voters.includes(this.id)) this.handOverLeadership();
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /** CheckQuorum: did a quorum of voters talk to us since the last round? Resets the marks. */
  private checkQuorumActive(): boolean {
    const active = hasQuorum(
      this.confState.voters,
      (id) => id === this.id || this.progress.get(id)?.recentActive === true,
    );
    for (const [id, progress] of this.progress) if (id !== this.id) progress.recentActive = false;
    return active;
  }

  // ---------------------------------------------------------------- elections

  private campaignIfAllowed(transfer: boolean): void {
    if (this.role === 'leader' || !this.isPromotable()) return;
    // A committed but unapplied conf change may remove us or change the quorum.
    if (this.hasUnappliedConfChange()) return;
    // A pre-vote round first (unless the leader handed over): only when it is won
    // does the real campaign raise the term. A single voter wins both at once.
    if (this.config.preVote && !transfer && !this.campaign('preVote', false)) return;
    if (this.campaign('vote', transfer)) this.winElection();
  }

  private winElection(): void {
    this.becomeLeader();
    this.broadcastAppend();
  }

  private hasUnappliedConfChange(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    let next = Math.max(this.log.applied + 1, this.log.firstIndex());
    let pages = 0;
    while (next <= this.log.committed) {
      assert(pages++ <= this.log.committed, 'scan makes progress');
      const page = this.log.slice(next, this.log.committed + 1, this.config.maxSizePerMessageBytes);
      if (page === undefined || page.length === 0) return false;
      if (page.some((entry) => entry.type === 'confChange')) return true;
      next = (page[page.length - 1] as Entry).index + 1;
    }
    return false;
  }

  /** Start a (pre-)election; returns true when it is won outright (a single voter). */
  private campaign(kind: 'preVote' | 'vote', transfer: boolean): boolean {
    let campaignTerm: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      campaignTerm = this.term + 1; // Not adopted until the pre-vote is won.
    } else {
      this.becomeCandidate();
      campaignTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.confState.voters, this.votes) === 'won') return true;
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const voter of this.confState.voters) {
      if (voter === this.id) continue;
      const fields: MessageFields = { term: campaignTerm, index: lastIndex, logTerm: lastTerm };
      this.send(voter, kind, transfer ? { ...fields, context: transferCampaignContext } : fields);
    }
    return false;
  }

  /** Vote and pre-vote requests, after term handling. */
  private handleVoteRequest(message: Message): void {
    const responseType: MessageType = message.type === 'vote' ? 'voteResponse' : 'preVoteResponse';
    const canVote =
      this.vote === message.from ||
      (this.vote === null && this.leaderId === null) ||
      (message.type === 'preVote' && message.term > this.term);
    if (canVote && this.log.isUpToDate(message.index, message.logTerm)) {
      // The grant carries the candidate's term so the candidate counts it.
      this.send(message.from, responseType, { term: message.term });
      if (message.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = message.from;
      }
    } else {
      this.send(message.from, responseType, {
        term: this.term,
        reject: true,
        ...this.commitHintFor(message),
      });
    }
  }

  /**
   * A refused candidate may be a voter that cannot learn of a commit any other way:
   * when the leader that committed its own removal crashed before telling the
   * remaining voter, that voter still needs the removed node's vote, which the
   * removed node's longer log refuses, and the removed node never campaigns
   * (FINDINGS F3). When the candidate's last entry is in our log, its log equals ours
   * up to there, so our commit index (capped at its last index) is committed for it
   * too; it checks the term before believing it.
   */
  private commitHintFor(message: Message): MessageFields {
    if (!this.log.matchTerm(message.index, message.logTerm)) return {};
    const hintIndex = Math.min(message.index, this.log.committed);
    const hintTerm = this.log.term(hintIndex);
    if (hintTerm === undefined || hintIndex === 0) return {};
    return { commit: hintIndex, logTerm: hintTerm };
  }

  /**
   * Learn a commit index from a refused vote (see commitHintFor). Not as leader: a
   * leader's commit index comes from its own quorum count, only in its term.
   */
  private applyCommitHint(message: Message): void {
    if (this.role === 'leader' || message.commit <= this.log.committed) return;
    if (!this.log.matchTerm(message.commit, message.logTerm)) return;
    this.log.commitTo(message.commit);
  }

  // ---------------------------------------------------------------- step

  /** Process a message from a peer of this group. */
  step(message: Message): void {
    assert(
      message.groupId === this.groupId,
      `message of group ${message.groupId} stepped into group ${this.groupId}`,
    );
    assert(message.to === this.id, `message to ${message.to} stepped into ${this.id}`);
    assert(message.from !== this.id, 'a node does not message itself');
    assertInteger(message.term, 'message term');
    if (!this.handleTerm(message)) return;
    if ((message.type === 'voteResponse' || message.type === 'preVoteResponse') && message.reject)
      this.applyCommitHint(message);
    switch (message.type) {
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(message);
        return;
      default:
        this.stepRole(message);
    }
  }

  /** Term rules shared by every role. Returns false when the message is to be dropped. */
  private handleTerm(message: Message): boolean {
    if (message.term > this.term) {
      if (message.type === 'vote' || message.type === 'preVote') {
        const inLease =
          this.config.checkQuorum &&
          this.leaderId !== null &&
          this.electionElapsed < this.config.electionTimeoutTicks;
        // Leader lease: while we hear from a live leader, a candidate cannot disrupt it.
        if (inLease && !isTransferCampaign(message.context)) return false;
      }
      if (message.type === 'preVote') return true; // Never adopt a pre-vote's term.
      if (message.type === 'preVoteResponse' && !message.reject) return true; // Adopted when the pre-vote is won.
      const fromLeader =
        message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot';
      this.becomeFollower(message.term, fromLeader ? message.from : null);
      return true;
    }
    if (message.term < this.term) {
      if (
        (this.config.checkQuorum || this.config.preVote) &&
        (message.type === 'append' || message.type === 'heartbeat')
      ) {
        // A stale leader (e.g. after a partition) learns the new term and steps down.
        this.send(message.from, 'appendResponse', {});
      } else if (message.type === 'preVote') {
        this.send(message.from, 'preVoteResponse', { reject: true });
      }
      return false;
    }
    return true;
  }

  private stepFollower(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        this.electionElapsed = 0;
        this.leaderId = message.from;
        this.handleFromLeader(message);
        return;
      case 'timeoutNow':
        // The leader hands over: campaign at once, bypassing PreVote and leases.
        this.campaignIfAllowed(true);
        return;
      case 'readIndexResponse':
        this.readStates.push({
          index: message.index,
          requestContext: message.context ?? new Uint8Array(0),
        });
        return;
      case 'transferLeader':
        if (this.leaderId !== null) this.forward(message, this.leaderId);
        return;
      default:
        // Stale responses, and read requests sent to a former leader (the reader retries).
        return;
    }
  }

  private stepCandidate(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Someone won this term.
        this.becomeFollower(message.term, message.from);
        this.handleFromLeader(message);
        return;
      case 'voteResponse':
      case 'preVoteResponse':
        this.handleVoteResponse(message);
        return;
      default:
        return;
    }
  }

  private handleVoteResponse(message: Message): void {
    const expected: MessageType = this.role === 'preCandidate' ? 'preVoteResponse' : 'voteResponse';
    if (message.type !== expected) return;
    if (!this.isPromotable()) {
      // Our removal was applied while campaigning.
      this.becomeFollower(this.term, null);
      return;
    }
    this.votes.set(message.from, !message.reject);
    const result = voteResult(this.confState.voters, this.votes);
    if (result === 'won') {
      if (this.role === 'candidate' || this.campaign('vote', false)) this.winElection();
    } else if (result === 'lost') {
      this.becomeFollower(this.term, null);
    }
  }

  private forward(message: Message, to: NodeId): void {
    const fields: MessageFields = message.context === undefined ? {} : { context: message.context };
    this.send(to, message.type, fields);
  }

  // ---------------------------------------------------------------- follower side of replication

  private handleFromLeader(message: Message): void {
    if (message.type === 'append') this.handleAppend(message);
    else if (message.type === 'heartbeat') this.handleHeartbeat(message);
    else this.handleSnapshot(message);
  }

  private handleAppend(message: Message): void {
    if (message.index < this.log.committed) {
      this.send(message.from, 'appendResponse', { index: this.log.committed });
      return;
    }
    const lastNewIndex = this.log.maybeAppend(
      message.index,
      message.logTerm,
      message.commit,
      message.entries,
    );
    if (lastNewIndex !== undefined) {
      this.send(message.from, 'appendResponse', { index: lastNewIndex });
      return;
    }
    const hint = this.log.findConflictByTerm(
      Math.min(message.index, this.log.lastIndex()),
      message.logTerm,
    );
    this.send(message.from, 'appendResponse', {
      index: message.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  private handleHeartbeat(message: Message): void {
    // The leader sends min(commit, our match), so this never passes our log, unless
    // the leader's match is stale (our log was lost): then commit nothing and let the
    // next append's rejection correct the leader.
    if (message.commit <= this.log.lastIndex()) this.log.commitTo(message.commit);
    this.send(
      message.from,
      'heartbeatResponse',
      message.context === undefined ? {} : { context: message.context },
    );
  }

  private handleSnapshot(message: Message): void {
    const snapshot = message.snapshot;
    assert(snapshot !== undefined, 'snapshot message carries a snapshot');
    if (this.restore(snapshot)) {
      this.send(message.from, 'appendResponse', { index: this.log.lastIndex() });
    } else {
      this.send(message.from, 'appendResponse', { index: this.log.committed });
    }
  }

  /** Install a snapshot from the leader. Returns false when it brings nothing new. */
  private restore(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We already have the entries: just learn that they are committed.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.confState = snapshot.metadata.confState;
    this.confStateIndex = index;
    return true;
  }

  // ---------------------------------------------------------------- leader side of replication

  private stepLeader(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        assert(false, `two leaders in term ${this.term}: ${this.id} and ${message.from}`);
        return;
      case 'appendResponse':
        this.handleAppendResponse(message);
        return;
      case 'heartbeatResponse':
        this.handleHeartbeatResponse(message);
        return;
      case 'readIndex':
        this.handleReadIndex(message.from, message.context ?? new Uint8Array(0));
        return;
      case 'transferLeader':
        this.handleTransferLeader(new TextDecoder().decode(message.context ?? new Uint8Array(0)));
        return;
      default:
        return;
    }
  }

  private handleAppendResponse(message: Message): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return; // Not a member (any more).
    progress.recentActive = true;
    if (message.reject) {
      let hint = message.rejectHint;
      if (message.logTerm > 0)
        hint = this.log.findConflictByTerm(message.rejectHint, message.logTerm).index;
      if (progress.maybeDecreaseTo(message.index, hint)) {
        if (progress.state === 'replicate') progress.becomeProbe();
        this.sendAppend(message.from);
      }
      return;
    }
    assert(
      message.index <= this.log.lastIndex(),
      `follower acknowledged ${message.index} beyond our last ${this.log.lastIndex()}`,
    );
    const wasPaused = progress.isPaused();
    const updated = progress.maybeUpdate(message.index);
    // A probe acknowledged at the known match point also ends probing.
    if (!updated && !(progress.state === 'probe' && progress.match === message.index)) return;
    if (progress.state === 'probe') progress.becomeReplicate();
    else if (
      progress.state === 'snapshot' &&
      (progress.match + 1 >= this.log.firstIndex() || progress.match >= progress.pendingSnapshot)
    ) {
      progress.becomeProbe();
      progress.becomeReplicate();
    } else if (progress.state === 'replicate') progress.inflights.freeLE(message.index);
    if (this.maybeCommit()) this.broadcastAppend();
    else if (wasPaused) this.sendAppend(message.from);
    // Pipeline: fill the window while there is something to send.
    for (
      let sent = 0;
      sent < this.config.inflightMessagesMax && this.sendAppend(message.from, false);
      sent++
    );
    if (message.from === this.leadTransferee && progress.match === this.log.lastIndex())
      this.send(message.from, 'timeoutNow', {});
  }

  private handleHeartbeatResponse(message: Message): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.probeSent = false;
    if (
      progress.state === 'snapshot' &&
      ++progress.heartbeatsSinceSnapshot >= this.snapshotRetryHeartbeats()
    ) {
      // The member is alive but never acknowledged the snapshot (lost, and nobody
      // called reportSnapshot): probe again, which sends a new one if still needed.
      progress.becomeProbe();
    }
    // Acks may have been lost: free one slot so replication cannot stall for good.
    if (progress.state === 'replicate' && progress.inflights.full())
      progress.inflights.freeFirstOne();
    if (progress.match < this.log.lastIndex()) this.sendAppend(message.from);
    const sequence = decodeReadSequence(message.context);
    if (sequence > 0 && !progress.isLearner) {
      this.readOnly.acknowledge(message.from, sequence);
      this.releaseConfirmedReads();
    }
  }

  /** Recompute the commit index from the voters' match indexes. */
  private maybeCommit(): boolean {
    const quorumIndex = committedIndex(
      this.confState.voters,
      (id) => this.progress.get(id)?.match ?? 0,
    );
    if (!this.log.maybeCommit(quorumIndex, this.term)) return false;
    if (this.readsAwaitingCommit.length > 0) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const read of waiting) this.handleReadIndex(read.from, read.requestContext);
    }
    return true;
  }

  /**
   * Send the next append to `to` (or a snapshot when its entries are compacted).
   * With sendIfEmpty false, only sends when there are entries. Returns whether it sent.
   */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const progress = this.progress.get(to);
    assert(progress !== undefined, `progress of ${to}`);
    if (progress.isPaused()) return false;
    const previousIndex = progress.next - 1;
    const previousTerm = this.log.term(previousIndex);
    const entries = this.log.entriesFrom(progress.next, this.config.maxSizePerMessageBytes);
    if (previousTerm === undefined || entries === undefined) return this.sendSnapshot(to, progress);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(to, 'append', {
      index: previousIndex,
      logTerm: previousTerm,
      entries,
      commit: this.log.committed,
    });
    const last = entries[entries.length - 1];
    progress.sentAppend(
      entries.length,
      last === undefined ? previousIndex : last.index,
      entriesSizeBytes(entries),
    );
    return true;
  }

  private sendSnapshot(to: NodeId, progress: Progress): boolean {
    // Only to members we heard from recently: a snapshot is big.
    if (!progress.recentActive) return false;
    const snapshot = this.log.snapshot();
    assert(
      snapshot.metadata.index >= this.log.firstIndex() - 1,
      'the snapshot covers the compacted entries',
    );
    this.send(to, 'snapshot', { snapshot });
    progress.becomeSnapshot(snapshot.metadata.index);
    return true;
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  /** Send the proposals appended since the last Ready, filling each follower's inflight window. */
  private flushAppends(): void {
    if (!this.appendsToFlush) return;
    this.appendsToFlush = false;
    assert(this.role === 'leader', 'only a leader has appends to flush');
    for (const id of this.progress.keys()) {
      if (id === this.id) continue;
      for (
        let sent = 0;
        sent < this.config.inflightMessagesMax && this.sendAppend(id, false);
        sent++
      );
    }
  }

  private broadcastHeartbeat(): void {
    const sequence = this.readOnly.currentSequence();
    for (const [id, progress] of this.progress) {
      if (id === this.id) continue;
      const fields: MessageFields = { commit: Math.min(progress.match, this.log.committed) };
      this.send(
        id,
        'heartbeat',
        sequence === 0 ? fields : { ...fields, context: encodeReadSequence(sequence) },
      );
    }
  }

  /** Append entries proposed here (leader only). Our own match moves when they are persisted (advance). */
  private appendEntries(entries: Entry[]): void {
    assert(this.role === 'leader', 'only a leader appends its own entries');
    const lastIndex = this.log.lastIndex();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      assert(
        entry.index === lastIndex + 1 + i && entry.term === this.term,
        'leader appends at its tail in its term',
      );
      this.uncommittedBytes += entrySizeBytes(entry);
    }
    this.log.append(entries);
  }

  private send(to: NodeId, type: MessageType, fields: MessageFields): void {
    assert(to !== this.id, 'never send to self');
    this.outbox.push({
      groupId: this.groupId,
      type,
      from: this.id,
      to,
      term: fields.term ?? this.term,
      logTerm: fields.logTerm ?? 0,
      index: fields.index ?? 0,
      entries: fields.entries ?? [],
      commit: fields.commit ?? 0,
      reject: fields.reject ?? false,
      rejectHint: fields.rejectHint ?? 0,
      ...(fields.snapshot === undefined ? {} : { snapshot: fields.snapshot }),
      ...(fields.context === undefined ? {} : { context: fields.context }),
    });
  }

  // ---------------------------------------------------------------- reads and transfers

  private handleReadIndex(from: NodeId, requestContext: Uint8Array): void {
    assert(this.role === 'leader', 'only a leader serves read index');
    if (this.log.term(this.log.committed) !== this.term) {
      // Our commit index may lag the true one until we commit in our term.
      if (this.readsAwaitingCommit.length + this.readOnly.size >= limits.raftReadIndexPendingMax) {
        this.rejectRead(from, 'raftReadIndexPendingMax');
        return;
      }
      this.readsAwaitingCommit.push({ requestContext, from });
      return;
    }
    if (this.confState.voters.length === 1 && this.confState.voters[0] === this.id) {
      this.answerRead(from, this.log.committed, requestContext);
      return;
    }
    if (this.readOnly.isFull()) {
      this.rejectRead(from, 'raftReadIndexPendingMax');
      return;
    }
    this.readOnly.add(this.log.committed, requestContext, from);
    this.broadcastHeartbeat();
  }

  private rejectRead(from: NodeId, limitName: string): void {
    // A local caller gets a typed error; a forwarded read is dropped and its waiter times out.
    if (from === this.id)
      throw new LimitExceededError(
        limitName,
        limits.raftReadIndexPendingMax,
        this.readOnly.size + this.readsAwaitingCommit.length,
        'reads',
      );
  }

  private releaseConfirmedReads(): void {
    for (const read of this.readOnly.takeConfirmed(this.confState.voters, this.id))
      this.answerRead(read.from, read.index, read.requestContext);
  }

  private answerRead(from: NodeId, index: number, requestContext: Uint8Array): void {
    if (from === this.id) this.readStates.push({ index, requestContext });
    else if (this.progress.has(from))
      this.send(from, 'readIndexResponse', { index, context: requestContext });
  }

  /** A leader that is no longer a voter hands over to the most up-to-date voter. */
  private handOverLeadership(): void {
    if (this.leadTransferee !== null) return;
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const voter of this.confState.voters) {
      const match = this.progress.get(voter)?.match ?? -1;
      if (match > bestMatch) {
        best = voter;
        bestMatch = match;
      }
    }
    if (best !== null) this.handleTransferLeader(best);
  }

  private handleTransferLeader(transferee: NodeId): void {
    const progress = this.progress.get(transferee);
    if (progress === undefined || progress.isLearner || transferee === this.id) return;
    if (this.leadTransferee === transferee) return;
    this.leadTransferee = transferee;
    // The transfer must finish within one election timeout (tickHeartbeat aborts it).
    this.electionElapsed = 0;
    if (progress.match === this.log.lastIndex()) this.send(transferee, 'timeoutNow', {});
    else this.sendAppend(transferee);
  }

  // ---------------------------------------------------------------- public inputs

  private checkCanPropose(sizeBytes: number): void {
    if (sizeBytes > limits.raftEntryBytesMax)
      throw new LimitExceededError(
        'raftEntryBytesMax',
        limits.raftEntryBytesMax,
        sizeBytes,
        'bytes',
      );
    if (this.role !== 'leader') throw notLeader(this.leaderId);
    if (this.leadTransferee !== null) {
      throw new CairnError(
        'CAIRN_ERR_PROPOSAL_DROPPED',
        `leadership is being transferred to ${this.leadTransferee}`,
        {
          details: { leaderId: this.leadTransferee },
        },
      );
    }
    if (!this.progress.has(this.id))
      throw new CairnError(
        'CAIRN_ERR_PROPOSAL_DROPPED',
        'this leader has been removed from the group',
      );
    const uncommittedEntries = this.log.lastIndex() - this.log.committed;
    if (uncommittedEntries >= limits.raftUncommittedEntriesMax) {
      throw new LimitExceededError(
        'raftUncommittedEntriesMax',
        limits.raftUncommittedEntriesMax,
        uncommittedEntries + 1,
        'entries',
      );
    }
    if (this.uncommittedBytes + sizeBytes > limits.raftUncommittedBytesMax) {
      throw new LimitExceededError(
        'raftUncommittedBytesMax',
        limits.raftUncommittedBytesMax,
        this.uncommittedBytes + sizeBytes,
        'bytes',
      );
    }
  }

  /**
   * Propose `data` as a normal entry. Leader only: a follower throws CAIRN_ERR_NOT_LEADER
   * (details.leaderId names the leader to redirect to); proposals are not forwarded.
   * Returns where the entry landed; it is committed when applied at (index, term).
   */
  propose(data: Uint8Array): ProposalPosition {
    this.checkCanPropose(data.byteLength);
    const entry: Entry = { term: this.term, index: this.log.lastIndex() + 1, type: 'normal', data };
    this.appendEntries([entry]);
    this.appendsToFlush = true;
    return { index: entry.index, term: entry.term };
  }

  /**
   * Propose a membership change. Rejected (CAIRN_ERR_CONFLICT) while an earlier change is
   * not yet applied, and (RaftError) when it does not fit the current configuration. The change takes effect on each node when applied.
   */
  proposeConfChange(change: ConfChange): ProposalPosition {
    const data = encodeConfChange(change);
    this.checkCanPropose(data.byteLength);
    if (this.pendingConfIndex > this.log.applied) {
      throw new CairnError(
        'CAIRN_ERR_CONFLICT',
        `a membership change at index ${this.pendingConfIndex} is not applied yet`,
        {
          details: { pendingIndex: this.pendingConfIndex, appliedIndex: this.log.applied },
        },
      );
    }
    const problem = confChangeProblem(this.confState, change);
    if (problem !== null) throw new RaftError('conf-change-invalid', problem);
    // A leader that commits its own removal and crashes before handing off can leave
    // the remaining voters waiting forever for its vote (test/sim FINDINGS.md, F3):
    // it must transfer leadership first, and the new leader removes it.
    if (change.type === 'removeNode' && change.nodeId === this.id) {
      throw new RaftError(
        'removes-leader',
        `leader ${this.id} cannot remove itself; transfer leadership first`,
      );
    }
    if (change.type === 'promoteLearner') this.checkLearnerCaughtUp(change.nodeId);
    const entry: Entry = {
      term: this.term,
      index: this.log.lastIndex() + 1,
      type: 'confChange',
      data,
    };
    this.appendEntries([entry]);
    this.pendingConfIndex = entry.index;
    this.appendsToFlush = true;
    return { index: entry.index, term: entry.term };
  }

  /** A learner becomes a voter only once it has (nearly) caught up, or it would slow every commit. */
  private checkLearnerCaughtUp(learner: NodeId): void {
    const match = this.progress.get(learner)?.match ?? 0;
    const lag = this.log.committed - match;
    if (lag > limits.raftLearnerPromotionLagEntriesMax) {
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        `learner ${learner} is ${lag} entries behind the commit index; promote it once it has caught up`,
        {
          details: {
            learner,
            lagEntries: lag,
            lagEntriesMax: limits.raftLearnerPromotionLagEntriesMax,
          },
        },
      );
    }
  }

  /**
   * Ask for a linearizable read point. A ReadState with `requestContext` comes out of a
   * later Ready; serve the read once applied >= its index. A follower forwards to the
   * leader; without a known leader this throws CAIRN_ERR_NOT_LEADER. Reads pending when
   * leadership changes are dropped (the caller's wait times out and retries).
   */
  readIndex(requestContext: Uint8Array): void {
    if (this.role === 'leader') this.handleReadIndex(this.id, requestContext);
    else if (this.leaderId !== null)
      this.send(this.leaderId, 'readIndex', { context: requestContext });
    else throw notLeader(null);
  }

  /** Hand leadership to `toId` (a voter). A follower forwards the request to the leader. */
  transferLeader(toId: NodeId): void {
    if (!this.confState.voters.includes(toId))
      throw new RaftError('transferee-not-voter', `${toId} is not a voter`);
    if (this.role === 'leader') this.handleTransferLeader(toId);
    else if (this.leaderId !== null)
      this.send(this.leaderId, 'transferLeader', { context: new TextEncoder().encode(toId) });
    else throw notLeader(null);
  }

  /** Heartbeat responses to wait for a snapshot acknowledgement before sending again: two election timeouts. */
  private snapshotRetryHeartbeats(): number {
    return Math.ceil((2 * this.config.electionTimeoutTicks) / this.config.heartbeatTicks);
  }

  /** The transport could not reach `id`: stop pipelining to it (a snapshot in flight counts as failed). */
  reportUnreachable(id: NodeId): void {
    const progress = this.role === 'leader' ? this.progress.get(id) : undefined;
    if (progress === undefined) return;
    if (progress.state === 'replicate') progress.becomeProbe();
    else if (progress.state === 'snapshot') this.reportSnapshot(id, false);
  }

  /** The transport finished (ok) or failed sending a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const progress = this.role === 'leader' ? this.progress.get(id) : undefined;
    if (progress === undefined || progress.state !== 'snapshot') return;
    if (!ok) progress.pendingSnapshot = 0;
    // Wait for the follower's answer (or the next heartbeat) before probing.
    progress.becomeProbe();
    progress.probeSent = true;
  }

  // ---------------------------------------------------------------- Ready

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role };
  }

  hasReady(): boolean {
    if (this.readyOutstanding) return false;
    if (this.appendsToFlush) return true;
    const hard = this.hardState();
    const soft = this.softState();
    const previous = this.previousHardState;
    return (
      hard.term !== previous.term ||
      hard.vote !== previous.vote ||
      hard.commit !== previous.commit ||
      soft.leaderId !== this.previousSoftState.leaderId ||
      soft.role !== this.previousSoftState.role ||
      this.log.unstable.entries.length > 0 ||
      this.log.unstable.snapshot !== undefined ||
      this.outbox.length > 0 ||
      this.readStates.length > 0 ||
      this.log.hasNextCommittedEntries()
    );
  }

  /** Collect what the driver must do. Call advance(ready) before the next ready(). */
  ready(): Ready {
    assert(!this.readyOutstanding, 'advance the previous Ready first');
    this.flushAppends();
    this.readyOutstanding = true;
    const hard = this.hardState();
    const soft = this.softState();
    const previous = this.previousHardState;
    const hardChanged =
      hard.term !== previous.term || hard.vote !== previous.vote || hard.commit !== previous.commit;
    const softChanged =
      soft.leaderId !== this.previousSoftState.leaderId ||
      soft.role !== this.previousSoftState.role;
    const entries = this.log.unstableEntries();
    const snapshot = this.log.unstable.snapshot;
    const ready: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      mustSync:
        entries.length > 0 ||
        hard.term !== previous.term ||
        hard.vote !== previous.vote ||
        snapshot !== undefined,
      messages: this.outbox,
      committedEntries: this.log.nextCommittedEntries(limits.raftReadyCommittedBytesMax),
      ...(snapshot === undefined ? {} : { snapshot }),
      readStates: this.readStates,
    };
    this.outbox = [];
    this.readStates = [];
    this.previousHardState = hard;
    this.previousSoftState = soft;
    return ready;
  }

  /** The driver persisted, sent and applied `ready`. */
  advance(ready: Ready): void {
    assert(this.readyOutstanding, 'advance follows ready');
    this.readyOutstanding = false;
    if (ready.snapshot !== undefined) {
      this.log.unstable.stableSnapshotTo(ready.snapshot.metadata.index);
      if (ready.snapshot.metadata.index > this.log.applied)
        this.log.appliedTo(ready.snapshot.metadata.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) this.log.unstable.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      for (const entry of ready.committedEntries)
        if (entry.type === 'confChange') this.applyCommittedConfChange(entry);
      this.log.appliedTo(lastCommitted.index);
      if (this.role === 'leader')
        this.uncommittedBytes = Math.max(
          0,
          this.uncommittedBytes - entriesSizeBytes(ready.committedEntries),
        );
    }
    if (
      this.role === 'leader' &&
      lastEntry !== undefined &&
      this.log.unstable.snapshot === undefined
    ) {
      // Our own entries count toward commit only once they are on our disk.
      const self = this.progress.get(this.id);
      if (self?.maybeUpdate(this.log.stableLastIndex()) && this.maybeCommit())
        this.broadcastAppend();
    }
  }

  private applyCommittedConfChange(entry: Entry): void {
    // Already covered by a snapshot installed since this entry was handed out.
    if (entry.index <= this.confStateIndex) return;
    this.confStateIndex = entry.index;
    this.confState = applyConfChange(this.confState, decodeConfChange(entry.data));
    if (this.role !== 'leader') return;
    const members = new Set([...this.confState.voters, ...this.confState.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const progress = this.progress.get(id);
      if (progress === undefined) this.addProgress(id, this.log.lastIndex());
      else progress.isLearner = this.confState.learners.includes(id);
    }
    if (this.leadTransferee !== null && !members.has(this.leadTransferee))
      this.leadTransferee = null;
    // Removed: keep leading (not counting ourselves) until a remaining voter takes over,
    // so the voters learn the commit index and no entry of ours blocks their election.
    if (!this.confState.voters.includes(this.id)) this.handOverLeadership();
    // The quorum changed: the commit index may move, and new members need entries.
    this.maybeCommit();
    this.broadcastAppend();
    this.releaseConfirmedReads();
  }

  // ---------------------------------------------------------------- status

  status(): RaftStatus {
    const progress: Record<NodeId, ProgressStatus> = {};
    if (this.role === 'leader')
      for (const [id, value] of this.progress) progress[id] = value.status();
    return {
      id: this.id,
      groupId: this.groupId,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leaderId: this.leaderId,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      confState: { voters: [...this.confState.voters], learners: [...this.confState.learners] },
      progress,
      leadTransferee: this.leadTransferee,
    };
  }
}
