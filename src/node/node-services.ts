// The services of one node around its meta group: objects, cluster admin, the chunk
// service, the maintenance coordinator and its control, metrics, and the duties the
// group's tick runs. Each service receives the narrow interface it declares.

import { BackupService } from './backup-service.js';
import type { NodeInfo } from '../api/index.js';
import type { MetaChange } from '../meta/index.js';
import type { ChunkTransport } from '../data/chunk-transfer.js';
import type { ChunkPlacementContext } from '../data/object-data.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { join } from 'node:path';
import type { Disk } from '../storage/disk.js';
import { HintsStore } from '../storage/hints-store.js';
import { limits } from '../util/limits.js';
import { ChunkReclaimer, reclaimerProgressPath } from './chunk-reclaimer.js';
import { AuthService } from './auth-service.js';
import { ChunkService } from './chunk-service.js';
import { InFlightChunks } from './in-flight-chunks.js';
import { DiskGuard } from './disk-guard.js';
import { ticksFor } from './duty-scheduler.js';
import { requireLeader } from './leader-gate.js';
import { MaintenanceControl } from './maintenance-control.js';
import { MaintenanceCoordinator } from './maintenance-coordinator.js';
import { MaintenanceSettingsState } from './maintenance-settings.js';
import { memberCalls } from './member-calls.js';
import type { GroupObserver, MetaGroup } from './meta-group.js';
import { type MetricsSource, NodeMetrics } from './metrics/registry.js';
import type { ReadinessSource } from './metrics/readiness.js';
import { ClusterAdmin } from './node-admin.js';
import { ClusterSettingsService } from './cluster-settings.js';
import { DownMemberTracker } from './down-members.js';
import { HandOff } from './hand-off.js';
import { LowDiskLeadership } from './low-disk-leadership.js';
import { LeaseService } from './lease-service.js';
import { LockService } from './lock-service.js';
import { ObjectService, type ObjectServiceOptions } from './object-service.js';
import { holdPutCommit, type TestHooks } from './test-hooks.js';
import { TxnService } from './txn-service.js';
import { WatchHub } from './watch-hub.js';

/** Leader duties of membership run this often (and at once on becoming leader). */
const membershipDutyTicks = 10;
/** How often the leader checks for members silent longer than down-after. */
const downMembersDutyMilliseconds = 1_000;
/** How often a leader checks its disk against the reserve (and hands over when low). */
const lowDiskDutyMilliseconds = 5_000;

export interface NodeServicesOptions {
  readonly name: string;
  readonly dataDirectory: string;
  readonly tickMilliseconds: number;
  readonly group: MetaGroup;
  readonly chunkStore: ChunkStore;
  readonly chunkTransport: ChunkTransport;
  /** This node's hints (stand-in copies it holds for another home node). */
  readonly hints: HintsStore;
  readonly testHooks: TestHooks;
  readonly metrics: NodeMetrics;
  readonly info: () => NodeInfo;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

export interface NodeServices {
  readonly group: MetaGroup;
  readonly objects: ObjectService;
  readonly admin: ClusterAdmin;
  readonly chunks: ChunkService;
  readonly settings: MaintenanceSettingsState;
  readonly maintenance: MaintenanceControl;
  readonly metrics: NodeMetrics;
  /** The cluster's settings through the meta group (write quorum, down-after, rates). */
  readonly clusterSettings: ClusterSettingsService;
  /** When the leader last heard from each member; marks members down and up. */
  readonly downMembers: DownMemberTracker;
  /** Stand-in copies this node holds for other home nodes (recorded by the chunk route). */
  readonly hints: HintsStore;
  readonly diskGuard: DiskGuard;
  /** Deletes the chunks of applied collections; gates every chunk write (issue 13). */
  readonly reclaimer: ChunkReclaimer;
  /** What /livez and /readyz check. */
  readonly readiness: ReadinessSource;
  readonly coordinator: MaintenanceCoordinator;
  readonly txn: TxnService;
  /** The watches this node serves; notify() after each applied batch. */
  readonly watches: WatchHub;
  readonly leases: LeaseService;
  readonly locks: LockService;
  /** Backup exports, chunk reads and the revision base (issue 18). */
  readonly backup: BackupService;
  /** Users, roles, tokens; checks the bearer token of each request (issue 14). */
  readonly auth: AuthService;
  readonly info: () => NodeInfo;
  /** The changes of applied entries, after their batch is written. */
  onChanges(changes: readonly MetaChange[]): void;
  stop(): void;
}

export function createNodeServices(options: NodeServicesOptions): NodeServices {
  const { group, log } = options;
  if (options.testHooks.injectedBug !== undefined)
    log('TEST-ONLY-BUG-INJECTED', { bug: options.testHooks.injectedBug });
  const rings = () => group.membership.rings();
  const placement = (): ChunkPlacementContext => ({
    selfId: options.name,
    store: options.chunkStore,
    transport: options.chunkTransport,
    rings,
    peerAddressOf: (memberId) => group.peerAddressOf(memberId),
    hints: options.hints,
    ...(options.testHooks.injectedBug === 'early-put-ack' ? { firstReplicaOnly: true } : {}),
    ...(options.testHooks.injectedBug === 'wait-all-copies' ? { waitForAllCopies: true } : {}),
    onBadCopy: (memberId, sha256, reason) =>
      log('bad-chunk-copy', { member: memberId, sha256, reason }),
  });
  // Issue 13: garbage reclaimed on evidence; every chunk write waits on the reclaimer.
  const reclaimer = ChunkReclaimer.load({
    reader: () => group.reader(),
    store: options.chunkStore,
    progressPath: reclaimerProgressPath(options.dataDirectory),
    log,
  });
  options.chunkStore.setWriteGate(() => reclaimer.admit(0));
  const inFlight = new InFlightChunks();
  options.chunkTransport.collectionIndex = () => reclaimer.appliedCollectionIndex();
  const metrics = options.metrics;
  const diskGuard = new DiskGuard(options.name, options.dataDirectory);
  const clusterSettings = new ClusterSettingsService(group);
  const lowDisk = new LowDiskLeadership({
    group,
    diskGuard,
    nodeStatus: (address) => memberCalls.nodeStatus(address),
    log,
  });
  const leases = new LeaseService({ group, log });
  const locks = new LockService({ group, leasePast: (leaseId) => leases.isPast(leaseId) });
  const objects = new ObjectService({
    checkFenceUsable: (fence) => locks.checkFenceUsable(fence),
    leasePast: (leaseId) => leases.isPast(leaseId),
    group,
    placement,
    refuseWritesWhenLow: () => lowDisk.refuseWriteWhenLow(),
    observe: (operation, _milliseconds, bytes) => metrics.observeObjectBytes(operation, bytes),
    writeQuorum: () => clusterSettings.current()?.writeQuorum,
    // Some chunk has fewer than R copies: a sweep brings it to R (fewest copies first).
    onUnderReplicated: () => coordinator.requestSweep(),
    ...(options.testHooks.injectedBug === 'fence-unchecked' ? { ignoreFences: true } : {}),
    ...heldCommitsOf(options.testHooks),
    inFlight,
  });
  const txn = new TxnService({
    group,
    chunks: objects,
    log,
    checkFenceUsable: (fence) => locks.checkFenceUsable(fence),
  });
  const chunks = new ChunkService({
    selfId: options.name,
    dataDirectory: options.dataDirectory,
    store: options.chunkStore,
    reader: () => group.reader(),
    rings,
    placement,
    log,
    inFlight: () => inFlight.report(),
  });
  const settings = new MaintenanceSettingsState(log);
  const coordinator = new MaintenanceCoordinator({
    selfId: options.name,
    group: {
      isLeader: () => group.isLeader(),
      reader: () => group.reader(),
      rings,
      propose: (command) => group.propose(command),
    },
    local: chunks,
    settings,
    placement,
    calls: memberCalls,
    peerAddressOf: (memberId) => group.peerAddressOf(memberId),
    log,
  });
  const maintenance = new MaintenanceControl(coordinator, {
    requireLeader: (what) => requireLeader(group, what),
    fillRatio: () => chunks.fillRatio(),
  });
  const admin = new ClusterAdmin({
    selfId: options.name,
    dataDirectory: options.dataDirectory,
    group,
    info: options.info,
    healthReason: () => group.health().reason,
    calls: memberCalls,
  });
  const every = (milliseconds: number) => ticksFor(milliseconds, options.tickMilliseconds);
  const duties = group.duties;
  // A member back after a silence may lack copies of chunks written meanwhile.
  const downMembers = new DownMemberTracker(group, log, undefined, (memberId) => {
    log('member-returned', { member: memberId });
    coordinator.requestSweep();
  });
  const handOff = new HandOff({
    selfId: options.name,
    store: options.chunkStore,
    hints: options.hints,
    transport: options.chunkTransport,
    rings,
    peerAddressOf: (memberId) => group.peerAddressOf(memberId),
    log,
  });
  duties.add({
    name: 'hinted-handoff',
    everyTicks: every(limits.hintedHandoffIntervalMillisecondsDefault),
    runsOn: 'every',
    run: () => handOff.duty(),
  });
  duties.add({
    name: 'low-disk-leadership',
    everyTicks: every(lowDiskDutyMilliseconds),
    runsOn: 'leader',
    run: () => lowDisk.duty(),
  });
  duties.add({
    name: 'down-members',
    everyTicks: every(downMembersDutyMilliseconds),
    runsOn: 'leader',
    run: () => downMembers.duty(),
  });
  const watches = new WatchHub({
    reader: () => group.reader(),
    leaderKnown: () => group.leaderId() !== null,
  });
  // Every tick: a node without a leader ends its watches well within an election timeout.
  duties.add({
    name: 'watches',
    everyTicks: 1,
    runsOn: 'every',
    run: async () => watches.tick(),
  });
  duties.add({
    name: 'record-cluster',
    everyTicks: membershipDutyTicks,
    runsOn: 'leader',
    onLeadership: true,
    run: () => admin.recordClusterDuty(),
  });
  duties.add({
    name: 'promote-learners',
    everyTicks: membershipDutyTicks,
    runsOn: 'leader',
    onLeadership: true,
    run: () => admin.promoteLearnersDuty(),
  });
  // On every member: the coordinator notices a leadership change itself (a sweep).
  duties.add({
    name: 'maintenance-pass',
    everyTicks: every(limits.maintenancePassIntervalMilliseconds),
    runsOn: 'every',
    run: () => coordinator.passDuty(),
  });
  duties.add({
    name: 'scrub',
    everyTicks: every(limits.scrubIntervalMilliseconds),
    runsOn: 'every',
    run: () => chunks.backgroundScrub(),
  });
  duties.add({
    name: 'garbage',
    everyTicks: every(limits.garbageIntervalMilliseconds),
    runsOn: 'leader',
    run: () => maintenance.garbageDuty(),
  });
  duties.add({
    name: 'garbage-reclaim',
    everyTicks: every(limits.garbageReclaimIntervalMilliseconds),
    runsOn: 'every',
    run: () => reclaimer.duty(),
  });
  duties.add({
    name: 'expire-staging',
    everyTicks: every(limits.stagingExpiryIntervalMilliseconds),
    runsOn: 'leader',
    run: () => txn.expireStagingDuty(),
  });
  // Leases: the leader expires and checkpoints each tick; every node re-reads its store.
  duties.add({
    name: 'lease-expiry',
    everyTicks: 1,
    runsOn: 'leader',
    onLeadership: true,
    run: () => leases.expiryDuty(),
  });
  duties.add({
    name: 'lease-reconcile',
    everyTicks: every(limits.leaseReconcileIntervalMilliseconds),
    runsOn: 'every',
    run: async () => leases.reconcile(),
  });
  return {
    group,
    objects,
    txn,
    leases,
    locks,
    auth: new AuthService(group),
    onChanges: (changes) => {
      leases.onChanges(changes);
      locks.onChanges(changes);
      watches.notify();
    },
    admin,
    chunks,
    settings,
    maintenance,
    metrics,
    clusterSettings,
    downMembers,
    hints: options.hints,
    diskGuard,
    reclaimer,
    readiness: readinessSourceOf(group, diskGuard, chunks),
    coordinator,
    watches,
    backup: new BackupService({ group, placement }),
    info: options.info,
    stop: () => {
      watches.stopAll('shutdown');
      coordinator.stop();
      chunks.stop();
    },
  };
}

/** Test only: CAIRN_TEST_HOLD_PUT_COMMIT (test-hooks.ts). */
function heldCommitsOf(hooks: TestHooks): Pick<ObjectServiceOptions, 'beforeChunkedCommit'> {
  const file = hooks.holdPutCommitUntilFile;
  return file === undefined ? {} : { beforeChunkedCommit: (key) => holdPutCommit(file, key) };
}

function readinessSourceOf(
  group: MetaGroup,
  diskGuard: DiskGuard,
  chunks: ChunkService,
): ReadinessSource {
  return {
    fatalError: () => {
      const health = group.health();
      return health.ok ? undefined : health.reason;
    },
    inCluster: () => group.isMember(),
    hasLeader: () => group.leaderId() !== null,
    linearizableRead: () => group.readBarrier('linearizable'),
    diskFreeBytes: () => diskGuard.freeBytes(),
    diskReserveBytes: () => diskGuard.reserveBytes,
    probeChunkStore: () => chunks.probeWritable(),
    persistingStalled: () => {
      const stalled = group.loopState().stalled;
      return stalled === undefined
        ? undefined
        : `${stalled.error} (since ${new Date(stalled.at).toISOString()})`;
    },
  };
}

/** The transport's totals the metrics read (PeerTransport.statistics). */
export interface TransportTotals {
  readonly requestsSent: number;
  readonly messagesDropped: number;
}

/**
 * What /metrics reads, late-bound: the metrics exist before the group and the services
 * (the group and the transport report into them), so each figure is looked up when read.
 */
export function metricsSourceOf(
  group: () => MetaGroup | undefined,
  services: () => NodeServices | undefined,
  transport: () => TransportTotals | undefined,
): MetricsSource {
  const status = () => group()?.status();
  const driver = () => group()?.driverStatistics();
  return {
    raftTerm: () => status()?.term ?? 0,
    raftCommitIndex: () => status()?.commit ?? 0,
    raftAppliedIndex: () => group()?.appliedIndex() ?? 0,
    isLeader: () => group()?.isLeader() ?? false,
    hasLeader: () => (group()?.leaderId() ?? null) !== null,
    proposalsPending: () => group()?.loopState().proposalsPending ?? 0,
    walSyncs: () => driver()?.syncs ?? 0,
    entriesPersisted: () => driver()?.entriesPersisted ?? 0,
    readRounds: () => driver()?.readRounds ?? 0,
    peerBatchesSent: () => transport()?.requestsSent ?? 0,
    peerMessagesDropped: () => transport()?.messagesDropped ?? 0,
    // Known on the leader from its last reconcile pass; 0 before the first pass and on
    // followers (only the leader plans, so one member reports the cluster's figure).
    chunksUnderReplicated: () => services()?.coordinator.progress.chunksUnderReplicated ?? 0,
    diskFreeBytes: () => services()?.diskGuard.freeBytes() ?? 0,
  };
}

/** The group's durations and events, reported into the node's metrics. */
export function groupObserverOf(metrics: NodeMetrics): GroupObserver {
  return {
    walSynced: (seconds) => metrics.observeWalSync(seconds),
    applied: (seconds) => metrics.observeApply(seconds),
    committed: (seconds) => metrics.observeCommit(seconds),
    proposalFailed: (reason) => metrics.proposalFailed(reason),
    leaderSeen: (leaderId) => metrics.leaderSeen(leaderId),
  };
}

/**
 * The node's metrics, built before the group and the services (which report into
 * them): what they read is looked up late, when /metrics is scraped.
 */
export function nodeMetrics(
  name: string,
  parts: () => {
    group: MetaGroup | undefined;
    services: NodeServices | undefined;
    transport: { readonly statistics: TransportTotals } | undefined;
  },
): NodeMetrics {
  const source = metricsSourceOf(
    () => parts().group,
    () => parts().services,
    () => parts().transport?.statistics,
  );
  return new NodeMetrics(name, source);
}

/** A peer answered a Raft batch: its round trip, and the leader heard from it. */
export function peerAnswered(
  metrics: NodeMetrics,
  services: () => NodeServices | undefined,
): (peer: string, seconds: number) => void {
  return (peer, seconds) => {
    metrics.observePeerRoundTrip(peer, seconds);
    services()?.downMembers.heard(peer);
  };
}

/** This node's hints store, next to its chunk store. */
export function openHintsStore(disk: Disk, dataDirectory: string): Promise<HintsStore> {
  return HintsStore.open(disk, join(dataDirectory, 'hints'));
}
