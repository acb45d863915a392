// The one loop of a node (DESIGN.md section 3): take a Ready from the Raft core,
// persist it (one fdatasync for everything appended since the last), send its
// messages, apply its committed entries (one LMDB transaction), then advance. Inputs
// (ticks, peer messages, proposals, reads) only step the core and schedule the loop,
// so proposals that arrive while a sync is running share the next sync.
//
// A storage failure inside the loop is fatal: the node stops rather than go on with a
// state it cannot vouch for (the supervisor restarts it from disk).

import type {
  Entry,
  Message,
  RaftNode,
  Ready,
  ReadState,
  Snapshot,
  SoftState,
} from '../raft/index.js';
import type { MemoryLogStorage } from '../raft/index.js';
import type { RaftLog } from '../storage/raft-log.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';

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

/** Two election timeouts of the default configuration. */
const readRoundTimeoutTicks = 20;

interface ProposalWaiter {
  readonly term: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface ReadWaiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
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
  /** Reads waiting for their round: all of them share the next ReadIndex request. */
  private queuedReads: ReadWaiter[] = [];
  private readonly readRounds = new Map<string, { waiters: ReadWaiter[]; startedTick: number }>();
  private ticks = 0;
  private readRoundCounter = 0;
  /** Reads whose index is known, waiting for apply to reach it. */
  private readonly readsAwaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];
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
    // After a crash between installing a leader's snapshot (durable in the state store at
    // once) and the sync of the log's snapshot record, the state is ahead of the durable
    // log: record the boundary again, or the next append would leave a gap in the log.
    const snapshot = options.memory.snapshot().metadata;
    if (snapshot.index > options.durableLog.lastIndex())
      options.durableLog.installSnapshot({ index: snapshot.index, term: snapshot.term });
  }

  get appliedIndex(): number {
    return this.appliedIndexValue;
  }

  tick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.expireReadRounds();
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
    const position = this.options.raft.proposeConfChange(change);
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
    const promise = new Promise<void>((resolve, reject) =>
      this.queuedReads.push({ resolve, reject }),
    );
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
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      this.startReadRound();
      const readyMax = this.options.readyPerIterationMax ?? 64;
      for (
        let count = 0;
        count < readyMax && this.options.raft.hasReady() && !this.stopped;
        count++
      ) {
        const ready = this.options.raft.ready();
        await this.handleReady(ready);
        this.options.raft.advance(ready);
      }
      this.statistics.iterations++;
    } catch (error) {
      this.fail(error);
      return;
    } finally {
      this.running = false;
    }
    if (this.options.raft.hasReady() || this.queuedReads.length > 0) this.schedule();
  }

  private startReadRound(): void {
    if (this.queuedReads.length === 0) return;
    const context = new TextEncoder().encode(`r${++this.readRoundCounter}`);
    const waiters = this.queuedReads;
    this.queuedReads = [];
    try {
      this.options.raft.readIndex(context);
      this.readRounds.set(`r${this.readRoundCounter}`, { waiters, startedTick: this.ticks });
      this.statistics.readRounds++;
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    const { memory, durableLog } = this.options;
    if (ready.softState !== undefined) this.onSoftState(ready.softState);
    if (ready.snapshot !== undefined) {
      await this.options.stateMachine.installSnapshot(ready.snapshot);
      memory.applySnapshot(ready.snapshot);
      durableLog.installSnapshot({
        index: ready.snapshot.metadata.index,
        term: ready.snapshot.metadata.term,
      });
      this.appliedIndexValue = Math.max(this.appliedIndexValue, ready.snapshot.metadata.index);
      this.failProposalsUpTo(ready.snapshot.metadata.index);
      this.options.onSnapshotInstalled?.();
    }
    if (ready.entries.length > 0) {
      memory.append(ready.entries);
      durableLog.append(ready.entries);
      this.statistics.entriesPersisted += ready.entries.length;
    }
    if (ready.hardState !== undefined) {
      memory.setHardState(ready.hardState);
      durableLog.setHardState(ready.hardState);
    }
    const sendEarly = this.options.testOnlySendBeforeSync === true;
    if (sendEarly && ready.messages.length > 0) this.options.send(ready.messages);
    if (ready.mustSync || ready.snapshot !== undefined) {
      await durableLog.sync();
      this.statistics.syncs++;
    }
    this.options.onReadyPersisted?.(ready);
    // Votes and acknowledgements leave only now, after what they vouch for is on disk.
    if (!sendEarly && ready.messages.length > 0) this.options.send(ready.messages);
    if (ready.committedEntries.length > 0) await this.applyCommitted(ready.committedEntries);
    for (const readState of ready.readStates) this.onReadState(readState);
    this.releaseReads();
  }

  private async applyCommitted(entries: readonly Entry[]): Promise<void> {
    const results = await this.options.stateMachine.apply(entries);
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
    if (state.role !== 'leader') {
      // Read rounds of a former leader may never be answered.
      for (const [key, round] of this.readRounds) {
        this.readRounds.delete(key);
        for (const waiter of round.waiters)
          waiter.reject(
            new CairnError('CAIRN_ERR_NOT_LEADER', 'leadership changed during a read; retry'),
          );
      }
    }
    this.options.onSoftState?.(state);
  }

  private onReadState(readState: ReadState): void {
    const key = new TextDecoder().decode(readState.requestContext);
    const round = this.readRounds.get(key);
    if (round === undefined) return;
    this.readRounds.delete(key);
    this.readsAwaitingApply.push({ index: readState.index, waiters: round.waiters });
  }

  private releaseReads(): void {
    for (let position = this.readsAwaitingApply.length - 1; position >= 0; position--) {
      const pending = this.readsAwaitingApply[position] as { index: number; waiters: ReadWaiter[] };
      if (pending.index > this.appliedIndexValue) continue;
      this.readsAwaitingApply.splice(position, 1);
      for (const waiter of pending.waiters) waiter.resolve();
    }
  }

  /** A round whose answer was lost (a dropped message, a partition) fails so the client can retry. */
  private expireReadRounds(): void {
    for (const [key, round] of this.readRounds) {
      if (this.ticks - round.startedTick < readRoundTimeoutTicks) continue;
      this.readRounds.delete(key);
      for (const waiter of round.waiters)
        waiter.reject(
          new CairnError('CAIRN_ERR_TIMEOUT', 'the leader did not confirm the read in time; retry'),
        );
    }
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
    for (const waiter of this.queuedReads) waiter.reject(reason);
    this.queuedReads = [];
    for (const round of this.readRounds.values())
      for (const waiter of round.waiters) waiter.reject(reason);
    this.readRounds.clear();
    for (const pending of this.readsAwaitingApply)
      for (const waiter of pending.waiters) waiter.reject(reason);
    this.readsAwaitingApply.length = 0;
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
