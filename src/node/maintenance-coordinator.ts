// The leader's reconcile passes (DESIGN.md section 5; src/data/maintenance/reconcile.ts):
// read every manifest, ask every member what it holds, copy the chunks whose target
// replicas lack them (bounded in parallel and in bytes/s), settle the epoch once a pass
// leaves nothing to do, then remove surplus copies. A pass is idempotent, so a crash
// anywhere means the next leader's pass does what is left: only ring epochs persist.

import type { InventoryPage, MaintenanceSettings, RepairReport } from '../api/index.js';
import {
  planReconcile,
  referencedChunks,
  runCopies,
  type MemberInventory,
  type RefusedTarget,
} from '../data/maintenance/index.js';
import type { ChunkPlacementContext } from '../data/object-data.js';
import {
  members as metaMembers,
  readClusterSettings,
  readIdentity,
  readRingState,
  type MemberRecord,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
} from '../meta/index.js';
import type { Ring } from '../placement/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { copyChunk } from './chunk-copy.js';
import type { MaintenanceSettingsState } from './maintenance-settings.js';
import type { MemberCalls } from './member-calls.js';
import { emptyProgress, type PassProgress } from './pass-progress.js';
import { PassRetry } from './pass-retry.js';

/** What the coordinator needs of the meta group. */
export interface CoordinatorGroup {
  isLeader(): boolean;
  reader(): MetaReader;
  rings(): readonly Ring[];
  propose(command: MetaCommand): Promise<MetaResult>;
}

/** This node's own chunks (the chunk service), asked directly instead of over HTTP. */
export interface LocalChunks {
  inventoryPage(after: string | null, limit: number): Promise<InventoryPage>;
  removeLocal(request: {
    reason: 'surplus';
    sha256s: readonly string[];
  }): Promise<{ removed: number; kept: number }>;
}

export interface CoordinatorOptions {
  readonly selfId: string;
  readonly group: CoordinatorGroup;
  readonly local: LocalChunks;
  readonly settings: MaintenanceSettingsState;
  readonly placement: () => ChunkPlacementContext;
  readonly calls: Pick<MemberCalls, 'inventory' | 'removeChunks' | 'pushSettings'>;
  readonly peerAddressOf: (memberId: string) => string | undefined;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

type PassKind = 'rebalance' | 'repair';
type Planned = {
  plan: ReturnType<typeof planReconcile>;
  copy: Awaited<ReturnType<typeof runCopies>>;
};

export class MaintenanceCoordinator {
  readonly progress: PassProgress = emptyProgress();
  private passRunning: Promise<RepairReport> | undefined;
  private epochFirstSeen: { epoch: number; at: number } | undefined;
  private sweepNeeded = true;
  private wasLeader = false;
  private stopped = false;
  private readonly retry = new PassRetry();

  constructor(readonly options: CoordinatorOptions) {
    options.settings.onChange(() => {
      if (!options.settings.paused) this.sweepNeeded = true;
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** Another pass is wanted (a drain, a new epoch not settled yet). */
  requestSweep(): void {
    this.sweepNeeded = true;
  }

  get running(): boolean {
    return this.progress.running;
  }

  /** The pass duty (every maintenancePassIntervalMilliseconds): a pass when there is work. */
  async passDuty(): Promise<void> {
    if (this.stopped) return;
    const leader = this.options.group.isLeader();
    // A new leader checks once: the old one may have died mid-pass.
    if (leader && !this.wasLeader) this.sweepNeeded = true;
    this.wasLeader = leader;
    if (!leader || this.passRunning !== undefined || this.options.settings.paused) return;
    const sinceLastPass = performance.now() - this.progress.passEndedAt;
    if (sinceLastPass >= limits.maintenanceRepairIntervalMilliseconds) this.sweepNeeded = true;
    if (this.retry.due(performance.now())) this.sweepNeeded = true;
    const ringState = readRingState(this.options.group.reader());
    if (ringState === undefined) return;
    if (ringState.currentEpoch === ringState.settledEpoch && !this.sweepNeeded) return;
    this.sweepNeeded = false;
    try {
      const report = await this.runPass('rebalance');
      this.retry.record(report.failedCount === 0 && report.refused.length === 0, performance.now());
    } catch (error) {
      this.retry.record(false, performance.now());
      this.progress.lastError = error instanceof Error ? error.message : String(error);
      this.options.log('maintenance-pass-failed', { error: this.progress.lastError });
    }
  }

  /** One pass: plan, copy, maybe settle, then (when settled) remove surplus copies. */
  runPass(kind: PassKind): Promise<RepairReport> {
    if (this.passRunning !== undefined) return this.passRunning;
    const running = this.passBody(kind).finally(() => {
      this.passRunning = undefined;
    });
    this.passRunning = running;
    return running;
  }

  private async passBody(kind: PassKind): Promise<RepairReport> {
    const startedAt = performance.now();
    const ringState = readRingState(this.options.group.reader());
    if (ringState === undefined)
      throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'the cluster is not recorded yet');
    if (this.epochFirstSeen?.epoch !== ringState.currentEpoch)
      this.epochFirstSeen = { epoch: ringState.currentEpoch, at: startedAt };
    const first = await this.planAndCopy(kind);
    const settledEpoch = await this.settleIfClean(first, ringState, startedAt);
    let surplusRemoved = 0;
    let second = first;
    const settled = settledEpoch === ringState.currentEpoch;
    if (settled && this.options.group.rings().length === 1 && !this.options.settings.paused) {
      second = await this.planAndCopy(kind);
      surplusRemoved = await this.removeSurplus(second.plan.surplus);
      this.progress.surplusRemoved += surplusRemoved;
    }
    const again = second === first ? undefined : second;
    return {
      chunksExamined: first.plan.chunksExamined,
      copiesMissing: first.plan.copies.length + countRefused(first.plan.refused),
      copiesRestored: first.copy.copiedChunks + (again?.copy.copiedChunks ?? 0),
      bytesRestored: first.copy.copiedBytes + (again?.copy.copiedBytes ?? 0),
      failedCount: first.copy.failedCount + (again?.copy.failedCount ?? 0),
      failures: [...first.copy.failures, ...(again?.copy.failures ?? [])].slice(
        0,
        limits.maintenanceFailuresKeptMax,
      ),
      refused: first.plan.refused,
      lostChunkCount: second.plan.lostChunkCount,
      lostChunks: second.plan.lostChunks,
      surplusRemoved,
      settledEpoch,
      currentEpoch: ringState.currentEpoch,
    };
  }

  /** Commits settleEpoch when a pass left nothing to do and the epoch is old enough. */
  private async settleIfClean(
    first: Planned,
    ringState: { currentEpoch: number; settledEpoch: number },
    startedAt: number,
  ): Promise<number> {
    if (ringState.currentEpoch === ringState.settledEpoch) return ringState.settledEpoch;
    const clean =
      first.copy.failedCount === 0 &&
      !first.copy.interrupted &&
      first.plan.refused.length === 0 &&
      first.plan.lostChunkCount === 0;
    const oldEnough =
      this.epochFirstSeen !== undefined &&
      startedAt - this.epochFirstSeen.at >= limits.maintenanceSettleDelayMilliseconds;
    if (!(clean && oldEnough && this.options.group.isLeader())) {
      this.sweepNeeded = true; // come back: not settled yet
      return ringState.settledEpoch;
    }
    const result = await this.options.group.propose({
      type: 'settleEpoch',
      epoch: ringState.currentEpoch,
    });
    this.options.log('epoch-settled', { epoch: ringState.currentEpoch, result: result.type });
    return result.type === 'ok' ? ringState.currentEpoch : ringState.settledEpoch;
  }

  private async planAndCopy(kind: PassKind): Promise<Planned> {
    const ring = this.options.group.rings()[0];
    if (ring === undefined)
      throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'no placement ring yet');
    const reader = this.options.group.reader();
    const chunks = referencedChunks(reader);
    const inventories = await this.inventories(metaMembers(reader));
    const plan = planReconcile({
      chunks,
      ring,
      inventories,
      fillRatioMax: limits.maintenanceFillPercentMax / 100,
    });
    const progress = this.progress;
    progress.startPass(plan);
    this.options.log('maintenance-pass', {
      kind,
      copies: plan.copies.length,
      bytes: plan.copyBytes,
      refused: plan.refused.length,
      lost: plan.lostChunkCount,
      surplus: plan.surplus.length,
    });
    const settings = this.options.settings;
    const identity = readIdentity(reader);
    const ringState = readRingState(reader);
    const bucket = settings.bucketForPass(
      readClusterSettings(reader, identity?.replicationFactor ?? 1),
      ringState !== undefined && ringState.currentEpoch !== ringState.settledEpoch,
    );
    try {
      const copy = await runCopies(fewestCopiesFirst(plan.copies), {
        parallel: settings.parallel,
        bucket,
        now: () => performance.now(),
        sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
        copy: (task, sourceId) => copyChunk(this.options.placement(), task, sourceId),
        shouldContinue: () => !this.stopped && !settings.paused && this.options.group.isLeader(),
        onCopied: (task) => progress.copied(task.bytes),
      });
      progress.failedCount = copy.failedCount;
      progress.failures = copy.failures;
      return { plan, copy };
    } finally {
      progress.endPass();
    }
  }

  async inventories(members: readonly MemberRecord[]): Promise<MemberInventory[]> {
    return Promise.all(
      members.map(async (member): Promise<MemberInventory> => {
        try {
          const { fillRatio, chunks } = await this.memberInventory(member);
          return { memberId: member.id, reachable: true, fillRatio, chunks };
        } catch (error) {
          this.options.log('inventory-failed', {
            member: member.id,
            error: error instanceof Error ? error.message : String(error),
          });
          return { memberId: member.id, reachable: false, fillRatio: 1, chunks: new Set() };
        }
      }),
    );
  }

  /** One inventory page of a member (this node's own without HTTP). */
  inventoryPageOf(memberId: string, after: string | null, limit?: number): Promise<InventoryPage> {
    const pageMax = limits.maintenanceInventoryPageChunksMax;
    if (memberId === this.options.selfId)
      return this.options.local.inventoryPage(after, limit ?? pageMax);
    return this.options.calls.inventory(this.addressOf(memberId), after, limit);
  }

  private async memberInventory(
    member: MemberRecord,
  ): Promise<{ fillRatio: number; chunks: Set<string> }> {
    const chunks = new Set<string>();
    let after: string | null = null;
    const pagesMax =
      Math.ceil(limits.maintenanceChunksScanMax / limits.maintenanceInventoryPageChunksMax) + 1;
    for (let page = 0; page < pagesMax; page++) {
      const answer: InventoryPage = await this.inventoryPageOf(member.id, after);
      if (answer.memberId !== member.id)
        throw new CairnError(
          'CAIRN_ERR_CLUSTER_MISMATCH',
          `${member.peerAddress} is ${answer.memberId}, not ${member.id}`,
        );
      for (const sha256 of answer.chunks) chunks.add(sha256);
      if (answer.nextAfter === null) return { fillRatio: answer.fillRatio, chunks };
      after = answer.nextAfter;
    }
    throw new CairnError(
      'CAIRN_ERR_LIMIT_EXCEEDED',
      `the inventory of ${member.id} exceeds maintenanceChunksScanMax`,
    );
  }

  private async removeSurplus(
    surplus: readonly { sha256: string; memberId: string }[],
  ): Promise<number> {
    const byMember = new Map<string, string[]>();
    for (const copy of surplus)
      byMember.set(copy.memberId, [...(byMember.get(copy.memberId) ?? []), copy.sha256]);
    let removed = 0;
    const batchMax = limits.maintenanceRemoveBatchChunksMax;
    for (const [memberId, sha256s] of byMember) {
      for (let start = 0; start < sha256s.length; start += batchMax) {
        const batch = sha256s.slice(start, start + batchMax);
        try {
          removed += (await this.removeOn(memberId, { reason: 'surplus', sha256s: batch })).removed;
        } catch (error) {
          this.options.log('surplus-remove-failed', {
            member: memberId,
            error: error instanceof Error ? error.message : String(error),
          });
          break;
        }
      }
    }
    return removed;
  }

  removeOn(
    memberId: string,
    request: { reason: 'surplus'; sha256s: string[] },
  ): Promise<{ removed: number; kept: number }> {
    if (memberId === this.options.selfId) return this.options.local.removeLocal(request);
    return this.options.calls.removeChunks(this.addressOf(memberId), request);
  }

  /** Copies the settings to every other member, so the next leader carries them on. */
  async pushSettings(settings: MaintenanceSettings): Promise<void> {
    const others = metaMembers(this.options.group.reader()).filter(
      (member) => member.id !== this.options.selfId,
    );
    await Promise.all(
      others.map((member) =>
        Promise.resolve()
          .then(() => this.options.calls.pushSettings(this.addressOf(member.id), settings))
          .catch(() => undefined),
      ),
    );
  }

  private addressOf(memberId: string): string {
    const address = this.options.peerAddressOf(memberId);
    if (address === undefined)
      throw new CairnError('CAIRN_ERR_UNAVAILABLE', `no peer address known for ${memberId}`);
    return address;
  }
}

function countRefused(refused: readonly RefusedTarget[]): number {
  return refused.reduce((sum, target) => sum + target.chunks, 0);
}

/**
 * Chunks with the fewest copies left go first (issue 13): after a member is marked
 * down, a chunk down to one copy is one failure from loss; one with two can wait.
 * Stable, so the plan's order holds among equals.
 */
function fewestCopiesFirst<T extends { readonly sourceIds: readonly string[] }>(
  copies: readonly T[],
): T[] {
  return copies
    .map((task, position) => ({ task, position }))
    .sort(
      (left, right) =>
        left.task.sourceIds.length - right.task.sourceIds.length || left.position - right.position,
    )
    .map((entry) => entry.task);
}
