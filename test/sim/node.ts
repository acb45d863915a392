// One simulated node: the real Raft core plus a driver that does what the real
// node driver does with each Ready: persist (entries, then hard state; fsync when
// mustSync), send, apply committed entries to the KV state machine and answer
// the clients waiting on this node, then advance. Periodically it snapshots its
// state machine and compacts the log.

import { decodeConfChange, applyConfChange } from '../../src/raft/conf-change.js';
import { RaftNode } from '../../src/raft/raft.js';
import type { ConfState, Entry, Message, NodeId, Ready } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import type { Prng } from '../../src/util/prng.js';
import type { SimDisk } from './disk.js';
import { decodeCommand, KvStateMachine } from './kv.js';
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

/** What a node needs from the simulation around it. */
export interface NodeHost {
  readonly groupId: string;
  readonly safety: SafetyMonitor;
  now(): number;
  send(message: Message): void;
  /** A write this node accepted was applied here (success: cas swapped). */
  writeApplied(requestId: string, success: boolean): void;
  /** A read this node accepted can be answered with `value`. */
  readAnswered(requestId: string, value: string | null): void;
  traceLine(line: string): void;
  readonly bugs: ReadonlySet<string>;
}

interface PendingRead {
  readonly requestId: string;
  readonly key: string;
  index: number | null;
}

const readyIterationsMax = 10_000;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class SimNode {
  raft: RaftNode | null = null;
  kv = new KvStateMachine();
  appliedIndex = 0;
  /** The configuration as of appliedIndex (what a snapshot at appliedIndex records). */
  confState: ConfState = { voters: [], learners: [] };
  snapshotIndex = 0;
  private commitSeen = 0;
  private readonly pendingWrites = new Set<string>();
  private pendingReads: PendingRead[] = [];
  private transportReports: { kind: 'snapshot' | 'unreachable'; to: NodeId; ok: boolean }[] = [];
  stats = { applied: 0, snapshots: 0, restarts: 0 };

  constructor(
    readonly id: NodeId,
    public disk: SimDisk,
    private readonly host: NodeHost,
    private readonly tuning: RaftTuning,
  ) {}

  get isUp(): boolean {
    return this.raft !== null;
  }

  /** Start (or restart) the process from what its disk holds. */
  start(prng: Prng): void {
    assert(this.raft === null, 'start a stopped node');
    const snapshot = this.disk.live.snapshot();
    this.kv = KvStateMachine.restore(snapshot.data);
    this.appliedIndex = snapshot.metadata.index;
    this.snapshotIndex = snapshot.metadata.index;
    this.confState = snapshot.metadata.confState;
    this.commitSeen = this.disk.live.hardStateValue().commit;
    this.raft = new RaftNode({
      id: this.id,
      groupId: this.host.groupId,
      electionTimeoutTicks: this.tuning.electionTimeoutTicks,
      heartbeatTicks: this.tuning.heartbeatTicks,
      prng,
      storage: this.disk.live,
      appliedIndex: this.appliedIndex,
      maxSizePerMessageBytes: this.tuning.maxSizePerMessageBytes,
      inflightMessagesMax: this.tuning.inflightMessagesMax,
      inflightBytesMax: this.tuning.inflightBytesMax,
      preVote: true,
      checkQuorum: true,
    });
    this.stats.restarts++;
  }

  /** The process dies; unsynced writes are lost except `survivingRecords` journal records. Returns the requests it held. */
  crash(survivingRecords: number): string[] {
    const lost = [...this.pendingWrites, ...this.pendingReads.map((read) => read.requestId)];
    this.raft = null;
    this.pendingWrites.clear();
    this.pendingReads = [];
    this.transportReports = [];
    this.disk.crash(survivingRecords);
    return lost;
  }

  acceptWrite(requestId: string): void {
    this.pendingWrites.add(requestId);
  }

  acceptRead(requestId: string, key: string): void {
    this.pendingReads.push({ requestId, key, index: null });
  }

  forgetRequest(requestId: string): void {
    this.pendingWrites.delete(requestId);
    this.pendingReads = this.pendingReads.filter((read) => read.requestId !== requestId);
  }

  reportTransport(kind: 'snapshot' | 'unreachable', to: NodeId, ok: boolean): void {
    this.transportReports.push({ kind, to, ok });
  }

  /** Handle every Ready until there is none. */
  processReady(): void {
    const raft = this.raft;
    if (raft === null) return;
    for (let iteration = 0; ; iteration++) {
      assert(iteration < readyIterationsMax, 'the Ready loop ends');
      this.flushTransportReports(raft);
      if (!raft.hasReady()) return;
      const ready = raft.ready();
      this.persist(ready);
      this.checkAfterPersist(raft, ready);
      for (const message of ready.messages) this.host.send(message);
      this.apply(ready);
      raft.advance(ready);
      this.maybeSnapshot();
    }
  }

  private flushTransportReports(raft: RaftNode): void {
    const reports = this.transportReports;
    this.transportReports = [];
    for (const report of reports) {
      if (report.kind === 'snapshot') raft.reportSnapshot(report.to, report.ok);
      else raft.reportUnreachable(report.to);
    }
  }

  private persist(ready: Ready): void {
    // Entries before the hard state: a commit index never outruns the log on disk.
    if (ready.snapshot !== undefined) this.disk.applySnapshot(ready.snapshot);
    this.disk.append(ready.entries);
    if (ready.hardState !== undefined) this.disk.setHardState(ready.hardState);
    if (ready.mustSync && !this.host.bugs.has('ack-before-sync')) this.disk.sync();
  }

  private checkAfterPersist(raft: RaftNode, ready: Ready): void {
    const log = this.disk.live;
    if (ready.softState?.role === 'leader') {
      const status = raft.status();
      this.host.traceLine(`${this.id} leader term ${status.term} last ${status.lastIndex}`);
      this.host.safety.observeLeader(this.id, status.term, log);
    }
    const commit = log.hardStateValue().commit;
    if (commit > this.commitSeen) {
      if (ready.hardState !== undefined && raft.status().role === 'leader')
        this.host.safety.observeLeaderCommit(this.id, ready.hardState.term, commit, log);
      this.host.safety.observeCommittedRange(this.id, log, this.commitSeen, commit);
      this.commitSeen = commit;
    }
  }

  private apply(ready: Ready): void {
    if (ready.snapshot !== undefined && ready.snapshot.metadata.index > this.appliedIndex) {
      this.kv = KvStateMachine.restore(ready.snapshot.data);
      this.appliedIndex = ready.snapshot.metadata.index;
      this.snapshotIndex = ready.snapshot.metadata.index;
      this.confState = ready.snapshot.metadata.confState;
      this.host.traceLine(`${this.id} installed snapshot ${this.appliedIndex}`);
    }
    for (const entry of ready.committedEntries) this.applyEntry(entry);
    for (const state of ready.readStates) {
      const requestId = decoder.decode(state.requestContext);
      const read = this.pendingReads.find((pending) => pending.requestId === requestId);
      if (read !== undefined && read.index === null) read.index = state.index;
    }
    this.answerReads();
  }

  private applyEntry(entry: Entry): void {
    if (entry.index <= this.appliedIndex) return;
    if (entry.index !== this.appliedIndex + 1) {
      throw new SafetyViolation(
        'applied in order',
        `${this.id} applies index ${entry.index} after ${this.appliedIndex}`,
      );
    }
    this.host.safety.observeCommitted(
      this.id,
      this.disk.live.hardStateValue().term,
      entry,
      'applied',
    );
    this.appliedIndex = entry.index;
    this.stats.applied++;
    if (entry.type === 'confChange') {
      this.confState = applyConfChange(this.confState, decodeConfChange(entry.data));
      return;
    }
    const command = decodeCommand(entry.data);
    if (command === null) return;
    const result = this.kv.apply(command);
    if (this.pendingWrites.delete(result.requestId))
      this.host.writeApplied(result.requestId, result.success);
  }

  private answerReads(): void {
    const waiting: PendingRead[] = [];
    for (const read of this.pendingReads) {
      if (read.index !== null && read.index <= this.appliedIndex)
        this.host.readAnswered(read.requestId, this.kv.get(read.key));
      else waiting.push(read);
    }
    this.pendingReads = waiting;
  }

  /** Bug injection 'stale-local-read': answer from local state without ReadIndex. */
  answerLocally(requestId: string, key: string): void {
    this.host.readAnswered(requestId, this.kv.get(key));
  }

  private maybeSnapshot(): void {
    if (this.appliedIndex - this.snapshotIndex < this.tuning.snapshotEveryEntries) return;
    const compactIndex = Math.max(
      this.disk.live.firstIndex() - 1,
      this.appliedIndex - this.tuning.compactKeepEntries,
    );
    this.disk.snapshotAndCompact(
      this.appliedIndex,
      this.confState,
      this.kv.serialize(),
      compactIndex,
    );
    this.snapshotIndex = this.appliedIndex;
    this.stats.snapshots++;
    this.host.traceLine(`${this.id} snapshot ${this.appliedIndex} compact ${compactIndex}`);
  }
}

export function requestContext(requestId: string): Uint8Array {
  return encoder.encode(requestId);
}
