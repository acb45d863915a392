// The deterministic simulator: N machines, each running the production meta group
// (node.ts: the real RaftDriver, durable Raft log and meta state machine) on a
// simulated network (network.ts), simulated disks (disk.ts over SimulatedDisk) and
// in-memory state stores that lose unflushed applies, with a simulated clock in
// ticks. One seed decides everything (config.ts).
//
// Asynchrony is deterministic: the driver's deferred work, its waits and every fsync
// run as tasks on this simulator's queue (tagged with their process, run in order of
// submission once due), and between tasks the simulator lets every pending promise
// settle (one macrotask turn drains the microtask queue), so nothing runs on the real
// clock. Safety properties are checked as the drivers persist and apply (safety.ts);
// after the fault phase everything heals and a leader must commit a proposal within a
// bounded number of ticks (liveness); finally the clients' history, gathered through
// the driver's propose and readBarrier and the meta state machine's results, goes
// through the linearizability checker.

import { checkHistory } from '../../src/check/index.js';
import { decodeCommand, encodeCommand, getObject } from '../../src/meta/index.js';
import type { MetaCommand, MetaResult } from '../../src/meta/index.js';
import type { Entry, Message, NodeId } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import { isCairnError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { installCoreBugs, type BugName } from './bugs.js';
import { configFromSeed, type ConfigOverrides, type SimConfig } from './config.js';
import type { SimClock, SimProcessHandle } from './disk.js';
import { reliableNetwork, SimNetwork } from './network.js';
import { SimNode, writeBack, type Founding, type NodeHost, type SimProcess } from './node.js';
import { SafetyMonitor, SafetyViolation } from './safety.js';
import { SimFaults } from './faults.js';
import { TraceHash } from './trace.js';
import { Workload, type ClientRequest } from './workload.js';

export interface SimOptions {
  readonly bugs?: ReadonlySet<BugName>;
  readonly verbose?: boolean;
  readonly overrides?: ConfigOverrides;
  /** Receives each trace line when verbose. */
  readonly log?: (line: string) => void;
  /**
   * false: skip the direct check that acknowledgements follow fsyncs, so that bugs
   * must be caught through their effects (lost committed entries, linearizability).
   */
  readonly checkAcknowledgements?: boolean;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  /** The violated property, when not ok. */
  readonly property?: string;
  readonly message?: string;
  readonly traceHash: string;
  readonly traceEvents: number;
  readonly ticks: number;
  readonly config: SimConfig;
  /** 'unknown' when the checker hit its state bound (not a failure). */
  readonly linearizability: 'ok' | 'violation' | 'unknown' | 'not checked';
  readonly stats: Record<string, number>;
}

const groupId = 'sim';
const livenessKey = 'liveness-probe';
/** Task rounds within one tick: a driver iteration is a few rounds; this bounds a livelock. */
const settleRoundsMax = 10_000;
const bootstrapTicksMax = 100;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function runSimulation(seed: number, options: SimOptions = {}): Promise<SimResult> {
  const uninstall = installCoreBugs(options.bugs ?? new Set());
  try {
    return await new Simulation(configFromSeed(seed, options.overrides), options).run();
  } finally {
    uninstall();
  }
}

interface ScheduledTask {
  readonly owner: SimProcessHandle;
  readonly at: number;
  readonly sequence: number;
  readonly run: () => void;
}

const macrotaskTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Simulation implements NodeHost {
  readonly groupId = groupId;
  readonly safety = new SafetyMonitor();
  readonly bugs: ReadonlySet<string>;
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly network: SimNetwork;
  readonly workload: Workload;
  /** Live incarnations by Raft id. A wiped node rejoins under a new id (`n3.2`), as etcd gives a re-added member a new id. */
  readonly nodes = new Map<NodeId, SimNode>();
  /** Nodes that are down and should come back (members and spares alike). */
  readonly down = new Set<NodeId>();
  /** Paused processes (SIGSTOP, a long GC): nothing runs, messages queue, until the tick given. */
  readonly pausedUntil = new Map<NodeId, number>();
  private readonly faults: SimFaults;
  /** Clock rate per node (skew): ticks owed accumulate by the rate each simulated tick. */
  private readonly clockRate = new Map<NodeId, number>();
  private readonly clockOwed = new Map<NodeId, number>();
  private readonly trace = new TraceHash();
  private tasks: ScheduledTask[] = [];
  private taskSequence = 0;
  tick = 0;
  private failure: unknown = null;
  /** Every object version seen applied, by the unique value it wrote (cas needs the version). */
  private readonly versionOfValue = new Map<string, number>();
  private liveness: { requestId: string; nodeId: NodeId; term: number } | null = null;
  private livenessTarget: number | null = null;
  private livenessSequence = 0;

  constructor(
    readonly config: SimConfig,
    private readonly options: SimOptions,
  ) {
    this.bugs = options.bugs ?? new Set();
    this.prng = new Prng(config.seed).fork();
    this.network = new SimNetwork(this.prng.fork());
    this.workload = new Workload(
      this.prng.fork(),
      config.clientCount,
      config.keyCount,
      config.clientTimeoutTicks,
      config.clientIssueProbability,
    );
    this.clock = {
      after: (owner, ticks, run) =>
        this.tasks.push({ owner, at: this.tick + ticks, sequence: ++this.taskSequence, run }),
    };
    this.faults = new SimFaults(this);
  }

  async run(): Promise<SimResult> {
    let failure: { property: string; message: string } | null = null;
    let linearizability: SimResult['linearizability'] = 'not checked';
    try {
      await this.bootstrap();
      await this.runFaultPhase();
      this.healEverything();
      await this.runLivenessPhase();
      await this.runDrainPhase();
      const result = checkHistory(this.workload.operations());
      linearizability = result.ok === true ? 'ok' : result.ok === false ? 'violation' : 'unknown';
      if (result.ok === false)
        failure = { property: 'linearizability', message: result.explanation };
    } catch (error) {
      failure = describeFailure(error);
    }
    // Whatever is still queued belongs to this run only: drop it.
    this.tasks = [];
    return this.result(failure, linearizability);
  }

  private result(
    failure: { property: string; message: string } | null,
    linearizability: SimResult['linearizability'],
  ): SimResult {
    const stats: Record<string, number> = {
      ...this.faults.counters,
      ...this.workload.stats,
      ...this.network.stats,
      safetyChecks: this.safety.checks,
      leadersObserved: this.safety.leadersObserved,
    };
    for (const node of this.nodes.values()) {
      stats['snapshots'] = (stats['snapshots'] ?? 0) + node.stats.snapshots;
      stats['stateBatchesLost'] =
        (stats['stateBatchesLost'] ?? 0) + node.volume.statistics.batchesLostInCrashes;
      stats['fsyncs'] = (stats['fsyncs'] ?? 0) + node.disk.disk.statistics.datasyncs;
    }
    return {
      seed: this.config.seed,
      ok: failure === null,
      ...(failure === null ? {} : { property: failure.property, message: failure.message }),
      traceHash: this.trace.digest(),
      traceEvents: this.trace.events,
      ticks: this.tick,
      config: this.config,
      linearizability,
      stats,
    };
  }

  // ------------------------------------------------------------ NodeHost

  now(): number {
    return this.tick;
  }

  send(from: NodeId, messages: readonly Message[]): void {
    for (const message of messages) this.sendOne(from, message);
  }

  private sendOne(from: NodeId, message: Message): void {
    assert(message.groupId === groupId, 'messages carry the group id');
    assert(message.from === from, 'a process sends as itself');
    this.checkDurableBeforeAcknowledged(message);
    const queued = this.network.send(message, this.tick);
    this.traceLine(
      `send ${message.type} ${message.from}>${message.to} t${message.term} i${message.index} n${message.entries.length} c${message.commit}${queued ? '' : ' dropped'}`,
    );
    const process = this.nodes.get(from)?.process;
    if (process === null || process === undefined) return;
    // The transport reports back later, as PeerTransport does, never inside the send.
    if (message.type === 'snapshot')
      this.report(process, (raft) => raft.reportSnapshot(message.to, queued));
    else if (!queued && this.network.isCut(message.from, message.to))
      this.report(process, (raft) => raft.reportUnreachable(message.to));
  }

  /**
   * A granted vote or an accepted append vouches for what the sender persisted: it may
   * leave only once an fsync covering it completed (the vote, the entries up to the
   * acknowledged index).
   */
  private checkDurableBeforeAcknowledged(message: Message): void {
    const durability = this.nodes.get(message.from)?.process?.durability;
    if (message.reject || durability === undefined) return;
    if (this.options.checkAcknowledgements === false) return;
    // A node durably in a later term has left this term's leader; its stale acknowledgement
    // (the core batched it before a newer leader truncated the entries) is harmless: the
    // later term's election quorum excludes it, and every node in it refuses this term.
    const vote = durability.durableVote();
    if (vote.term > message.term) return;
    if (message.type === 'appendResponse' && message.index > durability.durableIndex()) {
      throw new SafetyViolation(
        'acknowledged before durable',
        `${message.from} acknowledged index ${message.index} to ${message.to} in term ${message.term}; its log is durable up to ${durability.durableIndex()}`,
      );
    }
    // Likewise a node durably in a later term can never vote in this one again.
    const voteDurable = vote.term === message.term && vote.vote === message.to;
    if (message.type === 'voteResponse' && !voteDurable) {
      throw new SafetyViolation(
        'acknowledged before durable',
        `${message.from} granted its term ${message.term} vote to ${message.to}; its durable vote is ${vote.vote} in term ${vote.term}`,
      );
    }
  }

  private report(process: SimProcess, call: (raft: NonNullable<SimProcess['raft']>) => void): void {
    this.clock.after(process, 0, () => {
      if (process.raft === undefined || process.driver === undefined) return;
      call(process.raft);
      process.driver.schedule();
    });
  }

  applied(entries: readonly Entry[], results: ReadonlyMap<number, unknown>): void {
    for (const entry of entries) {
      const result = results.get(entry.index) as MetaResult | undefined;
      if (result?.type !== 'ok' || entry.type !== 'normal') continue;
      const command = decodeCommand(entry.data);
      if (command.type !== 'putObject' || command.value.kind !== 'inline') continue;
      this.versionOfValue.set(decoder.decode(command.value.bytes), result.version);
    }
  }

  fail(error: unknown): void {
    if (this.failure === null) this.failure = error;
  }

  traceLine(line: string): void {
    this.trace.add(`${this.tick} ${line}`);
    if (this.options.verbose === true) (this.options.log ?? console.log)(`[${this.tick}] ${line}`);
  }

  // ------------------------------------------------------------ scheduling

  /** Runs every due task of a running process, letting promises settle between rounds. */
  private async settle(): Promise<void> {
    await macrotaskTurn();
    for (let round = 0; round < settleRoundsMax; round++) {
      this.throwIfFailed();
      const due: ScheduledTask[] = [];
      const later: ScheduledTask[] = [];
      for (const task of this.tasks) {
        if (!task.owner.alive) continue; // its process died: it never runs
        const runnable = task.at <= this.tick && !this.pausedUntil.has(task.owner.id);
        (runnable ? due : later).push(task);
      }
      this.tasks = later;
      if (due.length === 0) return;
      due.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
      for (const task of due) if (task.owner.alive) task.run();
      await macrotaskTurn();
    }
    throw new SafetyViolation('liveness', `tasks kept running within tick ${this.tick}`);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  // ------------------------------------------------------------ phases

  private async bootstrap(): Promise<void> {
    const confState = {
      voters: [...this.config.initialVoters],
      learners: [...this.config.initialLearners],
    };
    const founding: Founding = { confState, bootstrapCommand: bootstrapCommand() };
    for (const id of this.config.nodeIds) {
      const isMember = confState.voters.includes(id) || confState.learners.includes(id);
      const node = this.createNode(id);
      this.clockRate.set(id, this.config.clockRates[this.config.nodeIds.indexOf(id)] ?? 1);
      node.start(this.prng.fork(), isMember ? founding : undefined);
    }
    this.traceLine(
      `bootstrap voters ${confState.voters.join(',')} learners ${confState.learners.join(',')}`,
    );
    for (let count = 0; ![...this.nodes.values()].every((node) => node.isUp); count++) {
      assert(count < bootstrapTicksMax, 'every node opens its storage');
      await this.stepEverything();
      this.tick++;
    }
  }

  createNode(id: NodeId): SimNode {
    const slot = this.config.nodeIds.indexOf(id.split('.')[0] as string);
    const storage = {
      ...this.config.storage,
      syncLatencyTicksMax:
        this.config.storage.syncLatencyTicksMaxBySlot[slot] ??
        this.config.storage.syncLatencyTicksMax,
    };
    const node = new SimNode(id, this.prng.fork(), this, this.config.tuning, storage);
    this.nodes.set(id, node);
    return node;
  }

  private async runFaultPhase(): Promise<void> {
    this.network.faults = this.config.network;
    const end = this.tick + this.config.faultTicks;
    for (; this.tick < end; this.tick++) {
      this.faults.inject();
      this.issueClientRequests();
      await this.stepEverything();
    }
  }

  private healEverything(): void {
    this.network.faults = reliableNetwork;
    this.network.heal();
    this.faults.healed();
    this.pausedUntil.clear();
    for (const id of [...this.down]) this.restart(id);
    this.traceLine('heal');
  }

  private async runLivenessPhase(): Promise<void> {
    const deadline = this.tick + this.config.livenessTicksMax;
    for (; this.livenessTarget === null; this.tick++) {
      if (this.tick >= deadline) {
        throw new SafetyViolation(
          'liveness',
          `no proposal committed within ${this.config.livenessTicksMax} ticks after healing${this.leaderSummary()}`,
        );
      }
      this.proposeLivenessProbe();
      this.issueClientRequests();
      await this.stepEverything();
    }
  }

  /**
   * Clients stop; every live member must catch up (apply the liveness probe's
   * index) within drainTicks, and members at the same applied index must hold
   * the same state.
   */
  private async runDrainPhase(): Promise<void> {
    const end = this.tick + this.config.drainTicks;
    const target = this.livenessTarget ?? 0;
    for (; ; this.tick++) {
      const lagging = this.laggingMembers(target);
      if (lagging.length === 0 && this.workload.allIdle()) break;
      if (this.tick >= end) {
        if (lagging.length === 0) break;
        throw new SafetyViolation(
          'liveness',
          `members ${lagging.join(', ')} did not apply index ${target} within ${this.config.drainTicks} ticks of healing${this.leaderSummary()}`,
        );
      }
      await this.stepEverything();
    }
    this.checkStatesAgree();
  }

  /** Live machines that are members (for the leader) and have not applied `index`. */
  private laggingMembers(index: number): NodeId[] {
    const leader = this.currentLeader();
    if (leader?.raft == null) return ['(no leader)'];
    const { voters, learners } = leader.raft.status().confState;
    return [...voters, ...learners].filter((id) => {
      const node = this.nodes.get(id);
      return node?.driver !== undefined && node.driver.appliedIndex < index;
    });
  }

  private checkStatesAgree(): void {
    const stateAt = new Map<number, { nodeId: NodeId; state: string }>();
    for (const node of this.nodes.values()) {
      const stateMachine = node.process?.stateMachine;
      if (node.driver === undefined || stateMachine === undefined) continue;
      const entries = stateMachine.reader().rangeEntries('', undefined, 100_000);
      const state = entries
        .map((entry) => `${entry.key}=${Buffer.from(entry.value).toString('base64')}`)
        .join('\n');
      const applied = node.driver.appliedIndex;
      const known = stateAt.get(applied);
      if (known === undefined) stateAt.set(applied, { nodeId: node.id, state });
      else if (known.state !== state) {
        throw new SafetyViolation(
          'state machine safety',
          `${known.nodeId} and ${node.id} applied up to ${applied} but hold different states`,
        );
      }
    }
  }

  /** Deliver due messages, tick every running node, run the tasks, expire client requests. */
  private async stepEverything(): Promise<void> {
    for (const [id, until] of [...this.pausedUntil]) {
      if (until > this.tick) continue;
      this.pausedUntil.delete(id);
      this.traceLine(`resume ${id}`);
    }
    // Messages to a paused process wait in its socket buffer.
    for (const { message, duplicate } of this.network.takeDue(this.tick, (held) =>
      this.pausedUntil.has(held.to),
    )) {
      const driver = this.nodes.get(message.to)?.driver;
      if (driver === undefined) continue;
      this.traceLine(
        `deliver ${message.type} ${message.from}>${message.to}${duplicate ? ' dup' : ''}`,
      );
      driver.step([message]);
    }
    this.tickNodes();
    this.backgroundWrites();
    await this.settle();
    for (const requestId of this.workload.expire(this.tick)) this.traceLine(`expired ${requestId}`);
  }

  private tickNodes(): void {
    for (const node of this.nodes.values()) {
      if (!this.isRunning(node)) continue;
      const owed = (this.clockOwed.get(node.id) ?? 0) + (this.clockRate.get(node.id) ?? 1);
      const ticks = Math.floor(owed);
      this.clockOwed.set(node.id, owed - ticks);
      for (let count = 0; count < ticks; count++) node.driver?.tick();
    }
  }

  /** LMDB's own flushing, and the page cache writing back a log whose sync lied. */
  private backgroundWrites(): void {
    for (const node of this.nodes.values()) {
      if (this.prng.chance(this.config.storage.stateFlushProbability)) node.volume.flushAll();
      const process = node.process;
      if (
        this.bugs.has('ack-before-sync') &&
        this.tick % 5 === 0 &&
        process?.durableLog !== undefined &&
        process.alive
      )
        writeBack(process.durableLog).catch((error: unknown) => {
          if (process.alive) this.fail(error);
        });
    }
  }

  // ------------------------------------------------------------ clients

  private issueClientRequests(): void {
    for (const request of this.workload.issue(this.tick)) {
      const node = this.chooseNodeFor();
      this.traceLine(
        `invoke ${request.requestId} ${request.kind} ${request.key} at ${node?.id ?? 'none'}`,
      );
      if (node === null) {
        this.workload.failed(request.requestId, this.tick);
        continue;
      }
      if (request.kind === 'get') this.submitRead(node, request);
      else this.submitWrite(node, request);
    }
  }

  /** Usually a node that believes it leads; sometimes any running node (followers refuse writes, forward reads). */
  private chooseNodeFor(): SimNode | null {
    const running = [...this.nodes.values()].filter((node) => this.isRunning(node));
    if (running.length === 0) return null;
    const leaders = running.filter((node) => node.raft?.status().role === 'leader');
    if (leaders.length > 0 && this.prng.chance(0.85)) return this.prng.pick(leaders);
    return this.prng.pick(running);
  }

  /** A read as the node serves it: the driver's read barrier, then the meta query. */
  private submitRead(node: SimNode, request: ClientRequest): void {
    const process = node.process as SimProcess;
    const driver = node.driver;
    assert(driver !== undefined, 'submit to a running node');
    if (this.bugs.has('stale-local-read')) {
      this.answerRead(process, request);
      return;
    }
    process.pendingRequests.add(request.requestId);
    driver.readBarrier().then(
      () => {
        if (process.alive) this.answerRead(process, request);
      },
      (error: unknown) => {
        if (!process.alive) return;
        process.pendingRequests.delete(request.requestId);
        if (!isCairnError(error)) this.fail(error);
        this.traceLine(`read ${request.requestId} refused: ${(error as Error).message}`);
        this.workload.failed(request.requestId, this.tick);
      },
    );
  }

  private answerRead(process: SimProcess, request: ClientRequest): void {
    process.pendingRequests.delete(request.requestId);
    const reader = (process.stateMachine as NonNullable<SimProcess['stateMachine']>).reader();
    const info = getObject(reader, request.key);
    let value: string | null = null;
    if (info !== undefined) {
      assert(info.body.kind === 'inline', 'the workload writes inline objects');
      value = decoder.decode(info.body.bytes);
    }
    this.traceLine(`read ${request.requestId} ${value}`);
    this.workload.readAnswered(request.requestId, value, this.tick);
  }

  /** A write as the node serves it: a meta command through the driver's propose. */
  private submitWrite(node: SimNode, request: ClientRequest): void {
    const process = node.process as SimProcess;
    const driver = node.driver;
    assert(driver !== undefined, 'submit to a running node');
    const command = this.commandOf(request);
    if (command === null) {
      // A cas on a value whose version no one knows yet: the client cannot send it.
      this.workload.failed(request.requestId, this.tick);
      return;
    }
    let proposal: Promise<unknown>;
    try {
      proposal = driver.propose(encodeCommand(command));
    } catch (error) {
      if (!isCairnError(error)) throw error;
      // Refused before anything was appended: the request had no effect.
      this.workload.failed(request.requestId, this.tick);
      return;
    }
    process.pendingRequests.add(request.requestId);
    if (this.bugs.has('reply-before-commit') && request.kind !== 'cas') {
      const index = (process.raft as NonNullable<SimProcess['raft']>).status().lastIndex;
      process.earlyReplies.push({ index, reply: () => this.writeAnswered(request, true) });
    }
    proposal.then(
      (result) => {
        if (!process.alive) return;
        process.pendingRequests.delete(request.requestId);
        this.writeResult(request, result as MetaResult);
      },
      (error: unknown) => {
        if (!process.alive) return;
        process.pendingRequests.delete(request.requestId);
        this.writeRefused(request, error);
      },
    );
  }

  private writeResult(request: ClientRequest, result: MetaResult): void {
    if (result.type === 'rejected') {
      this.traceLine(`write ${request.requestId} rejected: ${result.message}`);
      this.workload.failed(request.requestId, this.tick);
      return;
    }
    // conflict: a cas whose expected version did not match; notFound: a delete of nothing.
    assert(result.type !== 'conflict' || request.kind === 'cas', 'only a cas has a condition');
    this.writeAnswered(request, result.type !== 'conflict');
  }

  private writeAnswered(request: ClientRequest, success: boolean): void {
    this.traceLine(`applied ${request.requestId} ${success}`);
    this.workload.writeApplied(request.requestId, success, this.tick);
  }

  /** The driver's errors say whether the write may still take effect. */
  private writeRefused(request: ClientRequest, error: unknown): void {
    if (!isCairnError(error)) {
      this.fail(error);
      return;
    }
    this.traceLine(`write ${request.requestId} ${error.code}`);
    // Another leader's entry took the proposal's index: it never committed.
    if (error.code === 'CAIRN_ERR_PROPOSAL_DROPPED')
      this.workload.failed(request.requestId, this.tick);
    else this.workload.unknown(request.requestId, this.tick);
  }

  private commandOf(request: ClientRequest): MetaCommand | null {
    const requestId = request.requestId;
    switch (request.kind) {
      case 'put':
        return { type: 'putObject', key: request.key, value: inline(request.value), requestId };
      case 'delete':
        return { type: 'deleteObject', key: request.key, requestId };
      case 'cas': {
        // Values are unique per write, so "holds value v" is "is at the version that wrote v".
        const expected = request.expected ?? null;
        const version = expected === null ? undefined : this.versionOfValue.get(expected);
        if (expected !== null && version === undefined) return null;
        const condition =
          version === undefined ? ({ ifAbsent: true } as const) : { ifVersion: version };
        return {
          type: 'putObject',
          key: request.key,
          value: inline(request.value),
          condition,
          requestId,
        };
      }
      case 'get':
        throw new Error('gets are not commands');
    }
  }

  private proposeLivenessProbe(): void {
    const current = this.liveness === null ? undefined : this.nodes.get(this.liveness.nodeId);
    const currentStatus = current?.raft?.status();
    // Only while the leader that took the probe is still leader of that term: a
    // leader re-elected in a later term may have lost the probe's entry.
    if (currentStatus?.role === 'leader' && currentStatus.term === this.liveness?.term) return;
    const leader = this.currentLeader();
    const driver = leader?.driver;
    if (leader === null || driver === undefined || leader.raft === null) return;
    this.livenessSequence++;
    const requestId = `liveness-${this.livenessSequence}`;
    const term = leader.raft.status().term;
    let proposal: Promise<unknown>;
    try {
      proposal = driver.propose(
        encodeCommand({ type: 'putObject', key: livenessKey, value: inline(requestId), requestId }),
      );
    } catch (error) {
      if (!isCairnError(error)) throw error;
      return;
    }
    const process = leader.process as SimProcess;
    proposal.then(
      () => {
        if (!process.alive || this.livenessTarget !== null) return;
        this.livenessTarget = driver.appliedIndex;
        this.traceLine(`liveness probe ${requestId} applied at ${driver.appliedIndex}`);
      },
      () => undefined,
    );
    this.liveness = { requestId, nodeId: leader.id, term };
    this.traceLine(`liveness probe ${requestId} at ${leader.id}`);
  }

  leaderSummary(): string {
    const parts = [...this.nodes.values()].map((node) => {
      if (node.raft === null) return `${node.id}:down`;
      const status = node.raft.status();
      return `${node.id}:${status.role}/t${status.term}/c${status.commit}/v[${status.confState.voters.join(',')}]`;
    });
    return ` (${parts.join(' ')})`;
  }

  // ------------------------------------------------------------ machines

  /** Power loss on `node`: its requests' outcomes become unknown. */
  crash(node: SimNode): void {
    const kept = this.prng.nextIntegerInclusive(0, node.volume.unflushedBatches());
    this.traceLine(
      `crash ${node.id} keeping ${kept} of ${node.volume.unflushedBatches()} unflushed applies`,
    );
    for (const requestId of node.crash(kept)) this.workload.unknown(requestId, this.tick);
  }

  restart(id: NodeId): void {
    const node = this.nodes.get(id) as SimNode;
    this.down.delete(id);
    node.start(this.prng.fork());
    this.traceLine(`restart ${id}`);
  }

  isRunning(node: SimNode): boolean {
    return node.isUp && !this.pausedUntil.has(node.id);
  }

  /** The running node that leads in the highest term. */
  currentLeader(): SimNode | null {
    let best: { node: SimNode; term: number } | null = null;
    for (const node of this.nodes.values()) {
      if (!this.isRunning(node)) continue;
      const status = node.raft?.status();
      if (status?.role === 'leader' && (best === null || status.term > best.term))
        best = { node, term: status.term };
    }
    return best?.node ?? null;
  }
}

function inline(value: string | undefined): { kind: 'inline'; bytes: Uint8Array } {
  assert(value !== undefined, 'writes carry a value');
  return { kind: 'inline', bytes: encoder.encode(value) };
}

/** The founding members' cluster record; one member is enough for the object commands. */
function bootstrapCommand(): Uint8Array {
  return encodeCommand({
    type: 'bootstrapCluster',
    clusterId: groupId,
    replicationFactor: 1,
    vnodesPerWeightUnit: 16,
    members: [
      {
        id: 'n1',
        clientAddress: '127.0.0.1:7001',
        peerAddress: '127.0.0.1:8001',
        zone: 'zone-a',
        weight: 1,
        role: 'voter',
      },
    ],
  });
}

function describeFailure(error: unknown): { property: string; message: string } {
  if (error instanceof SafetyViolation) return { property: error.property, message: error.message };
  if (error instanceof Error) {
    const where = error.stack?.split('\n').slice(1, 4).join(' | ') ?? '';
    return {
      property: error.name === 'AssertionFailure' ? 'assertion' : 'exception',
      message: `${error.message} ${where}`,
    };
  }
  return { property: 'exception', message: String(error) };
}
