// Everything a run does follows from its seed: cluster size, which fault kinds
// are on and how often they strike (swarm testing: each seed enables a random
// subset), Raft tuning, the client workload.

import type { NodeId } from '../../src/raft/types.js';
import { limits } from '../../src/util/limits.js';
import { Prng } from '../../src/util/prng.js';
import type { NetworkFaults } from './network.js';
import type { RaftTuning, StorageTuning } from './node.js';

export interface FaultRates {
  /** Per tick, while no partition is in place: probability of cutting one. */
  partitionProbability: number;
  /** Per tick, while a partition is in place: probability of healing it. */
  healProbability: number;
  crashProbability: number;
  /** A crash takes a second machine down with it (shared power), this often. */
  crashTogetherProbability: number;
  /** Per tick: every machine loses power at once (a data centre outage). */
  crashAllProbability: number;
  /** Per tick: pause a running process for 3 to 60 ticks. */
  pauseProbability: number;
  /** Per tick and down node. */
  restartProbability: number;
  /** A crash keeps a random prefix of the unsynced writes (else it loses them all). */
  tornWrites: boolean;
  membershipProbability: number;
  transferProbability: number;
}

export interface SimConfig {
  readonly seed: number;
  readonly nodeIds: readonly NodeId[];
  readonly initialVoters: readonly NodeId[];
  readonly initialLearners: readonly NodeId[];
  readonly clientCount: number;
  readonly keyCount: number;
  readonly clientIssueProbability: number;
  readonly clientTimeoutTicks: number;
  /** Ticks with faults on, then everything heals. */
  readonly faultTicks: number;
  /** After healing, a leader must commit a proposal within this many ticks. */
  readonly livenessTicksMax: number;
  /** Then clients stop; pending requests get this long to finish. */
  readonly drainTicks: number;
  readonly network: NetworkFaults;
  /** Simulated ticks per tick of each node's clock (skew), by position in nodeIds. */
  readonly clockRates: readonly number[];
  readonly faults: FaultRates;
  readonly tuning: RaftTuning;
  readonly storage: StorageTuning & {
    /** Per machine slot (position in nodeIds): its fsyncs take 0 to this many ticks. */
    readonly syncLatencyTicksMaxBySlot: readonly number[];
    /** Per tick and node: the state store's background flush makes every apply durable. */
    readonly stateFlushProbability: number;
  };
  /** Let a leader propose its own removal (FINDINGS.md, F1; on unless overridden). */
  readonly removeLeaderAllowed: boolean;
  /** Fault kinds enabled for this seed, for the summary. */
  readonly enabled: readonly string[];
}

export interface ConfigOverrides {
  readonly faultTicks?: number;
  readonly removeLeaderAllowed?: boolean;
  /**
   * 'crash-heavy': every seed crashes, often two machines or all at once, and restarts
   * soon, with fsyncs of up to 3 ticks: a scenario for lost unsynced writes.
   */
  readonly scenario?: 'crash-heavy';
}

export const scenarios = ['crash-heavy'] as const;
/** Well below the election timeout (10 to 20 ticks), or elections could never finish. */
const slowDiskLatencyTicksMax = 6;

export function configFromSeed(seed: number, overrides: ConfigOverrides = {}): SimConfig {
  const config = swarmConfig(seed, overrides);
  if (overrides.scenario !== 'crash-heavy') return config;
  return {
    ...config,
    faults: {
      ...config.faults,
      crashProbability: 0.01,
      crashTogetherProbability: 0.3,
      crashAllProbability: 0.04,
      restartProbability: 0.5,
    },
    storage: {
      ...config.storage,
      syncLatencyTicksMax: 3,
      syncLatencyTicksMaxBySlot: config.nodeIds.map((_, index) =>
        index === 0 ? slowDiskLatencyTicksMax : 3,
      ),
    },
    enabled: [...new Set([...config.enabled, 'crash', 'crash-heavy'])],
  };
}

function swarmConfig(seed: number, overrides: ConfigOverrides): SimConfig {
  const prng = new Prng(seed);
  const nodeCount = prng.pick([1, 2, 3, 3, 3, 4, 5, 5, 6, 7]);
  const nodeIds = Array.from({ length: nodeCount }, (_, index) => `n${index + 1}`);
  const voterCount = Math.min(nodeCount, limits.raftVotersMax, prng.pick([1, 3, 3, 5, 5, 5]));
  const enabled = new Set<string>();
  for (const kind of [
    'drop',
    'delay',
    'reorder',
    'duplicate',
    'partition',
    'crash',
    'torn',
    'membership',
    'transfer',
    'snapshot',
    'pause',
    'skew',
    'slow-disk',
  ]) {
    if (prng.chance(0.5)) enabled.add(kind);
  }
  // Nodes beyond the initial voters are spares (membership on) or learners.
  const initialLearners = enabled.has('membership') ? [] : nodeIds.slice(voterCount);
  const syncLatencyTicksMax = prng.pick([0, 1, 2, 3]);
  // One machine's disk is slow: its acknowledgements come late while the others' do not.
  const slowDiskSlot = enabled.has('slow-disk') ? prng.nextIntegerInclusive(0, nodeCount - 1) : -1;
  const delayTicksMax = enabled.has('delay') ? prng.nextIntegerInclusive(1, 8) : 0;
  return {
    seed,
    nodeIds,
    initialVoters: nodeIds.slice(0, voterCount),
    initialLearners,
    clientCount: prng.nextIntegerInclusive(1, 4),
    keyCount: prng.nextIntegerInclusive(1, 3),
    clientIssueProbability: prng.pick([0.05, 0.2, 0.5]),
    clientTimeoutTicks: prng.nextIntegerInclusive(30, 80),
    faultTicks: overrides.faultTicks ?? 300,
    livenessTicksMax: 300,
    drainTicks: 300,
    network: {
      dropProbability: enabled.has('drop') ? prng.pick([0.01, 0.05, 0.2]) : 0,
      duplicateProbability: enabled.has('duplicate') ? prng.pick([0.01, 0.05, 0.2]) : 0,
      delayTicksMax,
      reorder: enabled.has('reorder') && delayTicksMax > 0,
    },
    faults: {
      partitionProbability: enabled.has('partition') ? prng.pick([0.01, 0.03, 0.08]) : 0,
      healProbability: prng.pick([0.02, 0.05, 0.1]),
      crashProbability: enabled.has('crash') ? prng.pick([0.005, 0.02, 0.05]) : 0,
      crashTogetherProbability: enabled.has('crash') ? prng.pick([0, 0.3]) : 0,
      crashAllProbability: enabled.has('crash') ? prng.pick([0, 0.003, 0.01]) : 0,
      pauseProbability: enabled.has('pause') ? prng.pick([0.005, 0.02, 0.05]) : 0,
      restartProbability: prng.pick([0.03, 0.1, 0.3]),
      tornWrites: enabled.has('torn'),
      membershipProbability:
        enabled.has('membership') && nodeCount > 1 ? prng.pick([0.01, 0.03, 0.08]) : 0,
      transferProbability: enabled.has('transfer') ? prng.pick([0.005, 0.02, 0.05]) : 0,
    },
    tuning: {
      electionTimeoutTicks: limits.raftElectionTimeoutTicks,
      heartbeatTicks: limits.raftHeartbeatTicks,
      maxSizePerMessageBytes: prng.pick([1, 200, 4096, 64 * 1024]),
      inflightMessagesMax: prng.pick([1, 4, 64, 256]),
      inflightBytesMax: prng.pick([1024, 64 * 1024, 1024 * 1024]),
      snapshotEveryEntries: enabled.has('snapshot') ? prng.pick([2, 5, 20]) : 1000,
      compactKeepEntries: prng.pick([0, 2, 20]),
    },
    storage: {
      syncLatencyTicksMax,
      syncLatencyTicksMaxBySlot: nodeIds.map((_, index) =>
        index === slowDiskSlot ? slowDiskLatencyTicksMax : syncLatencyTicksMax,
      ),
      walSegmentBytes: prng.pick([8192, 16384, 65536]),
      walPreallocate: prng.chance(0.5),
      stateFlushProbability: prng.pick([0.05, 0.3, 1]),
    },
    clockRates: nodeIds.map(() => (enabled.has('skew') ? prng.pick([0.5, 0.8, 1, 1, 1.25, 2]) : 1)),
    enabled: [...enabled],
    removeLeaderAllowed: overrides.removeLeaderAllowed ?? true,
  };
}

export function describeConfig(config: SimConfig): string {
  return [
    `nodes ${config.nodeIds.length} (voters ${config.initialVoters.length}, learners ${config.initialLearners.length})`,
    `clients ${config.clientCount}, keys ${config.keyCount}`,
    `faults [${config.enabled.join(' ')}]`,
    `fsync 0..[${config.storage.syncLatencyTicksMaxBySlot.join(',')}] ticks, segments ${config.storage.walSegmentBytes} B`,
  ].join(', ');
}
