// The meta group (DESIGN.md section 1): one Raft group's core, driver, in-memory and
// durable logs, snapshots, proposals, read barriers, soft state and membership view. A
// value, not a singleton: a node may later host several. Services reach it through
// the narrow interfaces they declare; nothing here knows HTTP.

import type { MemberAddressing } from '../api/index.js';
import {
  commandChangesMembership,
  encodeCommand,
  readIdentity as readClusterIdentity,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
} from '../meta/index.js';
import type { Entry, MemoryLogStorage, Message, RaftNode, SoftState } from '../raft/index.js';
import type { RaftLog } from '../storage/raft-log.js';
import type { SnapshotFiles } from '../storage/snapshot-files.js';
import { callRaft } from './raft-errors.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { DutyScheduler } from './duty-scheduler.js';
import { Snapshotter } from './group-snapshots.js';
import { writeIdentity, type NodeIdentity } from './identity.js';
import { MembershipView } from './membership-view.js';
import type { MetaStateMachine } from './meta-state-machine.js';
import { buildMemoryLog, createRaftNode, writeFoundingState } from './raft-group.js';
import { RaftDriver, type DriverObserver } from './raft-driver.js';
import type { TestHooks } from './test-hooks.js';
import { whileChangePending, withTimeout } from './timeouts.js';

const proposalTimeoutMilliseconds = 15_000;
const readTimeoutMilliseconds = 10_000;
const stopIdleMilliseconds = 5_000;

export type RaftStatus = ReturnType<RaftNode['status']>;
export type ConfChange = Parameters<RaftNode['proposeConfChange']>[0];
type Log = (event: string, fields?: Record<string, unknown>) => void;

/** What the group sends through and tells about peers (the peer transport, above). */
export interface GroupTransport {
  send(messages: readonly Message[]): void;
  setPeerAddress(memberId: string, address: string): void;
}

export interface MetaGroupOptions {
  readonly nodeId: string;
  readonly dataDirectory: string;
  readonly snapshotIntervalEntries: number;
  readonly stateMachine: MetaStateMachine;
  /** Where snapshots are files (the state machine's); absent: snapshots in memory. */
  readonly snapshotFiles?: SnapshotFiles;
  /** The state store's applied index (durable), read when Raft starts. */
  readonly storedAppliedIndex: () => number;
  readonly durableLog: RaftLog;
  readonly replayed: Awaited<ReturnType<typeof RaftLog.open>>['replayed'];
  readonly identity: NodeIdentity | undefined;
  readonly transport: GroupTransport;
  readonly testHooks: TestHooks;
  readonly log: Log;
  readonly onFatal: (error: unknown) => void;
  /** Durations and events for /metrics. */
  readonly observer?: GroupObserver;
}

export interface GroupObserver extends DriverObserver {
  committed(seconds: number): void;
  proposalFailed(reason: string): void;
  leaderSeen(leaderId: string | null): void;
}

export class MetaGroup {
  private identityValue: NodeIdentity | undefined;
  private raft: RaftNode | undefined;
  private driver: RaftDriver | undefined;
  private snapshotter: Snapshotter | undefined;
  private softState: SoftState = { leaderId: null, role: 'follower' };
  private fatalError: unknown;
  readonly membership: MembershipView;
  readonly duties: DutyScheduler;

  constructor(private readonly options: MetaGroupOptions) {
    this.identityValue = options.identity;
    this.membership = new MembershipView({
      reader: () => options.stateMachine.reader(),
      knownBeforeRecorded: () =>
        this.identityValue?.founding?.members ?? this.identityValue?.joinedWith ?? [],
      routeOf: (memberId, advertised) => this.routeOf(memberId, advertised),
    });
    this.duties = new DutyScheduler((duty, error) =>
      options.log('leader-duty-failed', {
        duty,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  identity(): NodeIdentity | undefined {
    return this.identityValue;
  }

  /** Becomes a member of a cluster (bootstrap or join): records the identity, starts Raft. */
  async adoptIdentity(identity: NodeIdentity): Promise<void> {
    if (this.identityValue !== undefined) {
      throw new CairnError(
        'CAIRN_ERR_ALREADY_IN_CLUSTER',
        `node ${this.nodeId} already belongs to cluster ${this.identityValue.clusterId}`,
      );
    }
    writeIdentity(this.options.dataDirectory, identity);
    this.identityValue = identity;
    this.membership.invalidate();
    await this.start();
  }

  /** Opens the Raft group from disk (after bootstrap or join, or at restart). */
  async start(): Promise<void> {
    const identity = this.identityValue;
    assert(identity !== undefined && this.driver === undefined, 'start once, with an identity');
    const { stateMachine, durableLog } = this.options;
    if (identity.founding !== undefined && this.options.storedAppliedIndex() === 0) {
      await writeFoundingState(stateMachine, durableLog, {
        voters: identity.founding.members.map((member) => member.id),
        learners: [],
      });
    }
    const appliedIndex = this.options.storedAppliedIndex();
    const memory = await buildMemoryLog(this.replayedFor(appliedIndex), stateMachine, appliedIndex);
    const raft = createRaftNode(identity.nodeId, memory, appliedIndex);
    this.raft = raft;
    this.refreshPeers();
    const driver = new RaftDriver({
      raft,
      memory,
      durableLog,
      stateMachine,
      send: (messages) => this.options.transport.send(messages),
      onSoftState: (state) => this.onSoftState(state),
      onApplied: (entries) => this.onApplied(entries),
      onSnapshotInstalled: () => {
        this.snapshotter?.onInstalled();
        this.onMembershipMayHaveChanged();
      },
      onFatal: (error) => this.onFatal(error),
      ...(this.options.observer === undefined ? {} : { observer: this.options.observer }),
    });
    this.driver = driver;
    this.snapshotter = groupSnapshotter(this.options, driver, memory, appliedIndex);
    this.options.log('raft-started', {
      clusterId: identity.clusterId,
      applied: appliedIndex,
      lastIndex: memory.lastIndex(),
    });
    driver.schedule();
  }

  /** A founding member's first start: the founding state counts as snapshot 1. */
  private replayedFor(appliedIndex: number): MetaGroupOptions['replayed'] {
    const replayed = this.options.replayed;
    if (!(appliedIndex === 1 && replayed.snapshot.index === 0)) return replayed;
    if (this.identityValue?.founding === undefined) return replayed;
    return {
      ...replayed,
      snapshot: { index: 1, term: 1 },
      hardState: {
        term: Math.max(1, replayed.hardState.term),
        vote: replayed.hardState.vote,
        commit: Math.max(1, replayed.hardState.commit),
      },
    };
  }

  /** One tick of the group's clock: Raft, then the duties due. */
  tick(): void {
    if (this.driver === undefined) return;
    this.driver.tick();
    this.duties.tick(this.isLeader());
  }

  step(messages: readonly Message[]): void {
    this.driver?.step(messages);
  }

  reportUnreachable(peer: string): void {
    this.raft?.reportUnreachable(peer);
  }

  reportSnapshot(peer: string, delivered: boolean): void {
    this.raft?.reportSnapshot(peer, delivered);
    this.driver?.schedule();
  }

  private onSoftState(state: SoftState): void {
    const previous = this.softState;
    this.softState = state;
    this.options.observer?.leaderSeen(state.leaderId);
    if (state.leaderId !== previous.leaderId || state.role !== previous.role)
      this.options.log('raft-role', {
        role: state.role,
        leader: state.leaderId,
        term: this.raft?.status().term,
      });
    if (state.role === 'leader' && previous.role !== 'leader') this.duties.onBecameLeader();
  }

  private onApplied(entries: readonly Entry[]): void {
    if (entries.some(entryChangesMembership)) this.onMembershipMayHaveChanged();
    this.snapshotter?.onApplied(this.driver?.appliedIndex ?? 0);
  }

  private onMembershipMayHaveChanged(): void {
    this.membership.invalidate();
    this.refreshPeers();
  }

  /** Peer addresses: founding members until the meta state knows the members. */
  private refreshPeers(): void {
    for (const member of this.membership.members()) {
      if (member.id === this.nodeId) continue;
      const address = this.membership.peerAddressOf(member.id) ?? member.peerAddress;
      this.options.transport.setPeerAddress(member.id, address);
    }
  }

  private onFatal(error: unknown): void {
    this.fatalError = error;
    this.options.log('fatal', { error: error instanceof Error ? error.message : String(error) });
    this.options.onFatal(error);
  }

  // ------------------------------------------------------------------ what services use

  reader(): MetaReader {
    return this.options.stateMachine.reader();
  }

  /** The meta state at one applied index, held until closed (backups). */
  openReadView(): ReturnType<MetaStateMachine['openReadView']> {
    return this.options.stateMachine.openReadView();
  }

  isLeader(): boolean {
    return this.softState.role === 'leader';
  }

  leaderId(): string | null {
    return this.softState.leaderId;
  }

  softStateValue(): SoftState {
    return this.softState;
  }

  isMember(): boolean {
    return this.driver !== undefined;
  }

  status(): RaftStatus | undefined {
    return this.raft?.status();
  }

  appliedIndex(): number {
    return this.driver?.appliedIndex ?? 0;
  }

  driverStatistics(): RaftDriver['statistics'] | undefined {
    return this.driver?.statistics;
  }

  members(): MemberAddressing[] {
    return this.membership.members();
  }

  peerAddressOf(memberId: string): string | undefined {
    return this.membership.peerAddressOf(memberId);
  }

  /** Where to reach a peer: its advertised address, or a test proxy (CAIRN_TEST_PEER_ROUTES). */
  routeOf(memberId: string, advertised: string): string {
    return this.options.testHooks.peerRoutes.get(memberId) ?? advertised;
  }

  clusterRecorded(): boolean {
    return readClusterIdentity(this.reader()) !== undefined;
  }

  /** Throws NOT_IN_CLUSTER before bootstrap or join. */
  requireMember(): void {
    this.requireDriver();
  }

  private requireDriver(): RaftDriver {
    if (this.driver === undefined) {
      throw new CairnError(
        'CAIRN_ERR_NOT_IN_CLUSTER',
        `node ${this.nodeId} belongs to no cluster yet; run cairn bootstrap or cairn join first`,
      );
    }
    return this.driver;
  }

  /** Proposes a meta command and waits for its result, bounded in time. */
  async propose(command: MetaCommand): Promise<MetaResult> {
    const proposal = this.requireDriver().propose(encodeCommand(command));
    const message = 'the write was not committed in time; its outcome is unknown';
    return (await observedProposal(this.options.observer, proposal, message)) as MetaResult;
  }

  /** Proposals waiting for their result, and why the loop is stalled (a full disk). */
  loopState(): { proposalsPending: number; stalled: RaftDriver['stalled'] } {
    return { proposalsPending: this.driver?.proposalsPending ?? 0, stalled: this.driver?.stalled };
  }

  /** `command` rides in the change's context: both apply in one entry; its result. */
  async proposeConfChange(
    change: ConfChange,
    command?: MetaCommand,
  ): Promise<MetaResult | undefined> {
    const driver = this.requireDriver();
    const context = command === undefined ? {} : { context: encodeCommand(command) };
    const message = 'the membership change was not committed in time; its outcome is unknown';
    const result = await whileChangePending(() =>
      observedProposal(
        this.options.observer,
        driver.proposeConfChange({ ...change, ...context }),
        message,
      ),
    );
    return result as MetaResult | undefined;
  }

  transferLeader(to: string): void {
    callRaft(() => this.raft?.transferLeader(to));
    this.driver?.schedule();
  }

  /** Resolves once local state may serve a linearizable read (serializable: at once). */
  async readBarrier(consistency: 'linearizable' | 'serializable'): Promise<void> {
    const driver = this.requireDriver();
    if (consistency === 'serializable' || this.options.testHooks.injectedBug === 'stale-reads')
      return;
    await withTimeout(
      driver.readBarrier(),
      readTimeoutMilliseconds,
      'the read could not be confirmed by a quorum in time; retry',
    );
  }

  health(): { ok: boolean; ready: boolean; reason: string } {
    if (this.fatalError !== undefined)
      return { ok: false, ready: false, reason: 'stopped after a storage failure' };
    if (this.driver === undefined)
      return { ok: true, ready: false, reason: 'not in a cluster yet' };
    if (this.softState.leaderId === null)
      return { ok: true, ready: false, reason: 'no leader known' };
    return { ok: true, ready: true, reason: 'ok' };
  }

  async stop(): Promise<void> {
    this.duties.stop();
    this.driver?.stop(new CairnError('CAIRN_ERR_UNAVAILABLE', 'the node is shutting down'));
    await this.driver?.idle(stopIdleMilliseconds);
  }
}

function groupSnapshotter(
  options: MetaGroupOptions,
  driver: RaftDriver,
  memory: MemoryLogStorage,
  appliedIndex: number,
): Snapshotter {
  const { stateMachine, durableLog, snapshotFiles, log } = options;
  return new Snapshotter({
    ...{ stateMachine, durableLog, memory, driver, log },
    intervalEntries: options.snapshotIntervalEntries,
    lastSnapshotIndex: appliedIndex,
    ...(snapshotFiles === undefined ? {} : { files: snapshotFiles }),
  });
}

/** Waits for a proposal, bounded in time; reports its latency or its failure's code. */
async function observedProposal(
  observer: GroupObserver | undefined,
  proposal: Promise<unknown>,
  timeoutMessage: string,
): Promise<unknown> {
  const started = performance.now();
  try {
    const result = await withTimeout(proposal, proposalTimeoutMilliseconds, timeoutMessage);
    observer?.committed((performance.now() - started) / 1000);
    return result;
  } catch (error) {
    observer?.proposalFailed(error instanceof CairnError ? error.code : 'CAIRN_ERR_INTERNAL');
    throw error;
  }
}

/** A configuration change, or a meta command that may change members or rings. */
function entryChangesMembership(entry: Entry): boolean {
  if (entry.type === 'confChange') return true;
  return entry.data.length > 0 && commandChangesMembership(entry.data);
}
