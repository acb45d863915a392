// What operators ask of maintenance, on the leader: rebalance status, settings, plan,
// repair, drain and garbage collection (the routes under /v1/cluster/...). The passes
// themselves are the coordinator's (maintenance-coordinator.ts).

import type {
  DrainAnswer,
  GarbageReport,
  RebalanceRequest,
  RebalanceStatusView,
  RepairReport,
} from '../api/index.js';
import { planRebalance, referencedChunks, type RebalancePlan } from '../data/maintenance/index.js';
import {
  chunkRetainedReferenceCount,
  members as metaMembers,
  readRingState,
  type MemberRecord,
} from '../meta/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { MaintenanceCoordinator } from './maintenance-coordinator.js';

/** What the control needs of the meta group beyond the coordinator's view. */
export interface ControlGroup {
  /** Throws NOT_LEADER (with the leader's address) unless leading; then a read barrier. */
  requireLeader(what: string): Promise<void>;
  fillRatio(): number;
}

export class MaintenanceControl {
  constructor(
    private readonly coordinator: MaintenanceCoordinator,
    private readonly gate: ControlGroup,
  ) {}

  private get options(): MaintenanceCoordinator['options'] {
    return this.coordinator.options;
  }

  private async leaderOnly<T>(work: () => T | Promise<T>): Promise<T> {
    await this.gate.requireLeader('rebalance, repair and gc run on the leader');
    return work();
  }

  status(): Promise<RebalanceStatusView> {
    return this.leaderOnly(() => this.statusNow());
  }

  private statusNow(): RebalanceStatusView {
    const ringState = readRingState(this.options.group.reader());
    const progress = this.coordinator.progress;
    const settings = this.options.settings;
    const unsettled = ringState !== undefined && ringState.currentEpoch !== ringState.settledEpoch;
    const state = settings.paused
      ? 'paused'
      : progress.running
        ? 'running'
        : unsettled
          ? 'waiting'
          : 'idle';
    return {
      leaderId: this.options.selfId,
      currentEpoch: ringState?.currentEpoch ?? 0,
      settledEpoch: ringState?.settledEpoch ?? 0,
      state,
      paused: settings.paused,
      rateBytesPerSecond: settings.bucket.rate,
      parallel: settings.parallel,
      passes: progress.passes,
      chunksPlanned: progress.chunksPlanned,
      bytesPlanned: progress.bytesPlanned,
      chunksCopied: progress.chunksCopied,
      bytesCopied: progress.bytesCopied,
      bytesPerSecond: progress.bytesPerSecond(),
      failedCount: progress.failedCount,
      failures: progress.failures,
      refused: progress.refused,
      lostChunkCount: progress.lostChunkCount,
      surplusRemoved: progress.surplusRemoved,
      lastError: progress.lastError,
    };
  }

  /** start / resume / pause: applies the settings here and pushes them to every member. */
  configure(input: RebalanceRequest, pause: boolean): Promise<RebalanceStatusView> {
    return this.leaderOnly(async () => {
      const settings = this.options.settings;
      const paused = pause
        ? true
        : input.resume === true || input.start === true
          ? false
          : settings.paused;
      const applied = settings.apply({
        ...(input.rateBytesPerSecond === undefined
          ? {}
          : { rateBytesPerSecond: input.rateBytesPerSecond }),
        ...(input.parallel === undefined ? {} : { parallel: input.parallel }),
        paused,
      });
      await this.coordinator.pushSettings(applied);
      return this.statusNow();
    });
  }

  repair(): Promise<RepairReport> {
    return this.leaderOnly(() => this.coordinator.runPass('repair'));
  }

  plan(rateBytesPerSecond: number): Promise<RebalancePlan> {
    return this.leaderOnly(async () => {
      const rings = this.options.group.rings();
      const toRing = rings[0];
      if (toRing === undefined)
        throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'no placement ring yet');
      const reader = this.options.group.reader();
      const fills = await Promise.all(
        metaMembers(reader).map(async (member) => [member.id, await this.fillOf(member)] as const),
      );
      return planRebalance({
        fromRing: rings[1] ?? toRing,
        toRing,
        chunks: referencedChunks(reader),
        fillRatios: new Map(fills),
        fillRatioMax: limits.maintenanceFillPercentMax / 100,
        rateBytesPerSecond,
      });
    });
  }

  private async fillOf(member: MemberRecord): Promise<number | null> {
    try {
      if (member.id === this.options.selfId) return this.gate.fillRatio();
      return (await this.coordinator.inventoryPageOf(member.id, null, 1)).fillRatio;
    } catch {
      return null;
    }
  }

  /** Marks a member draining: a new epoch without it; the rebalance moves its chunks away. */
  drain(id: string): Promise<DrainAnswer> {
    return this.leaderOnly(async () => {
      const member = metaMembers(this.options.group.reader()).find(
        (candidate) => candidate.id === id,
      );
      if (member === undefined)
        throw new CairnError('CAIRN_ERR_NOT_FOUND', `member ${id} not found`);
      if (member.state !== 'draining') {
        const result = await this.options.group.propose({
          type: 'updateMember',
          id,
          state: 'draining',
        });
        if (result.type === 'rejected')
          throw new CairnError('CAIRN_ERR_CONFLICT', `${id} cannot drain: ${result.message}`);
      }
      this.coordinator.requestSweep();
      return { id, epoch: readRingState(this.options.group.reader())?.currentEpoch ?? 0 };
    });
  }

  collectGarbage(graceMilliseconds: number): Promise<GarbageReport> {
    return this.leaderOnly(() => this.collectGarbageNow(graceMilliseconds));
  }

  /** The garbage duty of the leader (every garbageIntervalMilliseconds). */
  async garbageDuty(): Promise<void> {
    if (!this.options.group.isLeader()) return;
    try {
      const report = await this.collectGarbage(limits.garbageGracePeriodMillisecondsDefault);
      if (report.removed > 0) this.options.log('garbage-collected', { ...report });
    } catch (error) {
      this.options.log('garbage-collection-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Asks every member to delete its unreferenced chunk files older than the grace period. */
  private async collectGarbageNow(graceMilliseconds: number): Promise<GarbageReport> {
    const reader = this.options.group.reader();
    const inventories = await this.coordinator.inventories(metaMembers(reader));
    let candidates = 0;
    let removed = 0;
    let keptYoung = 0;
    const unreachable: string[] = [];
    const batchMax = limits.maintenanceRemoveBatchChunksMax;
    for (const inventory of inventories) {
      if (!inventory.reachable) {
        unreachable.push(inventory.memberId);
        continue;
      }
      const garbage = [...inventory.chunks].filter(
        (sha256) => chunkRetainedReferenceCount(reader, sha256) === 0,
      );
      candidates += garbage.length;
      for (let start = 0; start < garbage.length; start += batchMax) {
        const answer = await this.coordinator.removeOn(inventory.memberId, {
          reason: 'garbage',
          sha256s: garbage.slice(start, start + batchMax),
          graceMilliseconds,
        });
        removed += answer.removed;
        keptYoung += answer.kept;
      }
    }
    return { graceMilliseconds, candidates, removed, keptYoung, unreachable };
  }
}
