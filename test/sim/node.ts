// One simulated machine and the processes that run on it. A process is what
// `cairn serve` runs for the meta group, with the production parts: the durable Raft
// log (src/storage/raft-log.ts, the WAL) on the machine's simulated disk, the meta
// state machine (src/node/meta-state-machine.ts over src/meta) on an in-memory state
// store that loses unflushed applies in a crash, and the real RaftDriver
// (src/node/raft-driver.ts) running the persist-send-apply loop, proposal waiters and
// read rounds. The simulator supplies the clock and scheduler, the network and the
// safety observations. Snapshots and compaction follow src/node/node.ts.

import { MetaStateMachine } from '../../src/node/meta-state-machine.js';
import {
  RaftDriver,
  type AppliedStateMachine,
  type DriverScheduler,
} from '../../src/node/raft-driver.js';
import { buildMemoryLog } from '../../src/node/raft-group.js';
import type { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import { RaftNode } from '../../src/raft/raft.js';
import type { ConfState, Entry, Message, NodeId, Ready, Snapshot } from '../../src/raft/types.js';
import { MemoryStateVolume, type MemoryStateStore } from '../../src/storage/memory-state-store.js';
import { RaftLog, type ReplayedLog } from '../../src/storage/raft-log.js';
import { assert } from '../../src/util/assert.js';
import type { Prng } from '../../src/util/prng.js';
import { MachineDisk, type SimClock, type SimProcessHandle } from './disk.js';
import type { SafetyMonitor } from './safety.js';
import { SafetyViolation } from './safety.js';

export interface RaftTuning {
  readonly electionTimeoutTicks: number;
  readonly heartbeatTicks: number;
  readonly maxSizePerMessageBytes: number;
  readonly inflightMessagesMax: number;
  readonly inflightBytesMax: number;
  /** Snapshot once this many entries were applied since the last snapshot. */
  readonly snapshotEveryEntries: number;
  /** Entries kept below a snapshot, for followers slightly behind. */
  readonly compactKeepEntries: number;
}

export interface StorageTuning {
  /** Each fsync takes 0 to this many ticks. */
  readonly syncLatencyTicksMax: number;
  readonly walSegmentBytes: number;
  readonly walPreallocate: boolean;
}

/** What a process needs from the simulation around it. */
export interface NodeHost {
  readonly groupId: string;
  readonly safety: SafetyMonitor;
  readonly bugs: ReadonlySet<string>;
  readonly clock: SimClock;
  now(): number;
  send(from: NodeId, messages: readonly Message[]): void;
  traceLine(line: string): void;
  /** Entries some process applied, with the state machine's results by index. */
  applied(entries: readonly Entry[], results: ReadonlyMap<number, unknown>): void;
  /** A failure found inside a process: a safety violation, a fatal driver error. */
  fail(error: unknown): void;
}

/** Simulated milliseconds per tick, for the driver's waits (runExclusive, idle). */
export const tickMilliseconds = 100;
const walDirectory = '/data/wal';
/** Sim entries are small: a record bound far below production's lets segments be small. */
const walRecordBytesMax = 2048;

/** The founding of a cluster: the state at index 2 (configuration at 1, bootstrap at 2). */
export interface Founding {
  readonly confState: ConfState;
  readonly bootstrapCommand: Uint8Array;
}

export class SimNode {
  process: SimProcess | null = null;
  readonly disk: MachineDisk;
  readonly volume = new MemoryStateVolume();
  stats = { restarts: 0, snapshots: 0 };

  constructor(
    readonly id: NodeId,
    prng: Prng,
    private readonly host: NodeHost,
    private readonly tuning: RaftTuning,
    private readonly storage: StorageTuning,
  ) {
    this.disk = new MachineDisk(prng.fork(), host.clock, storage.syncLatencyTicksMax);
  }

  /** The process runs its driver (started and opened, not crashed). */
  get isUp(): boolean {
    return this.process?.driver !== undefined && this.process.alive;
  }

  get driver(): RaftDriver | undefined {
    return this.isUp ? this.process?.driver : undefined;
  }

  get raft(): RaftNode | null {
    return this.isUp ? (this.process?.raft ?? null) : null;
  }

  /** Starts a process from what the disk holds (writing the founding state first if given). */
  start(prng: Prng, founding?: Founding): void {
    assert(this.process === null || !this.process.alive, 'start a stopped node');
    const process = new SimProcess(this, prng, this.host, this.tuning, this.storage);
    this.process = process;
    this.stats.restarts++;
    process.open(founding).catch((error: unknown) => {
      if (process.alive) this.host.fail(error);
    });
  }

  /** Power loss. Returns the client requests the process held (their outcome is unknown). */
  crash(keptStateBatches: number): string[] {
    const process = this.process;
    if (process === null) return [];
    process.alive = false;
    this.disk.crash();
    this.volume.crash(Math.min(keptStateBatches, this.volume.unflushedBatches()));
    return [...process.pendingRequests];
  }
}

export class SimProcess implements SimProcessHandle {
  alive = true;
  driver: RaftDriver | undefined;
  raft: RaftNode | undefined;
  memory: MemoryLogStorage | undefined;
  stateMachine: MetaStateMachine | undefined;
  durableLog: RaftLog | undefined;
  /** Client requests this process accepted and has not answered. */
  readonly pendingRequests = new Set<string>();
  /** Bug reply-before-commit: writes to acknowledge once the leader's log holds them. */
  readonly earlyReplies: { index: number; reply: () => void }[] = [];
  /** What the log holds durably, for the check that acknowledgements follow fsyncs. */
  durability: DurabilityTracker | undefined;
  private role = 'follower';
  private leaderTermAtLastReady: number | null = null;
  private commitSeen = 0;
  private appliedSeen = 0;
  private lastSnapshotIndex = 0;
  private snapshotting = false;

  constructor(
    private readonly node: SimNode,
    private readonly prng: Prng,
    private readonly host: NodeHost,
    private readonly tuning: RaftTuning,
    private readonly storage: StorageTuning,
  ) {}

  get id(): NodeId {
    return this.node.id;
  }

  scheduler(): DriverScheduler {
    return {
      defer: (task) => this.host.clock.after(this, 0, task),
      now: () => this.host.now() * tickMilliseconds,
      sleep: (milliseconds) =>
        new Promise((resolve) =>
          this.host.clock.after(
            this,
            Math.max(1, Math.ceil(milliseconds / tickMilliseconds)),
            resolve,
          ),
        ),
    };
  }

  async open(founding: Founding | undefined): Promise<void> {
    const disk = this.node.disk.forProcess(this);
    const store = this.node.volume.open({ flushDelay: () => this.delay(this.syncLatency()) });
    const stateMachine = new MetaStateMachine(store);
    const walOptions = {
      segmentBytes: this.storage.walSegmentBytes,
      preallocate: this.storage.walPreallocate,
      recordBytesMax: walRecordBytesMax,
    };
    if (founding !== undefined && store.appliedIndex() === 0) {
      const opened = await RaftLog.open(disk, walDirectory, walOptions);
      await writeFounding(stateMachine, opened.log, founding);
      await opened.log.close();
    }
    const { log, replayed } = await RaftLog.open(disk, walDirectory, walOptions);
    if (!this.alive) return;
    const memory = await buildMemoryLog(replayed, stateMachine, store.appliedIndex());
    if (!this.alive) return;
    this.wire(store, stateMachine, log, replayed, memory);
  }

  private wire(
    store: MemoryStateStore,
    stateMachine: MetaStateMachine,
    log: RaftLog,
    replayed: ReplayedLog,
    memory: MemoryLogStorage,
  ): void {
    const appliedIndex = store.appliedIndex();
    this.durability = new DurabilityTracker(log, replayed, appliedIndex);
    if (this.host.bugs.has('ack-before-sync')) lieAboutSync(log);
    const raft = new RaftNode({
      id: this.id,
      groupId: this.host.groupId,
      electionTimeoutTicks: this.tuning.electionTimeoutTicks,
      heartbeatTicks: this.tuning.heartbeatTicks,
      prng: this.prng,
      storage: memory,
      appliedIndex,
      maxSizePerMessageBytes: this.tuning.maxSizePerMessageBytes,
      inflightMessagesMax: this.tuning.inflightMessagesMax,
      inflightBytesMax: this.tuning.inflightBytesMax,
      preVote: true,
      checkQuorum: true,
    });
    this.raft = raft;
    this.memory = memory;
    this.stateMachine = stateMachine;
    this.durableLog = log;
    this.commitSeen = memory.hardStateValue().commit;
    this.appliedSeen = appliedIndex;
    this.lastSnapshotIndex = appliedIndex;
    this.driver = new RaftDriver({
      raft,
      memory,
      durableLog: log,
      stateMachine: this.observedStateMachine(stateMachine),
      send: (messages) => {
        if (this.alive) this.host.send(this.id, messages);
      },
      onSoftState: (state) => {
        this.role = state.role;
      },
      onApplied: () => this.maybeSnapshot(),
      onReadyPersisted: (ready) => this.observePersisted(ready),
      onFatal: (error) => {
        if (this.alive) this.host.fail(error);
      },
      scheduler: this.scheduler(),
      testOnlySendBeforeSync: this.host.bugs.has('send-before-sync'),
    });
    this.host.traceLine(
      `${this.id} opened: applied ${appliedIndex}, log ${replayed.snapshot.index}..${memory.lastIndex()}, commit ${this.commitSeen}`,
    );
    this.driver.schedule();
  }

  /** The apply order and committed entries are checked before the real state machine runs. */
  private observedStateMachine(stateMachine: MetaStateMachine): AppliedStateMachine {
    return {
      apply: async (entries) => {
        for (const entry of entries) this.observeApplied(entry);
        const results = await stateMachine.apply(entries);
        if (this.alive) this.host.applied(entries, results);
        return results;
      },
      installSnapshot: async (snapshot: Snapshot) => {
        await stateMachine.installSnapshot(snapshot);
        this.appliedSeen = Math.max(this.appliedSeen, snapshot.metadata.index);
        this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, snapshot.metadata.index);
        this.host.traceLine(`${this.id} installed snapshot ${snapshot.metadata.index}`);
      },
    };
  }

  private observeApplied(entry: Entry): void {
    if (entry.index !== this.appliedSeen + 1) {
      throw new SafetyViolation(
        'applied in order',
        `${this.id} applies index ${entry.index} after ${this.appliedSeen}`,
      );
    }
    const memory = this.memory as MemoryLogStorage;
    this.host.safety.observeCommitted(this.id, memory.hardStateValue().term, entry, 'applied');
    this.appliedSeen = entry.index;
  }

  /** After the driver persisted a Ready (entries, hard state, fsync), before it sends. */
  private observePersisted(ready: Ready): void {
    const memory = this.memory as MemoryLogStorage;
    const { term, commit } = memory.hardStateValue();
    if (ready.softState?.role === 'leader') {
      this.host.traceLine(`${this.id} leader term ${term} last ${memory.lastIndex()}`);
      this.host.safety.observeLeader(this.id, term, memory);
    }
    // Only a commit advance made while leading this term all along: between two Readies
    // a busy driver's core may learn a commit as a follower and then win an election.
    const ledThroughout = this.role === 'leader' && this.leaderTermAtLastReady === term;
    this.leaderTermAtLastReady = this.role === 'leader' ? term : null;
    if (commit > this.commitSeen) {
      if (ready.hardState !== undefined && ledThroughout)
        this.host.safety.observeLeaderCommit(this.id, ready.hardState.term, commit, memory);
      this.host.safety.observeCommittedRange(this.id, memory, this.commitSeen, commit);
      this.commitSeen = commit;
    }
    for (let position = this.earlyReplies.length - 1; position >= 0; position--) {
      const early = this.earlyReplies[position] as { index: number; reply: () => void };
      if (memory.lastIndex() < early.index) continue;
      this.earlyReplies.splice(position, 1);
      early.reply();
    }
  }

  private maybeSnapshot(): void {
    const applied = this.driver?.appliedIndex ?? 0;
    if (applied - this.lastSnapshotIndex < this.tuning.snapshotEveryEntries) return;
    if (this.snapshotting) return;
    this.snapshotting = true;
    this.takeSnapshot()
      .catch((error: unknown) => {
        if (this.alive) this.host.fail(error);
      })
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /** As CairnNode.takeSnapshot: capture, snapshot the in-memory log, flush, compact. */
  private async takeSnapshot(): Promise<void> {
    const driver = this.driver as RaftDriver;
    const memory = this.memory as MemoryLogStorage;
    const stateMachine = this.stateMachine as MetaStateMachine;
    await driver.runExclusive(async () => {
      const captured = await stateMachine.capture();
      if (captured.index <= memory.snapshot().metadata.index) return;
      memory.createSnapshot(captured.index, captured.confState, captured.data);
      this.lastSnapshotIndex = captured.index;
      const compactIndex = captured.index - this.tuning.compactKeepEntries;
      const term = compactIndex >= memory.firstIndex() ? memory.term(compactIndex) : undefined;
      let segmentsRemoved = 0;
      if (term !== undefined) {
        await stateMachine.flush();
        memory.compact(compactIndex);
        segmentsRemoved = await (this.durableLog as RaftLog).compact({ index: compactIndex, term });
      }
      this.node.stats.snapshots++;
      this.host.traceLine(
        `${this.id} snapshot ${captured.index} compact ${memory.firstIndex() - 1} segments removed ${segmentsRemoved}`,
      );
    }, 60_000);
  }

  private syncLatency(): number {
    return this.prng.nextIntegerInclusive(0, this.storage.syncLatencyTicksMax);
  }

  private delay(ticks: number): Promise<void> {
    return new Promise((resolve) => this.host.clock.after(this, ticks, resolve));
  }
}

interface UnsyncedWrite {
  readonly sequence: number;
  /** Entries from this index on are not durable until a sync covers the write. */
  readonly fromIndex: number;
  readonly hardState?: { readonly term: number; readonly vote: string | null };
}

/**
 * Follows a RaftLog's appends and syncs (by wrapping them) to know what is durable: a
 * write is durable once a sync that started after it has completed.
 */
export class DurabilityTracker {
  private sequence = 0;
  private unsynced: UnsyncedWrite[] = [];
  private durableHardState: { term: number; vote: string | null };

  /**
   * `durableFloor`: the state store's applied index at open, durable after the crash
   * that preceded it (a follower never truncates below what it applied).
   */
  constructor(
    private readonly log: RaftLog,
    replayed: ReplayedLog,
    private readonly durableFloor: number,
  ) {
    this.durableHardState = { term: replayed.hardState.term, vote: replayed.hardState.vote };
    const append = log.append.bind(log);
    log.append = (entries) => {
      append(entries);
      const first = entries[0];
      if (first !== undefined) this.record({ fromIndex: first.index });
    };
    const setHardState = log.setHardState.bind(log);
    log.setHardState = (state) => {
      setHardState(state);
      this.record({ fromIndex: Number.POSITIVE_INFINITY, hardState: state });
    };
    const installSnapshot = log.installSnapshot.bind(log);
    log.installSnapshot = (boundary) => {
      installSnapshot(boundary);
      this.record({ fromIndex: boundary.index });
    };
    const sync = log.sync.bind(log);
    log.sync = async () => {
      const covered = this.sequence;
      await sync();
      this.synced(covered);
    };
  }

  /** The highest index up to which the node's state (log or state store) is durable. */
  durableIndex(): number {
    let index = this.log.lastIndex();
    for (const write of this.unsynced) index = Math.min(index, write.fromIndex - 1);
    return Math.max(index, this.durableFloor);
  }

  durableVote(): { term: number; vote: string | null } {
    return this.durableHardState;
  }

  private record(write: Omit<UnsyncedWrite, 'sequence'>): void {
    this.sequence++;
    this.unsynced.push({ ...write, sequence: this.sequence });
  }

  private synced(covered: number): void {
    for (const write of this.unsynced)
      if (write.sequence <= covered && write.hardState !== undefined)
        this.durableHardState = write.hardState;
    this.unsynced = this.unsynced.filter((write) => write.sequence > covered);
  }
}

/** The state at index 2 on a founding member: the configuration, then the cluster's bootstrap. */
async function writeFounding(
  stateMachine: MetaStateMachine,
  log: RaftLog,
  founding: Founding,
): Promise<void> {
  await stateMachine.writeFoundingState(founding.confState);
  await stateMachine.apply([
    { index: 2, term: 1, type: 'normal', data: founding.bootstrapCommand },
  ]);
  await stateMachine.flush();
  log.installSnapshot({ index: 2, term: 1 });
  log.setHardState({ term: 1, vote: null, commit: 2 });
  await log.sync();
}

/**
 * Bug ack-before-sync: the log's sync returns at once without writing, as if the
 * driver ignored mustSync; the simulator writes everything back every few ticks.
 */
function lieAboutSync(log: RaftLog): void {
  const realSync = log.sync.bind(log);
  (log as unknown as { realSync: () => Promise<void> }).realSync = realSync;
  log.sync = async () => undefined;
}

/** The real sync of a log whose sync lies (bug ack-before-sync). */
export function writeBack(log: RaftLog): Promise<void> {
  const realSync = (log as unknown as { realSync?: () => Promise<void> }).realSync;
  return realSync === undefined ? Promise.resolve() : realSync();
}
