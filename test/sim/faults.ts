// The faults of the fault phase, at the seed's rates: partitions (random split,
// isolated leader, minority, bridge, one-way cuts) and heals, crashes (power loss:
// unsynced writes and unflushed applies lost or torn) and restarts, pauses, membership
// changes at the leader (a joining machine gets a fresh disk and a fresh id) and
// leadership transfers.

import type { ConfChange, NodeId, RaftStatus } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import { isRaftError } from '../../src/raft/raft-error.js';
import { isCairnError } from '../../src/util/errors.js';
import type { SimNode } from './node.js';
import type { Simulation } from './simulator.js';

export class SimFaults {
  private partitioned = false;
  /** The current Raft id of each machine slot (n1..n7). */
  private readonly slotIds = new Map<string, NodeId>();
  private readonly slotIncarnations = new Map<string, number>();
  readonly counters = {
    crashes: 0,
    pauses: 0,
    partitions: 0,
    confChangesProposed: 0,
    transfers: 0,
  };

  constructor(private readonly sim: Simulation) {
    for (const id of sim.config.nodeIds) {
      this.slotIds.set(id, id);
      this.slotIncarnations.set(id, 1);
    }
  }

  inject(): void {
    const { faults } = this.sim.config;
    const prng = this.sim.prng;
    if (!this.partitioned && prng.chance(faults.partitionProbability)) this.partition();
    else if (this.partitioned && prng.chance(faults.healProbability)) {
      this.sim.network.heal();
      this.partitioned = false;
      this.sim.traceLine('partition healed');
    }
    if (prng.chance(faults.crashProbability)) {
      this.crashRandomNode();
      if (prng.chance(faults.crashTogetherProbability)) this.crashRandomNode();
    }
    if (prng.chance(faults.crashAllProbability)) {
      this.sim.traceLine('power loss of every machine');
      for (let count = this.sim.nodes.size - this.sim.down.size; count > 0; count--)
        this.crashRandomNode(false);
    }
    if (prng.chance(faults.pauseProbability)) this.pauseRandomNode();
    for (const id of [...this.sim.down])
      if (prng.chance(faults.restartProbability)) this.sim.restart(id);
    if (prng.chance(faults.membershipProbability)) this.changeMembership();
    if (prng.chance(faults.transferProbability)) this.transferLeadership();
  }

  healed(): void {
    this.partitioned = false;
  }

  private partition(): void {
    const { prng, network } = this.sim;
    const ids = prng.shuffle([...this.sim.nodes.keys()]);
    if (ids.length < 2) return;
    const leader = this.sim.currentLeader();
    const shape = prng.pick(['split', 'isolate-leader', 'minority', 'bridge', 'one-way'] as const);
    if (shape === 'isolate-leader' && leader !== null) {
      network.separate(
        [leader.id],
        ids.filter((id) => id !== leader.id),
      );
    } else if (shape === 'minority') {
      const minoritySize = Math.max(1, Math.floor((ids.length - 1) / 2));
      network.separate(ids.slice(0, minoritySize), ids.slice(minoritySize));
    } else if (shape === 'bridge' && ids.length >= 3) {
      // ids[0] talks to both sides; the sides do not talk to each other.
      const rest = ids.slice(1);
      const half = Math.ceil(rest.length / 2);
      network.separate(rest.slice(0, half), rest.slice(half));
    } else if (shape === 'one-way') {
      const from = ids[0] as NodeId;
      for (const to of ids.slice(1)) if (prng.chance(0.6)) network.cutLink(from, to);
    } else {
      const cut = prng.nextIntegerInclusive(1, ids.length - 1);
      network.separate(ids.slice(0, cut), ids.slice(cut));
    }
    this.partitioned = true;
    this.counters.partitions++;
    this.sim.traceLine(`partition ${shape}: ${network.cutLinks().join(' ')}`);
  }

  private crashRandomNode(preferSyncing = true): void {
    const live = [...this.sim.nodes.keys()].filter((id) => !this.sim.down.has(id));
    if (live.length === 0) return;
    // Half the crashes strike a machine with an fsync in flight, where losing the
    // unsynced writes matters most.
    const syncing = live.filter((id) => (this.sim.nodes.get(id) as SimNode).disk.syncsInFlight > 0);
    const targeted = preferSyncing && syncing.length > 0 && this.sim.prng.chance(0.5);
    const candidates = targeted ? syncing : live;
    const id = this.sim.prng.pick(candidates);
    this.sim.crash(this.sim.nodes.get(id) as SimNode);
    this.sim.down.add(id);
    this.sim.pausedUntil.delete(id);
    this.counters.crashes++;
  }

  private pauseRandomNode(): void {
    const running = [...this.sim.nodes.values()].filter((node) => this.sim.isRunning(node));
    if (running.length === 0) return;
    const node = this.sim.prng.pick(running);
    const ticks = this.sim.prng.nextIntegerInclusive(3, 60);
    this.sim.pausedUntil.set(node.id, this.sim.tick + ticks);
    this.counters.pauses++;
    this.sim.traceLine(`pause ${node.id} for ${ticks} ticks`);
  }

  private transferLeadership(): void {
    const leader = this.sim.currentLeader();
    if (leader?.raft == null) return;
    const voters = leader.raft.status().confState.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const target = this.sim.prng.pick(voters);
    this.sim.traceLine(`transfer leadership ${leader.id} -> ${target}`);
    this.counters.transfers++;
    try {
      leader.raft.transferLeader(target);
    } catch (error) {
      if (!isCairnError(error) && !isRaftError(error)) throw error;
    }
    leader.driver?.schedule();
  }

  private changeMembership(): void {
    const leader = this.sim.currentLeader();
    const driver = leader?.driver;
    if (leader?.raft == null || driver === undefined) return;
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
    this.sim.traceLine(`propose ${change.type} ${change.nodeId} at ${leader.id}`);
    this.counters.confChangesProposed++;
    try {
      driver.proposeConfChange(change).catch(() => undefined);
    } catch (error) {
      if (!isCairnError(error) && !isRaftError(error)) throw error;
      this.sim.traceLine(`refused: ${(error as Error).message}`);
      return;
    }
    if (change.type === 'addLearner') this.wipeAndStart(chosen.nodeId, change.nodeId);
  }

  private chooseConfChange(status: RaftStatus): ConfChange | null {
    const { prng, nodes } = this.sim;
    const { voters, learners } = status.confState;
    const members = new Set([...voters, ...learners]);
    const outsiders = [...this.slotIds.values()].filter((id) => !members.has(id));
    const roll = prng.nextFloat();
    if (roll < 0.35 && outsiders.length > 0)
      return { type: 'addLearner', nodeId: prng.pick(outsiders) };
    if (roll < 0.7 && learners.length > 0) {
      // A learner whose machine was since wiped (its addition committed late) is a ghost: never promote it.
      const nodeId = prng.pick(learners);
      return nodes.has(nodeId) ? { type: 'promoteLearner', nodeId } : null;
    }
    if (members.size > 1) {
      const removable = voters.length > 1 ? [...members] : [...learners];
      if (removable.length === 0) return null;
      const nodeId = prng.pick(removable);
      // A leader removing itself once left the group without a leader (FINDINGS.md, F1).
      if (nodeId === status.id && !this.sim.config.removeLeaderAllowed) return null;
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
    const old = this.sim.nodes.get(id) as SimNode;
    this.sim.crash(old);
    this.sim.nodes.delete(id);
    this.sim.down.delete(id);
    assert(newId === this.nextIncarnationId(id), 'the id proposed is the next incarnation');
    const slot = id.split('.')[0] as string;
    this.slotIncarnations.set(slot, (this.slotIncarnations.get(slot) ?? 1) + 1);
    this.slotIds.set(slot, newId);
    const node = this.sim.createNode(newId);
    node.start(this.sim.prng.fork());
    this.sim.traceLine(`wiped ${id}, rejoins as ${newId}`);
  }
}
