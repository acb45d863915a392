// The deterministic simulator: N nodes of the real Raft core (src/raft), each
// under a driver that does what the real driver does (node.ts), on a simulated
// network (network.ts) and simulated disks (disk.ts), with a simulated clock in
// ticks. One seed decides everything (config.ts). Safety properties are checked
// at every Ready (safety.ts); after the fault phase everything heals and a
// leader must commit a proposal within a bounded number of ticks (liveness);
// finally the clients' history goes through the linearizability checker.

import { checkHistory } from '../../src/check/index.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import { isRaftError } from '../../src/raft/raft-error.js';
import type { ConfChange, Message, NodeId, RaftStatus } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import { isCairnError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { installCoreBugs, type BugName } from './bugs.js';
import { configFromSeed, type ConfigOverrides, type SimConfig } from './config.js';
import { SimDisk } from './disk.js';
import { encodeCommand, KvStateMachine, type KvCommand } from './kv.js';
import { reliableNetwork, SimNetwork } from './network.js';
import { requestContext, SimNode, type NodeHost } from './node.js';
import { SafetyMonitor, SafetyViolation } from './safety.js';
import { TraceHash } from './trace.js';
import { Workload, type ClientRequest } from './workload.js';

export interface SimOptions {
  readonly bugs?: ReadonlySet<BugName>;
  readonly verbose?: boolean;
  readonly overrides?: ConfigOverrides;
  /** Receives each trace line when verbose. */
  readonly log?: (line: string) => void;
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
const livenessKey = '__liveness';

export function runSimulation(seed: number, options: SimOptions = {}): SimResult {
  const uninstall = installCoreBugs(options.bugs ?? new Set());
  try {
    return new Simulation(configFromSeed(seed, options.overrides), options).run();
  } finally {
    uninstall();
  }
}

class Simulation implements NodeHost {
  readonly groupId = groupId;
  readonly safety = new SafetyMonitor();
  readonly bugs: ReadonlySet<string>;
  private readonly prng: Prng;
  private readonly network: SimNetwork;
  private readonly workload: Workload;
  /** Live incarnations by Raft id. A wiped node rejoins under a new id (`n3.2`), as etcd gives a re-added member a new id. */
  private readonly nodes = new Map<NodeId, SimNode>();
  /** The current Raft id of each machine slot (n1..n7). */
  private readonly slotIds = new Map<string, NodeId>();
  private readonly slotIncarnations = new Map<string, number>();
  /** Nodes that are down and should come back (members and spares alike). */
  private readonly down = new Set<NodeId>();
  /** Paused processes (SIGSTOP, a long GC): no ticks, no messages handled, until the tick given. */
  private readonly pausedUntil = new Map<NodeId, number>();
  /** Clock rate per node (skew): ticks owed accumulate by the rate each simulated tick. */
  private readonly clockRate = new Map<NodeId, number>();
  private readonly clockOwed = new Map<NodeId, number>();
  private readonly trace = new TraceHash();
  private tick = 0;
  private partitioned = false;
  private requestNode = new Map<string, NodeId>();
  private livenessRequest: {
    requestId: string;
    nodeId: NodeId;
    index: number;
    term: number;
  } | null = null;
  private livenessCommitted = false;
  private livenessSequence = 0;
  private readonly counters = {
    crashes: 0,
    pauses: 0,
    partitions: 0,
    confChangesProposed: 0,
    transfers: 0,
  };

  constructor(
    private readonly config: SimConfig,
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
  }

  run(): SimResult {
    let failure: { property: string; message: string } | null = null;
    let linearizability: SimResult['linearizability'] = 'not checked';
    try {
      this.bootstrap();
      this.runFaultPhase();
      this.healEverything();
      this.runLivenessPhase();
      this.runDrainPhase();
      const result = checkHistory(this.workload.operations());
      linearizability = result.ok === true ? 'ok' : result.ok === false ? 'violation' : 'unknown';
      if (result.ok === false)
        failure = { property: 'linearizability', message: result.explanation };
    } catch (error) {
      failure = describeFailure(error);
    }
    return this.result(failure, linearizability);
  }

  private result(
    failure: { property: string; message: string } | null,
    linearizability: SimResult['linearizability'],
  ): SimResult {
    const stats: Record<string, number> = {
      ...this.counters,
      ...this.workload.stats,
      ...this.network.stats,
      safetyChecks: this.safety.checks,
      leadersObserved: this.safety.leadersObserved,
    };
    for (const node of this.nodes.values()) {
      stats['applied'] = (stats['applied'] ?? 0) + node.stats.applied;
      stats['snapshots'] = (stats['snapshots'] ?? 0) + node.stats.snapshots;
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

  send(message: Message): void {
    assert(message.groupId === groupId, 'messages carry the group id');
    const queued = this.network.send(message, this.tick);
    this.traceLine(
      `send ${message.type} ${message.from}>${message.to} t${message.term} i${message.index} n${message.entries.length} c${message.commit}${queued ? '' : ' dropped'}`,
    );
    const sender = this.nodes.get(message.from);
    if (sender === undefined) return;
    if (message.type === 'snapshot') sender.reportTransport('snapshot', message.to, queued);
    else if (!queued && this.network.isCut(message.from, message.to))
      sender.reportTransport('unreachable', message.to, false);
  }

  writeApplied(requestId: string, success: boolean): void {
    this.traceLine(`applied ${requestId} ${success}`);
    if (this.livenessRequest?.requestId === requestId) this.livenessCommitted = true;
    this.requestNode.delete(requestId);
    this.workload.writeApplied(requestId, success, this.tick);
  }

  readAnswered(requestId: string, value: string | null): void {
    this.traceLine(`read ${requestId} ${value}`);
    this.requestNode.delete(requestId);
    this.workload.readAnswered(requestId, value, this.tick);
  }

  traceLine(line: string): void {
    this.trace.add(`${this.tick} ${line}`);
    if (this.options.verbose === true) (this.options.log ?? console.log)(`[${this.tick}] ${line}`);
  }

  // ------------------------------------------------------------ phases

  private bootstrap(): void {
    const confState = {
      voters: [...this.config.initialVoters],
      learners: [...this.config.initialLearners],
    };
    const emptyState = new KvStateMachine().serialize();
    for (const id of this.config.nodeIds) {
      const isMember = confState.voters.includes(id) || confState.learners.includes(id);
      const disk = isMember
        ? new SimDisk(MemoryLogStorage.bootstrap(confState, emptyState))
        : SimDisk.empty();
      const node = new SimNode(id, disk, this, this.config.tuning);
      this.nodes.set(id, node);
      this.slotIds.set(id, id);
      this.slotIncarnations.set(id, 1);
      this.clockRate.set(id, this.config.clockRates[this.config.nodeIds.indexOf(id)] ?? 1);
      node.start(this.prng.fork());
    }
    this.traceLine(
      `bootstrap voters ${confState.voters.join(',')} learners ${confState.learners.join(',')}`,
    );
  }

  private runFaultPhase(): void {
    this.network.faults = this.config.network;
    for (; this.tick < this.config.faultTicks; this.tick++) {
      this.injectFaults();
      this.issueClientRequests();
      this.stepEverything();
    }
  }

  private healEverything(): void {
    this.network.faults = reliableNetwork;
    this.network.heal();
    this.partitioned = false;
    this.pausedUntil.clear();
    for (const id of [...this.down]) this.restart(id);
    this.traceLine('heal');
  }

  private runLivenessPhase(): void {
    const deadline = this.tick + this.config.livenessTicksMax;
    for (; !this.livenessCommitted; this.tick++) {
      if (this.tick >= deadline) {
        throw new SafetyViolation(
          'liveness',
          `no proposal committed within ${this.config.livenessTicksMax} ticks after healing${this.leaderSummary()}`,
        );
      }
      this.proposeLivenessProbe();
      this.issueClientRequests();
      this.stepEverything();
    }
  }

  /**
   * Clients stop; every live member must catch up (apply the liveness probe's
   * index) within drainTicks, and members at the same applied index must hold
   * the same state.
   */
  private runDrainPhase(): void {
    const end = this.tick + this.config.drainTicks;
    const target = this.livenessRequest?.index ?? 0;
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
      this.stepEverything();
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
      return node !== undefined && node.raft !== null && node.appliedIndex < index;
    });
  }

  private checkStatesAgree(): void {
    const stateAt = new Map<number, { nodeId: NodeId; state: string }>();
    for (const node of this.nodes.values()) {
      if (node.raft === null) continue;
      const state = Buffer.from(node.kv.serialize()).toString('utf8');
      const known = stateAt.get(node.appliedIndex);
      if (known === undefined) stateAt.set(node.appliedIndex, { nodeId: node.id, state });
      else if (known.state !== state) {
        throw new SafetyViolation(
          'state machine safety',
          `${known.nodeId} and ${node.id} applied up to ${node.appliedIndex} but hold different states`,
        );
      }
    }
  }

  /** Deliver due messages, tick every live node, expire client requests. */
  private stepEverything(): void {
    for (const [id, until] of [...this.pausedUntil]) {
      if (until > this.tick) continue;
      this.pausedUntil.delete(id);
      this.traceLine(`resume ${id}`);
    }
    // Messages to a paused process wait in its socket buffer.
    for (const { message, duplicate } of this.network.takeDue(this.tick, (held) =>
      this.pausedUntil.has(held.to),
    )) {
      const target = this.nodes.get(message.to);
      if (target?.raft === undefined || target.raft === null) continue;
      this.traceLine(
        `deliver ${message.type} ${message.from}>${message.to}${duplicate ? ' dup' : ''}`,
      );
      target.raft.step(message);
      target.processReady();
    }
    for (const node of this.nodes.values()) {
      if (!this.isRunning(node)) continue;
      const owed = (this.clockOwed.get(node.id) ?? 0) + (this.clockRate.get(node.id) ?? 1);
      const ticks = Math.floor(owed);
      this.clockOwed.set(node.id, owed - ticks);
      for (let count = 0; count < ticks && node.raft !== null; count++) {
        node.raft.tick();
        node.processReady();
      }
    }
    if (this.bugs.has('ack-before-sync') && this.tick % 5 === 0)
      for (const node of this.nodes.values()) node.disk.sync();
    for (const requestId of this.workload.expire(this.tick)) this.forgetRequest(requestId);
  }

  private forgetRequest(requestId: string): void {
    const nodeId = this.requestNode.get(requestId);
    if (nodeId !== undefined) this.nodes.get(nodeId)?.forgetRequest(requestId);
    this.requestNode.delete(requestId);
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
      this.submit(node, request);
      node.processReady();
    }
  }

  /** Usually a node that believes it leads; sometimes any live node (followers refuse writes, forward reads). */
  private chooseNodeFor(): SimNode | null {
    const live = [...this.nodes.values()].filter((node) => this.isRunning(node));
    if (live.length === 0) return null;
    const leaders = live.filter((node) => node.raft?.status().role === 'leader');
    if (leaders.length > 0 && this.prng.chance(0.85)) return this.prng.pick(leaders);
    return this.prng.pick(live);
  }

  private submit(node: SimNode, request: ClientRequest): void {
    const raft = node.raft;
    assert(raft !== null, 'submit to a live node');
    try {
      if (request.kind === 'get') {
        if (this.bugs.has('stale-local-read')) {
          node.answerLocally(request.requestId, request.key);
          return;
        }
        node.acceptRead(request.requestId, request.key);
        this.requestNode.set(request.requestId, node.id);
        raft.readIndex(requestContext(request.requestId));
        return;
      }
      const position = raft.propose(encodeCommand(commandOf(request)));
      node.acceptWrite(request.requestId);
      this.requestNode.set(request.requestId, node.id);
      if (this.bugs.has('reply-before-commit') && request.kind !== 'cas')
        this.replyBeforeCommit(node, request.requestId, position.index);
    } catch (error) {
      if (!isCairnError(error)) throw error;
      // Refused before anything was appended: the request had no effect.
      node.forgetRequest(request.requestId);
      this.requestNode.delete(request.requestId);
      this.workload.failed(request.requestId, this.tick);
    }
  }

  /** Bug injection: acknowledge once the entry is in the leader's own log. */
  private replyBeforeCommit(node: SimNode, requestId: string, index: number): void {
    node.processReady();
    if (node.disk.live.lastIndex() >= index) this.writeApplied(requestId, true);
  }

  private proposeLivenessProbe(): void {
    const current =
      this.livenessRequest === null ? undefined : this.nodes.get(this.livenessRequest.nodeId);
    const currentStatus = current?.raft?.status();
    // Only while the leader that took the probe is still leader of that term: a
    // leader re-elected in a later term may have lost the probe's entry.
    if (currentStatus?.role === 'leader' && currentStatus.term === this.livenessRequest?.term)
      return;
    const leader = this.currentLeader();
    if (leader?.raft == null) return;
    this.livenessSequence++;
    const requestId = `liveness-${this.livenessSequence}`;
    let index: number;
    try {
      index = leader.raft.propose(
        encodeCommand({ kind: 'put', requestId, key: livenessKey, value: requestId }),
      ).index;
    } catch (error) {
      if (!isCairnError(error)) throw error;
      return;
    }
    leader.acceptWrite(requestId);
    this.livenessRequest = { requestId, nodeId: leader.id, index, term: leader.raft.status().term };
    this.traceLine(`liveness probe ${requestId} at ${leader.id}`);
    leader.processReady();
  }

  private leaderSummary(): string {
    const parts = [...this.nodes.values()].map((node) => {
      if (node.raft === null) return `${node.id}:down`;
      const status = node.raft.status();
      return `${node.id}:${status.role}/t${status.term}/c${status.commit}/v[${status.confState.voters.join(',')}]`;
    });
    return ` (${parts.join(' ')})`;
  }

  // ------------------------------------------------------------ faults

  private injectFaults(): void {
    const { faults } = this.config;
    if (!this.partitioned && this.prng.chance(faults.partitionProbability)) this.partition();
    else if (this.partitioned && this.prng.chance(faults.healProbability)) {
      this.network.heal();
      this.partitioned = false;
      this.traceLine('partition healed');
    }
    if (this.prng.chance(faults.crashProbability)) this.crashRandomNode();
    if (this.prng.chance(faults.pauseProbability)) this.pauseRandomNode();
    for (const id of [...this.down])
      if (this.prng.chance(faults.restartProbability)) this.restart(id);
    if (this.prng.chance(faults.membershipProbability)) this.changeMembership();
    if (this.prng.chance(faults.transferProbability)) this.transferLeadership();
  }

  private partition(): void {
    const ids = this.prng.shuffle([...this.nodes.keys()]);
    if (ids.length < 2) return;
    const leader = this.currentLeader();
    const shape = this.prng.pick([
      'split',
      'isolate-leader',
      'minority',
      'bridge',
      'one-way',
    ] as const);
    if (shape === 'isolate-leader' && leader !== null) {
      this.network.separate(
        [leader.id],
        ids.filter((id) => id !== leader.id),
      );
    } else if (shape === 'minority') {
      const minoritySize = Math.max(1, Math.floor((ids.length - 1) / 2));
      this.network.separate(ids.slice(0, minoritySize), ids.slice(minoritySize));
    } else if (shape === 'bridge' && ids.length >= 3) {
      // ids[0] talks to both sides; the sides do not talk to each other.
      const rest = ids.slice(1);
      const half = Math.ceil(rest.length / 2);
      this.network.separate(rest.slice(0, half), rest.slice(half));
    } else if (shape === 'one-way') {
      const from = ids[0] as NodeId;
      for (const to of ids.slice(1)) if (this.prng.chance(0.6)) this.network.cutLink(from, to);
    } else {
      const cut = this.prng.nextIntegerInclusive(1, ids.length - 1);
      this.network.separate(ids.slice(0, cut), ids.slice(cut));
    }
    this.partitioned = true;
    this.counters.partitions++;
    this.traceLine(`partition ${shape}: ${this.network.cutLinks().join(' ')}`);
  }

  private crashRandomNode(): void {
    const live = [...this.nodes.keys()].filter((id) => !this.down.has(id));
    if (live.length === 0) return;
    const id = this.prng.pick(live);
    const node = this.nodes.get(id) as SimNode;
    const surviving = this.config.faults.tornWrites
      ? this.prng.nextIntegerInclusive(0, node.disk.journalLength())
      : 0;
    this.traceLine(
      `crash ${id} keeping ${surviving} of ${node.disk.journalLength()} unsynced records`,
    );
    for (const requestId of node.crash(surviving)) {
      this.requestNode.delete(requestId);
      this.workload.unknown(requestId, this.tick);
    }
    this.down.add(id);
    this.pausedUntil.delete(id);
    this.counters.crashes++;
  }

  private pauseRandomNode(): void {
    const running = [...this.nodes.values()].filter((node) => this.isRunning(node));
    if (running.length === 0) return;
    const node = this.prng.pick(running);
    const ticks = this.prng.nextIntegerInclusive(3, 60);
    this.pausedUntil.set(node.id, this.tick + ticks);
    this.counters.pauses++;
    this.traceLine(`pause ${node.id} for ${ticks} ticks`);
  }

  private restart(id: NodeId): void {
    const node = this.nodes.get(id) as SimNode;
    this.down.delete(id);
    node.start(this.prng.fork());
    this.traceLine(
      `restart ${id} (last ${node.disk.live.lastIndex()}, commit ${node.disk.live.hardStateValue().commit})`,
    );
    node.processReady();
  }

  private isRunning(node: SimNode): boolean {
    return node.raft !== null && !this.pausedUntil.has(node.id);
  }

  /** The running node that leads in the highest term. */
  private currentLeader(): SimNode | null {
    let best: { node: SimNode; term: number } | null = null;
    for (const node of this.nodes.values()) {
      if (!this.isRunning(node)) continue;
      const status = node.raft?.status();
      if (status?.role === 'leader' && (best === null || status.term > best.term))
        best = { node, term: status.term };
    }
    return best?.node ?? null;
  }

  private transferLeadership(): void {
    const leader = this.currentLeader();
    if (leader?.raft == null) return;
    const voters = leader.raft.status().confState.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const target = this.prng.pick(voters);
    this.traceLine(`transfer leadership ${leader.id} -> ${target}`);
    this.counters.transfers++;
    try {
      leader.raft.transferLeader(target);
    } catch (error) {
      if (!isCairnError(error) && !isRaftError(error)) throw error;
    }
    leader.processReady();
  }

  private changeMembership(): void {
    const leader = this.currentLeader();
    if (leader?.raft == null) return;
    const status = leader.raft.status();
    // Only on a fully applied leader: its configuration is then every committed change.
    if (status.applied !== status.commit) return;
    const chosen = this.chooseConfChange(status);
    if (chosen === null) return;
    // A joining machine gets a fresh id; it is wiped only once the proposal is accepted.
    const change: ConfChange =
      chosen.type === 'addLearner'
        ? { type: 'addLearner', nodeId: this.nextIncarnationId(chosen.nodeId) }
        : chosen;
    this.traceLine(`propose ${change.type} ${change.nodeId} at ${leader.id}`);
    this.counters.confChangesProposed++;
    try {
      leader.raft.proposeConfChange(change);
    } catch (error) {
      if (!isCairnError(error) && !isRaftError(error)) throw error;
      this.traceLine(`refused: ${(error as Error).message}`);
      return;
    }
    if (change.type === 'addLearner') this.wipeAndStart(chosen.nodeId, change.nodeId);
    leader.processReady();
  }

  private chooseConfChange(status: RaftStatus): ConfChange | null {
    const { voters, learners } = status.confState;
    const members = new Set([...voters, ...learners]);
    const outsiders = [...this.slotIds.values()].filter((id) => !members.has(id));
    const roll = this.prng.nextFloat();
    if (roll < 0.35 && outsiders.length > 0)
      return { type: 'addLearner', nodeId: this.prng.pick(outsiders) };
    if (roll < 0.7 && learners.length > 0) {
      // A learner whose machine was since wiped (its addition committed late) is a ghost: never promote it.
      const nodeId = this.prng.pick(learners);
      return this.nodes.has(nodeId) ? { type: 'promoteLearner', nodeId } : null;
    }
    if (members.size > 1) {
      const removable = voters.length > 1 ? [...members] : [...learners];
      if (removable.length === 0) return null;
      const nodeId = this.prng.pick(removable);
      // A leader removing itself once left the group without a leader (FINDINGS.md, F1).
      if (nodeId === status.id && !this.config.removeLeaderAllowed) return null;
      return { type: 'removeNode', nodeId };
    }
    return null;
  }

  /**
   * The machine behind `id` joins with an empty disk under a new id: a removed
   * node rejoining is wiped first and gets a new identity, as etcd requires, so
   * messages still in flight to its old incarnation go nowhere.
   */
  private nextIncarnationId(id: NodeId): NodeId {
    const slot = id.split('.')[0] as string;
    return `${slot}.${(this.slotIncarnations.get(slot) ?? 1) + 1}`;
  }

  private wipeAndStart(id: NodeId, newId: NodeId): void {
    const old = this.nodes.get(id) as SimNode;
    if (old.raft !== null) {
      for (const requestId of old.crash(0)) {
        this.requestNode.delete(requestId);
        this.workload.unknown(requestId, this.tick);
      }
    }
    this.nodes.delete(id);
    this.down.delete(id);
    assert(newId === this.nextIncarnationId(id), 'the id proposed is the next incarnation');
    const slot = id.split('.')[0] as string;
    this.slotIncarnations.set(slot, (this.slotIncarnations.get(slot) ?? 1) + 1);
    this.slotIds.set(slot, newId);
    const node = new SimNode(newId, SimDisk.empty(), this, this.config.tuning);
    this.nodes.set(newId, node);
    node.start(this.prng.fork());
    this.traceLine(`wiped ${id}, rejoins as ${newId}`);
  }
}

function commandOf(request: ClientRequest): KvCommand {
  switch (request.kind) {
    case 'put':
      return {
        kind: 'put',
        requestId: request.requestId,
        key: request.key,
        value: request.value as string,
      };
    case 'delete':
      return { kind: 'delete', requestId: request.requestId, key: request.key };
    case 'cas':
      return {
        kind: 'cas',
        requestId: request.requestId,
        key: request.key,
        expected: request.expected ?? null,
        value: request.value as string,
      };
    case 'get':
      throw new Error('gets are not commands');
  }
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
