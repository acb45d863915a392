// The one loop of a node (DESIGN.md section 3): take a Ready from the Raft core,
// persist it (one fdatasync for everything appended since the last), send its
// messages, apply its committed entries (one LMDB transaction), then advance. Inputs
// (ticks, peer messages, proposals, reads) only step the core and schedule the loop,
// so proposals that arrive while a sync is running share the next sync.
//
// A storage failure inside the loop is fatal: the node stops rather than go on with a
// state it cannot vouch for (the supervisor restarts it from disk). Except a full disk
// (issue 13): the WAL keeps unwritten records for the next sync and an LMDB batch is
// all or nothing, so the loop stalls on the same Ready (not advanced, nothing
// acknowledged beyond what is durable), retries it every diskFullRetryMilliseconds and
// goes on by itself once space frees; the leader's flow control bounds what piles up.

import type { Entry, Message, RaftNode, Ready, Snapshot, SoftState } from '../raft/index.js';
import type { MemoryLogStorage } from '../raft/index.js';
import type { RaftLog } from '../storage/raft-log.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { callRaft } from './raft-errors.js';
import { ReadRounds } from './read-rounds.js';

export interface AppliedStateMachine {
  /** Applies committed entries durably; returns each normal entry's result by index. */
  apply(entries: readonly Entry[]): Promise<Map<number, unknown>>;
  /** Replaces the state with a leader's snapshot (durable when this resolves). */
  installSnapshot(snapshot: Snapshot): Promise<void>;
}

/** Where the driver's deferred work and waits run; the simulator gives its own clock. */
export interface DriverScheduler {
  /** Runs `task` after the current call stack (default setImmediate). */
  defer(task: () => void): void;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now(): number;
  /** Resolves after about `milliseconds` (default setTimeout). */
  sleep(milliseconds: number): Promise<void>;
}

const realScheduler: DriverScheduler = {
  defer: (task) => setImmediate(task),
  now: () => performance.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

export interface DriverOptions {
  readonly raft: RaftNode;
  readonly memory: MemoryLogStorage;
  readonly durableLog: RaftLog;
  readonly stateMachine: AppliedStateMachine;
  readonly send: (messages: readonly Message[]) => void;
  readonly onSoftState?: (state: SoftState) => void;
  readonly onApplied?: (entries: readonly Entry[]) => void;
  /** After a snapshot from the leader replaced the state machine's state. */
  readonly onSnapshotInstalled?: () => void;
  readonly onFatal: (error: unknown) => void;
  readonly readyPerIterationMax?: number;
  /** Durations for /metrics (seconds). */
  readonly observer?: DriverObserver;
  /** Default: the real event loop and clock. */
  readonly scheduler?: DriverScheduler;
  /** Observation (the simulator's safety checks): a Ready's entries and hard state are durable. */
  readonly onReadyPersisted?: (ready: Ready) => void;
  /**
   * TEST ONLY, a planted bug for the simulator: a Ready's messages (votes, append
   * acknowledgements) leave before its fsync. Never set in production.
   */
  readonly testOnlySendBeforeSync?: boolean;
}

export interface DriverObserver {
  walSynced(seconds: number): void;
  applied(seconds: number): void;
}

/** How often a loop stalled on a full disk tries its Ready again. */
const diskFullRetryMilliseconds = 1_000;

/** The steps of one Ready done so far, so a retry after a full disk repeats none. */
interface PendingReady {
  readonly ready: Ready;
  softStateSeen: boolean;
  snapshotInstalled: boolean;
  buffered: boolean;
  synced: boolean;
  sent: boolean;
  applied: boolean;
}

const notDone = {
  softStateSeen: false,
  snapshotInstalled: false,
  buffered: false,
  synced: false,
  sent: false,
  applied: false,
};

interface ProposalWaiter {
  readonly term: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * After a crash between installing a leader's snapshot (durable in the state store at
 * once) and the sync of the log's snapshot record, the state is ahead of the durable
 * log: record the boundary again, or the next append would leave a gap in the log.
 */
function recordSnapshotBoundary(options: DriverOptions): void {
  const snapshot = options.memory.snapshot().metadata;
  if (snapshot.index > options.durableLog.lastIndex())
    options.durableLog.installSnapshot({ index: snapshot.index, term: snapshot.term });
}

function proposalDropped(index: number): CairnError {
  return new CairnError(
    'CAIRN_ERR_PROPOSAL_DROPPED',
    'the proposal was lost in a leader change; retry',
    {
      details: { index },
    },
  );
}

export class RaftDriver {
  private scheduled = false;
  private running = false;
  private stopped = false;
  private appliedIndexValue: number;
  private readonly proposals = new Map<number, ProposalWaiter>();
  private readonly reads = new ReadRounds();
  private ticks = 0;
  /** A Ready whose persist or apply met a full disk: retried before any other. */
  private pending: PendingReady | undefined;
  private stalledSince: { at: number; error: string } | undefined;
  /** A full disk stalled the loop: it retries once this wait is over. */
  private retryWaiting = false;
  readonly statistics = {
    iterations: 0,
    syncs: 0,
    entriesPersisted: 0,
    entriesApplied: 0,
    readRounds: 0,
  };

  private readonly scheduler: DriverScheduler;

  constructor(private readonly options: DriverOptions) {
    this.appliedIndexValue = options.raft.status().applied;
    this.scheduler = options.scheduler ?? realScheduler;
    recordSnapshotBoundary(options);
  }

  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  /** Why the loop is stalled (a full disk) and since when; undefined while it runs. */
  get stalled(): { readonly at: number; readonly error: string } | undefined {
    return this.stalledSince;
  }

  /** Proposals waiting for their result. */
  get proposalsPending(): number {
    return this.proposals.size;
  }

  tick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.reads.expire(this.ticks);
    this.options.raft.tick();
    this.schedule();
  }

  step(messages: readonly Message[]): void {
    if (this.stopped) return;
    for (const message of messages) this.options.raft.step(message);
    this.schedule();
  }

  /** Proposes `data`; resolves with the state machine's result once applied. */
  propose(data: Uint8Array): Promise<unknown> {
    const position = this.options.raft.propose(data);
    return this.waitForProposal(position.index, position.term);
  }

  proposeConfChange(change: Parameters<RaftNode['proposeConfChange']>[0]): Promise<unknown> {
    const position = callRaft(() => this.options.raft.proposeConfChange(change));
    return this.waitForProposal(position.index, position.term);
  }

  private waitForProposal(index: number, term: number): Promise<unknown> {
    const replaced = this.proposals.get(index);
    if (replaced !== undefined) {
      // Our own earlier proposal at this index, from an earlier term of leadership, was
      // overwritten before it applied here: a leader of a later term holds every
      // committed entry, so proposing at this index again proves it never committed.
      assert(replaced.term < term, `one waiter per proposal index ${index} and term`);
      this.proposals.delete(index);
      replaced.reject(proposalDropped(index));
    }
    const promise = new Promise<unknown>((resolve, reject) =>
      this.proposals.set(index, { term, resolve, reject }),
    );
    this.schedule();
    return promise;
  }

  /** Resolves when a linearizable read may be served from local state. */
  readBarrier(): Promise<void> {
    const promise = this.reads.enqueue();
    this.schedule();
    return promise;
  }

  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.scheduler.defer(() => {
      this.scheduled = false;
      void this.iterate();
    });
  }

  private async iterate(): Promise<void> {
    if (this.running || this.stopped || this.retryWaiting) return;
    this.running = true;
    try {
      const raft = this.options.raft;
      if (this.reads.start((context) => raft.readIndex(context), this.ticks))
        this.statistics.readRounds++;
      const readyMax = this.options.readyPerIterationMax ?? 64;
      for (let count = 0; count < readyMax && !this.stopped; count++) {
        if (this.pending === undefined && !this.options.raft.hasReady()) break;
        this.pending ??= { ready: this.options.raft.ready(), ...notDone };
        if (!(await this.runPending(this.pending))) return;
        this.options.raft.advance(this.pending.ready);
        this.pending = undefined;
      }
      this.statistics.iterations++;
    } catch (error) {
      this.fail(error);
      return;
    } finally {
      this.running = false;
    }
    if (this.options.raft.hasReady() || this.reads.hasQueued) this.schedule();
  }

  /** Runs what is left of a Ready; false when a full disk stalled it (retried later). */
  private async runPending(pending: PendingReady): Promise<boolean> {
    try {
      await this.handleReady(pending);
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      this.stalledSince ??= { at: Date.now(), error: message };
      this.retryWaiting = true;
      void this.scheduler.sleep(diskFullRetryMilliseconds).then(() => {
        this.retryWaiting = false;
        this.schedule();
      });
      return false;
    }
    this.stalledSince = undefined;
    return true;
  }

  private async handleReady(pending: PendingReady): Promise<void> {
    const { ready } = pending;
    if (!pending.softStateSeen) {
      if (ready.softState !== undefined) this.onSoftState(ready.softState);
      pending.softStateSeen = true;
    }
    if (!pending.snapshotInstalled) {
      if (ready.snapshot !== undefined) await this.installSnapshot(ready.snapshot);
      pending.snapshotInstalled = true;
    }
    if (!pending.buffered) {
      this.bufferReady(ready);
      pending.buffered = true;
    }
    if (!pending.synced) {
      // TEST ONLY (the simulator's planted bug): messages leave before their fsync.
      if (this.options.testOnlySendBeforeSync === true && !pending.sent) {
        if (ready.messages.length > 0) this.options.send(ready.messages);
        pending.sent = true;
      }
      if (ready.mustSync || ready.snapshot !== undefined) {
        const syncStarted = this.scheduler.now();
        await this.options.durableLog.sync();
        this.options.observer?.walSynced((this.scheduler.now() - syncStarted) / 1000);
        this.statistics.syncs++;
      }
      pending.synced = true;
      this.options.onReadyPersisted?.(ready);
    }
    // Votes and acknowledgements leave only now, after what they vouch for is on disk.
    if (!pending.sent) {
      if (ready.messages.length > 0) this.options.send(ready.messages);
      pending.sent = true;
    }
    if (!pending.applied) {
      if (ready.committedEntries.length > 0) await this.applyCommitted(ready.committedEntries);
      pending.applied = true;
    }
    for (const readState of ready.readStates) this.reads.onReadState(readState);
    this.reads.release(this.appliedIndexValue);
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    await this.options.stateMachine.installSnapshot(snapshot);
    this.options.memory.applySnapshot(snapshot);
    this.options.durableLog.installSnapshot({
      index: snapshot.metadata.index,
      term: snapshot.metadata.term,
    });
    this.appliedIndexValue = Math.max(this.appliedIndexValue, snapshot.metadata.index);
    this.failProposalsUpTo(snapshot.metadata.index);
    this.options.onSnapshotInstalled?.();
  }

  /** The in-memory steps of a Ready and the WAL appends (buffered until the sync). */
  private bufferReady(ready: Ready): void {
    const { memory, durableLog } = this.options;
    if (ready.entries.length > 0) {
      memory.append(ready.entries);
      durableLog.append(ready.entries);
      this.statistics.entriesPersisted += ready.entries.length;
    }
    if (ready.hardState !== undefined) {
      memory.setHardState(ready.hardState);
      durableLog.setHardState(ready.hardState);
    }
  }

  private async applyCommitted(entries: readonly Entry[]): Promise<void> {
    const applyStarted = performance.now();
    const results = await this.options.stateMachine.apply(entries);
    this.options.observer?.applied((performance.now() - applyStarted) / 1000);
    const last = entries[entries.length - 1] as Entry;
    this.appliedIndexValue = last.index;
    this.statistics.entriesApplied += entries.length;
    for (const entry of entries) {
      const waiter = this.proposals.get(entry.index);
      if (waiter === undefined) continue;
      this.proposals.delete(entry.index);
      if (waiter.term === entry.term) waiter.resolve(results.get(entry.index));
      // Another leader's entry took this index: ours was never committed; safe to retry.
      else waiter.reject(proposalDropped(entry.index));
    }
    this.options.onApplied?.(entries);
  }

  private onSoftState(state: SoftState): void {
    if (state.role !== 'leader') this.reads.leadershipLost();
    this.options.onSoftState?.(state);
  }

  private failProposalsUpTo(index: number): void {
    for (const [proposalIndex, waiter] of this.proposals) {
      if (proposalIndex > index) continue;
      this.proposals.delete(proposalIndex);
      waiter.reject(
        new CairnError(
          'CAIRN_ERR_UNAVAILABLE',
          'a snapshot replaced the log; the outcome of this write is unknown',
          { details: { outcome: 'unknown' } },
        ),
      );
    }
  }

  /** Fails every waiter (shutdown or fatal error). */
  stop(reason: CairnError): void {
    this.stopped = true;
    for (const waiter of this.proposals.values()) waiter.reject(reason);
    this.proposals.clear();
    this.reads.rejectAll(reason);
  }

  /**
   * Runs `task` while the loop is paused (no persist, no apply), so it sees the state
   * machine at one applied index. Inputs keep stepping the core meanwhile.
   */
  async runExclusive<T>(task: () => Promise<T>, timeoutMilliseconds: number): Promise<T> {
    const deadline = this.scheduler.now() + timeoutMilliseconds;
    for (let attempt = 0; this.running && attempt < 1_000_000; attempt++) {
      if (this.scheduler.now() > deadline)
        throw new CairnError('CAIRN_ERR_TIMEOUT', 'the raft loop stayed busy');
      await this.scheduler.sleep(1);
    }
    this.running = true;
    try {
      return await task();
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** Resolves when the loop is idle (for a clean shutdown). */
  async idle(timeoutMilliseconds: number): Promise<void> {
    const deadline = this.scheduler.now() + timeoutMilliseconds;
    for (
      let attempt = 0;
      this.running && this.scheduler.now() < deadline && attempt < 100_000;
      attempt++
    ) {
      await this.scheduler.sleep(5);
    }
  }

  private fail(error: unknown): void {
    this.stop(
      new CairnError('CAIRN_ERR_UNAVAILABLE', 'the node stopped after a storage failure', {
        details: { outcome: 'unknown' },
      }),
    );
    this.options.onFatal(error);
  }
}

/** ENOSPC or EDQUOT from the WAL (CAIRN_ERR_DISK_FULL) or LMDB (its message). */
function isDiskFull(error: unknown): boolean {
  if (error instanceof CairnError) return error.code === 'CAIRN_ERR_DISK_FULL';
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  const message = error instanceof Error ? error.message : '';
  return /ENOSPC|No space left on device|MDB_MAP_FULL/.test(message);
}
