// What operators ask of maintenance, on the leader: rebalance status, settings, plan,
// repair, drain and garbage collection (the routes under /v1/cluster/...). The passes
// themselves are the coordinator's (maintenance-coordinator.ts).

import type {
  DrainAnswer,
  GarbageReport,
  InventoryPage,
  RebalanceRequest,
  RebalanceStatusView,
  RepairReport,
} from '../api/index.js';
import { planRebalance, referencedChunks, type RebalancePlan } from '../data/maintenance/index.js';
import {
  chunkRetainedReferenceCount,
  chunkTombstoneIndex,
  members as metaMembers,
  readGarbageState,
  readRingState,
  type MemberRecord,
} from '../meta/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { MaintenanceCoordinator } from './maintenance-coordinator.js';

const emptyReport = { candidates: 0, collected: 0, entries: 0, collectionIndex: 0 } as const;

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

  collectGarbage(): Promise<GarbageReport> {
    return this.leaderOnly(() => this.collectGarbageNow());
  }

  /** The garbage duty of the leader (every garbageIntervalMilliseconds). */
  async garbageDuty(): Promise<void> {
    if (!this.options.group.isLeader()) return;
    try {
      const report = await this.collectGarbage();
      if (report.collected > 0) this.options.log('garbage-collected', { ...report });
    } catch (error) {
      this.options.log('garbage-collection-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Commits collectChunks entries for the chunk files some member holds and nothing
   * references here (src/meta/garbage); every node deletes its copies once it applied
   * them (chunk-reclaimer.ts). No clock: a put in flight is refused at its commit instead.
   */
  private async collectGarbageNow(): Promise<GarbageReport> {
    const reader = this.options.group.reader();
    const inventories = await this.coordinator.inventories(metaMembers(reader));
    const unreachable: string[] = [];
    const garbage = new Set<string>();
    for (const inventory of inventories) {
      if (!inventory.reachable) unreachable.push(inventory.memberId);
      else
        for (const sha256 of inventory.chunks)
          if (chunkRetainedReferenceCount(reader, sha256) === 0) garbage.add(sha256);
    }
    // Asked after the inventories: a put registers a chunk before storing its first copy,
    // so every chunk of a put still in flight that an inventory showed is named here.
    const inFlight = await this.inFlightChunks(inventories);
    if (inFlight === undefined) return { ...emptyReport, unreachable, skipped: true };
    for (const sha256 of inFlight) garbage.delete(sha256);
    const candidates = [...garbage].sort();
    let collected = 0;
    let entries = 0;
    const batchMax = limits.garbageCollectChunksPerEntryMax;
    for (let start = 0; start < candidates.length; start += batchMax) {
      const sha256s = candidates.slice(start, start + batchMax);
      const result = await this.options.group.propose({ type: 'collectChunks', sha256s });
      if (result.type !== 'ok')
        throw new CairnError('CAIRN_ERR_INTERNAL', `collectChunks answered ${result.type}`);
      entries++;
      const after = this.options.group.reader();
      collected += sha256s.filter(
        (sha256) => chunkTombstoneIndex(after, sha256) !== undefined,
      ).length;
    }
    return {
      candidates: candidates.length,
      collected,
      entries,
      collectionIndex: readGarbageState(this.options.group.reader()).lastCollectionIndex,
      unreachable,
      skipped: false,
    };
  }

  /** The union of the reachable members' chunks in flight; undefined if one could not say all. */
  private async inFlightChunks(
    inventories: readonly { memberId: string; reachable: boolean }[],
  ): Promise<Set<string> | undefined> {
    const union = new Set<string>();
    for (const inventory of inventories) {
      if (!inventory.reachable) continue;
      let page: InventoryPage;
      try {
        page = await this.coordinator.inventoryPageOf(inventory.memberId, null, 1);
      } catch {
        continue; // gone since its inventory: its puts fail or are refused at their commit
      }
      if (page.inFlightComplete === false) return undefined;
      for (const sha256 of page.inFlightChunks ?? []) union.add(sha256);
    }
    return union;
  }
}
