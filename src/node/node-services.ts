// The services of one node around its meta group: objects, cluster admin, the chunk
// service, the maintenance coordinator and its control, metrics, and the duties the
// group's tick runs. Each service receives the narrow interface it declares.

import type { NodeInfo } from '../api/index.js';
import type { MetaChange } from '../meta/index.js';
import type { ChunkTransport } from '../data/chunk-transfer.js';
import type { ChunkPlacementContext } from '../data/object-data.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { limits } from '../util/limits.js';
import { ChunkService } from './chunk-service.js';
import { DiskGuard } from './disk-guard.js';
import { ticksFor } from './duty-scheduler.js';
import { requireLeader } from './leader-gate.js';
import { MaintenanceControl } from './maintenance-control.js';
import { MaintenanceCoordinator } from './maintenance-coordinator.js';
import { MaintenanceSettingsState } from './maintenance-settings.js';
import { memberCalls } from './member-calls.js';
import type { MetaGroup } from './meta-group.js';
import { ClusterAdmin } from './node-admin.js';
import { NodeMetrics } from './node-metrics.js';
import { LeaseService } from './lease-service.js';
import { LockService } from './lock-service.js';
import { ObjectService } from './object-service.js';
import type { TestHooks } from './test-hooks.js';

/** Leader duties of membership run this often (and at once on becoming leader). */
const membershipDutyTicks = 10;

export interface NodeServicesOptions {
  readonly name: string;
  readonly dataDirectory: string;
  readonly tickMilliseconds: number;
  readonly group: MetaGroup;
  readonly chunkStore: ChunkStore;
  readonly chunkTransport: ChunkTransport;
  readonly testHooks: TestHooks;
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
  readonly leases: LeaseService;
  readonly locks: LockService;
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
    ...(options.testHooks.injectedBug === 'early-put-ack' ? { firstReplicaOnly: true } : {}),
    onBadCopy: (memberId, sha256, reason) =>
      log('bad-chunk-copy', { member: memberId, sha256, reason }),
  });
  const metrics = new NodeMetrics();
  const diskGuard = new DiskGuard(options.name, options.dataDirectory);
  const leases = new LeaseService({ group, log });
  const locks = new LockService({ group, leasePast: (leaseId) => leases.isPast(leaseId) });
  const objects = new ObjectService({
    checkFenceUsable: (fence) => locks.checkFenceUsable(fence),
    leasePast: (leaseId) => leases.isPast(leaseId),
    group,
    placement,
    refuseWritesWhenLow: () => diskGuard.refuseWritesWhenLow(),
    observe: (operation, milliseconds, bytes) => metrics.observe(operation, milliseconds, bytes),
  });
  const chunks = new ChunkService({
    selfId: options.name,
    dataDirectory: options.dataDirectory,
    store: options.chunkStore,
    reader: () => group.reader(),
    rings,
    placement,
    log,
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
    leases,
    locks,
    onChanges: (changes) => {
      leases.onChanges(changes);
      locks.onChanges(changes);
    },
    admin,
    chunks,
    settings,
    maintenance,
    metrics,
    info: options.info,
    stop: () => {
      coordinator.stop();
      chunks.stop();
    },
  };
}
