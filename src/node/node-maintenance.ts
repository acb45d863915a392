// Rebalance, repair, scrub and garbage collection on a node (DESIGN.md section 5).
//
// * The leader runs reconcile passes (src/data/maintenance/reconcile.ts): it reads every
//   manifest, asks every member what it holds, copies the chunks whose target replicas
//   lack them (node to node over the peer port, bounded in parallel and in bytes/s), and
//   once a pass leaves nothing to do for an unsettled epoch it commits settleEpoch; then
//   surplus copies (outside the settled placement, of chunks whose every target holds a
//   copy) are deleted. A pass is idempotent, so a crash anywhere just means the next
//   leader's pass does what is left: nothing but the ring epochs is persisted.
// * Every node scrubs its chunks in the background at a bounded rate and on demand, and
//   re-fetches corrupt or missing copies it should hold from a good replica.
// * Garbage collection deletes chunk files no manifest references, once the file is
//   older than the grace period (a put stores chunks first and commits after: a young
//   unreferenced chunk may be a put in flight).

import { createHash } from 'node:crypto';
import { statfsSync, statSync } from 'node:fs';
import {
  planRebalance,
  planReconcile,
  referencedChunks,
  runCopies,
  scrubChunks,
  TokenBucket,
  type CopyFailure,
  type CopyTask,
  type MemberInventory,
  type RebalancePlan,
  type RefusedTarget,
  type ScrubReport,
} from '../data/maintenance/index.js';
import {
  chunkReferenceCount,
  members as metaMembers,
  readRingState,
  type MemberRecord,
} from '../meta/index.js';
import { isSha256 } from '../storage/chunk-store.js';
import { assert } from '../util/assert.js';
import type { RebalanceStatusView } from '../data/maintenance/admin-calls.js';
import { callMember } from './member-calls.js';
import { CairnError, CorruptionError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { CairnNode } from './node.js';

/** One definition of the wire shape, shared with the CLI side (src/data/maintenance/admin-calls.ts). */
export type RebalanceStatus = RebalanceStatusView;

export interface RepairReport {
  readonly chunksExamined: number;
  readonly copiesMissing: number;
  readonly copiesRestored: number;
  readonly bytesRestored: number;
  readonly failedCount: number;
  readonly failures: readonly CopyFailure[];
  readonly refused: readonly RefusedTarget[];
  readonly lostChunkCount: number;
  readonly lostChunks: readonly string[];
  readonly surplusRemoved: number;
  readonly settledEpoch: number;
  readonly currentEpoch: number;
}

export interface NodeScrubReport extends ScrubReport {
  readonly node: string;
  /** Copies this node should hold (placement) but lacked after the check (corrupt ones included). */
  readonly missing: number;
  readonly refetched: number;
  readonly refetchFailures: readonly string[];
}

export interface GarbageReport {
  readonly graceMilliseconds: number;
  readonly candidates: number;
  readonly removed: number;
  readonly keptYoung: number;
  readonly unreachable: readonly string[];
}

interface InventoryPage {
  readonly memberId: string;
  readonly fillRatio: number;
  readonly chunks: readonly string[];
  readonly nextAfter: string | null;
}

const memberCallTimeoutMilliseconds = 30_000;

export class NodeMaintenance {
  private passTimer: NodeJS.Timeout | undefined;
  private scrubTimer: NodeJS.Timeout | undefined;
  private garbageTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private passRunning: Promise<RepairReport> | undefined;
  private scrubRunning: Promise<NodeScrubReport> | undefined;
  private paused = false;
  private parallel: number = limits.maintenanceTransfersParallelDefault;
  private readonly bucket = new TokenBucket(0, performance.now());
  private epochFirstSeen: { epoch: number; at: number } | undefined;
  private sweepNeeded = true;
  private wasLeader = false;
  private progress = emptyProgress();

  constructor(private readonly node: CairnNode) {}

  start(): void {
    this.passTimer = setInterval(
      () => this.onPassTick(),
      limits.maintenancePassIntervalMilliseconds,
    );
    this.scrubTimer = setInterval(
      () => void this.backgroundScrub(),
      limits.scrubIntervalMilliseconds,
    );
    this.garbageTimer = setInterval(
      () => void this.backgroundGarbage(),
      limits.garbageIntervalMilliseconds,
    );
    for (const timer of [this.passTimer, this.scrubTimer, this.garbageTimer]) timer.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [this.passTimer, this.scrubTimer, this.garbageTimer])
      if (timer !== undefined) clearInterval(timer);
  }

  /** The admin routes this module owns; undefined for any other route. */
  handle(method: string, url: URL, body: unknown): Promise<unknown> | undefined {
    const route = `${method} ${url.pathname}`;
    const input = (body ?? {}) as Record<string, unknown>;
    switch (route) {
      case 'GET /v1/node/maintenance/inventory':
        return this.inventoryPage(
          url.searchParams.get('after'),
          Number(url.searchParams.get('limit') ?? limits.maintenanceInventoryPageChunksMax),
        );
      case 'POST /v1/node/maintenance/remove':
        return this.removeLocal(input);
      case 'POST /v1/node/scrub':
        return this.scrubNow(
          optionalInteger(
            input['rateBytesPerSecond'],
            'rateBytesPerSecond',
            0,
            limits.maintenanceRateBytesPerSecondMax,
          ) ?? 0,
        );
      case 'POST /v1/node/maintenance/settings':
        return Promise.resolve(this.applySettings(input));
      case 'GET /v1/cluster/rebalance':
        return this.leaderOnly(() => this.status());
      case 'GET /v1/cluster/rebalance/plan':
        return this.leaderOnly(() => this.plan(Number(url.searchParams.get('rate') ?? '0')));
      case 'POST /v1/cluster/rebalance':
        return this.leaderOnly(() => this.configure(input, false));
      case 'POST /v1/cluster/rebalance/pause':
        return this.leaderOnly(() => this.configure(input, true));
      case 'POST /v1/cluster/rebalance/resume':
        return this.leaderOnly(() => this.configure({ ...input, resume: true }, false));
      case 'POST /v1/cluster/repair':
        return this.leaderOnly(() => this.runPass('repair'));
      case 'POST /v1/cluster/drain':
        return this.leaderOnly(() => this.drain(input['id']));
      case 'POST /v1/cluster/gc':
        return this.leaderOnly(() =>
          this.collectGarbage(
            optionalInteger(
              input['graceMilliseconds'],
              'graceMilliseconds',
              0,
              365 * 24 * 3600 * 1000,
            ) ?? limits.garbageGracePeriodMillisecondsDefault,
          ),
        );
      default:
        return undefined;
    }
  }

  private async leaderOnly<T>(work: () => T | Promise<T>): Promise<T> {
    if (!this.node.isLeader()) {
      const hint = this.node.leader();
      throw new CairnError('CAIRN_ERR_NOT_LEADER', 'rebalance, repair and gc run on the leader', {
        details: { leaderId: hint.leaderId, leaderClientAddress: hint.leaderClientAddress },
      });
    }
    await this.node.readBarrier('linearizable');
    return work();
  }

  // ---------------------------------------------------------------- leader passes

  private onPassTick(): void {
    if (this.stopped) return;
    const leader = this.node.isLeader();
    if (leader && !this.wasLeader) this.sweepNeeded = true; // a new leader checks once: the old one may have died mid-pass
    this.wasLeader = leader;
    if (!leader || this.passRunning !== undefined || this.paused) return;
    if (
      performance.now() - this.progress.passEndedAt >=
      limits.maintenanceRepairIntervalMilliseconds
    )
      this.sweepNeeded = true;
    const ringState = readRingState(this.node.stateMachine.reader());
    if (ringState === undefined) return;
    if (ringState.currentEpoch === ringState.settledEpoch && !this.sweepNeeded) return;
    this.sweepNeeded = false;
    void this.runPass('rebalance').catch((error: unknown) => {
      this.progress.lastError = error instanceof Error ? error.message : String(error);
      this.node.config.log('maintenance-pass-failed', { error: this.progress.lastError });
    });
  }

  /** One pass: plan, copy, maybe settle, then (when settled) remove surplus copies. Runs one at a time. */
  runPass(kind: 'rebalance' | 'repair'): Promise<RepairReport> {
    if (this.passRunning !== undefined) return this.passRunning;
    const running = this.passBody(kind).finally(() => {
      this.passRunning = undefined;
    });
    this.passRunning = running;
    return running;
  }

  private async passBody(kind: 'rebalance' | 'repair'): Promise<RepairReport> {
    const startedAt = performance.now();
    const ringState = readRingState(this.node.stateMachine.reader());
    if (ringState === undefined)
      throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'the cluster is not recorded yet');
    this.noteEpoch(ringState.currentEpoch, startedAt);
    const first = await this.planAndCopy(kind);
    let settledEpoch = ringState.settledEpoch;
    const clean =
      first.copy.failedCount === 0 &&
      !first.copy.interrupted &&
      first.plan.refused.length === 0 &&
      first.plan.lostChunkCount === 0;
    const oldEnough =
      this.epochFirstSeen !== undefined &&
      startedAt - this.epochFirstSeen.at >= limits.maintenanceSettleDelayMilliseconds;
    if (
      ringState.currentEpoch !== ringState.settledEpoch &&
      clean &&
      oldEnough &&
      this.node.isLeader()
    ) {
      const result = await this.node.proposeCommand({
        type: 'settleEpoch',
        epoch: ringState.currentEpoch,
      });
      if (result.type === 'ok') settledEpoch = ringState.currentEpoch;
      this.node.config.log('epoch-settled', { epoch: ringState.currentEpoch, result: result.type });
    } else if (ringState.currentEpoch !== ringState.settledEpoch) {
      this.sweepNeeded = true; // come back: not settled yet
    }
    let surplusRemoved = 0;
    let second = first;
    if (settledEpoch === ringState.currentEpoch && this.node.rings().length === 1 && !this.paused) {
      second = await this.planAndCopy(kind);
      surplusRemoved = await this.removeSurplus(second.plan.surplus);
      this.progress.surplusRemoved += surplusRemoved;
    }
    return {
      chunksExamined: first.plan.chunksExamined,
      copiesMissing: first.plan.copies.length + countRefused(first.plan.refused),
      copiesRestored: first.copy.copiedChunks + (second === first ? 0 : second.copy.copiedChunks),
      bytesRestored: first.copy.copiedBytes + (second === first ? 0 : second.copy.copiedBytes),
      failedCount: first.copy.failedCount + (second === first ? 0 : second.copy.failedCount),
      failures: [...first.copy.failures, ...(second === first ? [] : second.copy.failures)].slice(
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

  private noteEpoch(epoch: number, now: number): void {
    if (this.epochFirstSeen?.epoch !== epoch) this.epochFirstSeen = { epoch, at: now };
  }

  private async planAndCopy(kind: 'rebalance' | 'repair'): Promise<{
    plan: ReturnType<typeof planReconcile>;
    copy: Awaited<ReturnType<typeof runCopies>>;
  }> {
    const ring = this.node.rings()[0];
    if (ring === undefined)
      throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'no placement ring yet');
    const chunks = referencedChunks(this.node.stateMachine.reader());
    const inventories = await this.inventories(metaMembers(this.node.stateMachine.reader()));
    const plan = planReconcile({
      chunks,
      ring,
      inventories,
      fillRatioMax: limits.maintenanceFillPercentMax / 100,
    });
    const progress = this.progress;
    progress.passes++;
    progress.passStartedAt = performance.now();
    progress.chunksPlanned = plan.copies.length;
    progress.bytesPlanned = plan.copyBytes;
    progress.chunksCopied = 0;
    progress.bytesCopied = 0;
    progress.refused = plan.refused;
    progress.lostChunkCount = plan.lostChunkCount;
    progress.running = true;
    this.node.config.log('maintenance-pass', {
      kind,
      copies: plan.copies.length,
      bytes: plan.copyBytes,
      refused: plan.refused.length,
      lost: plan.lostChunkCount,
      surplus: plan.surplus.length,
    });
    try {
      const copy = await runCopies(plan.copies, {
        parallel: this.parallel,
        bucket: this.bucket,
        now: () => performance.now(),
        sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
        copy: (task, sourceId) => this.copyChunk(task, sourceId),
        shouldContinue: () => !this.stopped && !this.paused && this.node.isLeader(),
        onCopied: (task) => {
          progress.chunksCopied++;
          progress.bytesCopied += task.bytes;
        },
      });
      progress.failedCount = copy.failedCount;
      progress.failures = copy.failures;
      return { plan, copy };
    } finally {
      progress.running = false;
      progress.passEndedAt = performance.now();
    }
  }

  /** Reads the chunk from the source (verified here: the transport does not), stores it on the target. */
  private async copyChunk(task: CopyTask, sourceId: string): Promise<void> {
    const context = this.node.placementContext();
    const bytes =
      sourceId === context.selfId
        ? await context.store.read(task.sha256)
        : await context.transport.get(this.peerAddress(sourceId), task.sha256);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== task.sha256)
      throw new CorruptionError(`the copy on ${sourceId} hashes to ${actual.slice(0, 12)}…`);
    if (task.targetId === context.selfId) await context.store.write(bytes, task.sha256);
    else await context.transport.put(this.peerAddress(task.targetId), task.sha256, bytes);
  }

  private peerAddress(memberId: string): string {
    const address = this.node.placementContext().peerAddressOf(memberId);
    if (address === undefined)
      throw new CairnError('CAIRN_ERR_UNAVAILABLE', `no peer address known for ${memberId}`);
    return address;
  }

  private async inventories(members: readonly MemberRecord[]): Promise<MemberInventory[]> {
    return Promise.all(
      members.map(async (member): Promise<MemberInventory> => {
        try {
          const { fillRatio, chunks } = await this.memberInventory(member);
          return { memberId: member.id, reachable: true, fillRatio, chunks };
        } catch (error) {
          this.node.config.log('inventory-failed', {
            member: member.id,
            error: error instanceof Error ? error.message : String(error),
          });
          return { memberId: member.id, reachable: false, fillRatio: 1, chunks: new Set() };
        }
      }),
    );
  }

  private async memberInventory(
    member: MemberRecord,
  ): Promise<{ fillRatio: number; chunks: Set<string> }> {
    const chunks = new Set<string>();
    let fillRatio = 0;
    let after: string | null = null;
    const pagesMax =
      Math.ceil(limits.maintenanceChunksScanMax / limits.maintenanceInventoryPageChunksMax) + 1;
    for (let page = 0; page < pagesMax; page++) {
      const query: string = after === null ? '' : `?after=${after}`;
      const answer: InventoryPage =
        member.id === this.node.config.name
          ? await this.inventoryPage(after, limits.maintenanceInventoryPageChunksMax)
          : ((await callMember(
              member.clientAddress,
              'GET',
              `/v1/node/maintenance/inventory${query}`,
              undefined,
              memberCallTimeoutMilliseconds,
            )) as InventoryPage);
      if (answer.memberId !== member.id)
        throw new CairnError(
          'CAIRN_ERR_CLUSTER_MISMATCH',
          `${member.clientAddress} is ${answer.memberId}, not ${member.id}`,
        );
      fillRatio = answer.fillRatio;
      for (const sha256 of answer.chunks) chunks.add(sha256);
      if (answer.nextAfter === null) return { fillRatio, chunks };
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
    for (const [memberId, sha256s] of byMember) {
      const member = metaMembers(this.node.stateMachine.reader()).find(
        (candidate) => candidate.id === memberId,
      );
      if (member === undefined) continue;
      for (let start = 0; start < sha256s.length; start += limits.maintenanceRemoveBatchChunksMax) {
        const batch = sha256s.slice(start, start + limits.maintenanceRemoveBatchChunksMax);
        try {
          removed += (
            (await this.removeOn(member, { reason: 'surplus', sha256s: batch })) as {
              removed: number;
            }
          ).removed;
        } catch (error) {
          this.node.config.log('surplus-remove-failed', {
            member: memberId,
            error: error instanceof Error ? error.message : String(error),
          });
          break;
        }
      }
    }
    return removed;
  }

  private removeOn(member: MemberRecord, body: Record<string, unknown>): Promise<unknown> {
    if (member.id === this.node.config.name) return this.removeLocal(body);
    return callMember(
      member.clientAddress,
      'POST',
      '/v1/node/maintenance/remove',
      body,
      memberCallTimeoutMilliseconds,
    );
  }

  // ---------------------------------------------------------------- rebalance control

  private status(): RebalanceStatus {
    const ringState = readRingState(this.node.stateMachine.reader());
    const progress = this.progress;
    const elapsedSeconds =
      ((progress.running ? performance.now() : progress.passEndedAt) - progress.passStartedAt) /
      1000;
    const unsettled = ringState !== undefined && ringState.currentEpoch !== ringState.settledEpoch;
    const state = this.paused
      ? 'paused'
      : progress.running
        ? 'running'
        : unsettled
          ? 'waiting'
          : 'idle';
    return {
      leaderId: this.node.config.name,
      currentEpoch: ringState?.currentEpoch ?? 0,
      settledEpoch: ringState?.settledEpoch ?? 0,
      state,
      paused: this.paused,
      rateBytesPerSecond: this.bucket.rate,
      parallel: this.parallel,
      passes: progress.passes,
      chunksPlanned: progress.chunksPlanned,
      bytesPlanned: progress.bytesPlanned,
      chunksCopied: progress.chunksCopied,
      bytesCopied: progress.bytesCopied,
      bytesPerSecond: elapsedSeconds > 0 ? Math.round(progress.bytesCopied / elapsedSeconds) : 0,
      failedCount: progress.failedCount,
      failures: progress.failures,
      refused: progress.refused,
      lostChunkCount: progress.lostChunkCount,
      surplusRemoved: progress.surplusRemoved,
      lastError: progress.lastError,
    };
  }

  /**
   * Rate, parallelism and pause live in memory; the leader copies them to every member,
   * so the next leader (after a crash or an election) carries on with the same ones.
   */
  private async configure(
    input: Record<string, unknown>,
    pause: boolean,
  ): Promise<RebalanceStatus> {
    const paused = pause
      ? true
      : input['resume'] === true || input['start'] === true
        ? false
        : this.paused;
    this.applySettings({
      rateBytesPerSecond: input['rateBytesPerSecond'],
      parallel: input['parallel'],
      paused,
    });
    const settings = {
      rateBytesPerSecond: this.bucket.rate,
      parallel: this.parallel,
      paused: this.paused,
    };
    const others = metaMembers(this.node.stateMachine.reader()).filter(
      (member) => member.id !== this.node.config.name,
    );
    await Promise.all(
      others.map((member) =>
        callMember(
          member.clientAddress,
          'POST',
          '/v1/node/maintenance/settings',
          settings,
          5_000,
        ).catch(() => undefined),
      ),
    );
    return this.status();
  }

  private applySettings(input: Record<string, unknown>): {
    rateBytesPerSecond: number;
    parallel: number;
    paused: boolean;
  } {
    const rate = optionalInteger(
      input['rateBytesPerSecond'],
      'rateBytesPerSecond',
      0,
      limits.maintenanceRateBytesPerSecondMax,
    );
    const parallel = optionalInteger(
      input['parallel'],
      'parallel',
      1,
      limits.maintenanceTransfersParallelMax,
    );
    if (input['paused'] !== undefined && typeof input['paused'] !== 'boolean')
      throw new InvalidArgumentError('paused must be true or false');
    if (rate !== undefined) this.bucket.setRate(rate, performance.now());
    if (parallel !== undefined) this.parallel = parallel;
    if (typeof input['paused'] === 'boolean') this.paused = input['paused'];
    if (!this.paused) this.sweepNeeded = true;
    this.node.config.log('rebalance-configured', {
      paused: this.paused,
      rate: this.bucket.rate,
      parallel: this.parallel,
    });
    return { rateBytesPerSecond: this.bucket.rate, parallel: this.parallel, paused: this.paused };
  }

  private async plan(rateBytesPerSecond: number): Promise<RebalancePlan> {
    if (!Number.isSafeInteger(rateBytesPerSecond) || rateBytesPerSecond < 0)
      throw new InvalidArgumentError('rate must be a non-negative integer (bytes/s)');
    const rings = this.node.rings();
    const toRing = rings[0];
    if (toRing === undefined)
      throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'no placement ring yet');
    const fromRing = rings[1] ?? toRing;
    const members = metaMembers(this.node.stateMachine.reader());
    const fills = await Promise.all(
      members.map(async (member) => [member.id, await this.memberFill(member)] as const),
    );
    return planRebalance({
      fromRing,
      toRing,
      chunks: referencedChunks(this.node.stateMachine.reader()),
      fillRatios: new Map(fills),
      fillRatioMax: limits.maintenanceFillPercentMax / 100,
      rateBytesPerSecond,
    });
  }

  private async memberFill(member: MemberRecord): Promise<number | null> {
    try {
      if (member.id === this.node.config.name) return this.fillRatio();
      const page = (await callMember(
        member.clientAddress,
        'GET',
        '/v1/node/maintenance/inventory?limit=1',
        undefined,
        memberCallTimeoutMilliseconds,
      )) as InventoryPage;
      return page.fillRatio;
    } catch {
      return null;
    }
  }

  /** Marks a member draining: a new epoch without it; the rebalance moves its chunks away. */
  private async drain(id: unknown): Promise<{ id: string; epoch: number }> {
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('id (the member to drain) is required');
    const member = metaMembers(this.node.stateMachine.reader()).find(
      (candidate) => candidate.id === id,
    );
    if (member === undefined) throw new CairnError('CAIRN_ERR_NOT_FOUND', `member ${id} not found`);
    if (member.state !== 'draining') {
      const result = await this.node.proposeCommand({
        type: 'updateMember',
        id,
        state: 'draining',
      });
      if (result.type === 'rejected')
        throw new CairnError('CAIRN_ERR_CONFLICT', `${id} cannot drain: ${result.message}`);
    }
    this.sweepNeeded = true;
    return { id, epoch: readRingState(this.node.stateMachine.reader())?.currentEpoch ?? 0 };
  }

  // ---------------------------------------------------------------- garbage collection

  private async backgroundGarbage(): Promise<void> {
    if (this.stopped || !this.node.isLeader()) return;
    try {
      await this.node.readBarrier('linearizable');
      const report = await this.collectGarbage(limits.garbageGracePeriodMillisecondsDefault);
      if (report.removed > 0) this.node.config.log('garbage-collected', { ...report });
    } catch (error) {
      this.node.config.log('garbage-collection-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Asks every member to delete its unreferenced chunk files older than the grace period. */
  private async collectGarbage(graceMilliseconds: number): Promise<GarbageReport> {
    const reader = this.node.stateMachine.reader();
    const members = metaMembers(reader);
    const inventories = await this.inventories(members);
    let candidates = 0;
    let removed = 0;
    let keptYoung = 0;
    const unreachable: string[] = [];
    for (const inventory of inventories) {
      if (!inventory.reachable) {
        unreachable.push(inventory.memberId);
        continue;
      }
      const garbage = [...inventory.chunks].filter(
        (sha256) => chunkReferenceCount(reader, sha256) === 0,
      );
      candidates += garbage.length;
      const member = members.find(
        (candidate) => candidate.id === inventory.memberId,
      ) as MemberRecord;
      for (let start = 0; start < garbage.length; start += limits.maintenanceRemoveBatchChunksMax) {
        const batch = garbage.slice(start, start + limits.maintenanceRemoveBatchChunksMax);
        const answer = (await this.removeOn(member, {
          reason: 'garbage',
          sha256s: batch,
          graceMilliseconds,
        })) as { removed: number; kept: number };
        removed += answer.removed;
        keptYoung += answer.kept;
      }
    }
    return { graceMilliseconds, candidates, removed, keptYoung, unreachable };
  }

  // ---------------------------------------------------------------- this node's chunks

  private async inventoryPage(after: string | null, limit: number): Promise<InventoryPage> {
    if (
      !Number.isSafeInteger(limit) ||
      limit < 1 ||
      limit > limits.maintenanceInventoryPageChunksMax
    )
      throw new InvalidArgumentError(
        `limit must be in [1, ${limits.maintenanceInventoryPageChunksMax}]`,
      );
    if (after !== null && !isSha256(after))
      throw new InvalidArgumentError('after must be a chunk id');
    const all = await this.node.chunkStore.list();
    const start = after === null ? 0 : upperBound(all, after);
    const chunks = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      memberId: this.node.config.name,
      fillRatio: this.fillRatio(),
      chunks,
      nextAfter: more ? (chunks[chunks.length - 1] as string) : null,
    };
  }

  /** Used fraction of the data directory's file system (statfs); CAIRN_TEST_DISK_FILL_RATIO overrides it in tests. */
  fillRatio(): number {
    const forced = process.env['CAIRN_TEST_DISK_FILL_RATIO'];
    if (forced !== undefined && forced !== '') return Number(forced);
    const stats = statfsSync(this.node.config.dataDirectory);
    const used = stats.blocks - stats.bfree;
    const usable = used + stats.bavail;
    return usable <= 0 ? 1 : used / usable;
  }

  /**
   * Removes local copies. `surplus`: only chunks this node is not a replica of in its
   * current ring (the leader checked every replica holds one). `garbage`: only chunks
   * with no reference here either and a file older than the grace period.
   */
  private async removeLocal(
    input: Record<string, unknown>,
  ): Promise<{ removed: number; kept: number }> {
    const sha256s = input['sha256s'];
    if (
      !Array.isArray(sha256s) ||
      sha256s.length > limits.maintenanceRemoveBatchChunksMax ||
      !sha256s.every((item) => typeof item === 'string' && isSha256(item))
    ) {
      throw new InvalidArgumentError(
        `sha256s must be a list of at most ${limits.maintenanceRemoveBatchChunksMax} chunk ids`,
      );
    }
    const reason = input['reason'];
    if (reason !== 'surplus' && reason !== 'garbage')
      throw new InvalidArgumentError('reason must be surplus or garbage');
    const grace =
      optionalInteger(input['graceMilliseconds'], 'graceMilliseconds', 0, 365 * 24 * 3600 * 1000) ??
      limits.garbageGracePeriodMillisecondsDefault;
    const rings = this.node.rings();
    let removed = 0;
    let kept = 0;
    for (const sha256 of sha256s as string[]) {
      const keep =
        reason === 'surplus'
          ? rings.some((ring) => ring.replicasFor(sha256).includes(this.node.config.name)) ||
            rings.length !== 1
          : !this.isOldGarbage(sha256, grace);
      if (keep) {
        kept++;
        continue;
      }
      if (await this.node.chunkStore.remove(sha256)) removed++;
    }
    if (removed > 0) this.node.config.log('chunks-removed', { reason, removed, kept });
    return { removed, kept };
  }

  private isOldGarbage(sha256: string, graceMilliseconds: number): boolean {
    if (chunkReferenceCount(this.node.stateMachine.reader(), sha256) !== 0) return false;
    try {
      return (
        Date.now() - statSync(this.node.chunkStore.chunkPath(sha256)).mtimeMs >= graceMilliseconds
      );
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- scrub

  private async backgroundScrub(): Promise<void> {
    if (this.stopped || this.scrubRunning !== undefined || this.node.rings().length === 0) return;
    try {
      const report = await this.scrubNow(limits.scrubRateBytesPerSecondDefault);
      this.node.config.log('scrub-done', {
        checked: report.chunksChecked,
        corrupt: report.corrupt.length,
        missing: report.missing,
        refetched: report.refetched,
      });
    } catch (error) {
      this.node.config.log('scrub-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Re-hashes every local chunk, then re-fetches the copies this node should hold but lacks. */
  scrubNow(rateBytesPerSecond: number): Promise<NodeScrubReport> {
    if (this.scrubRunning !== undefined) return this.scrubRunning;
    const running = this.scrubBody(rateBytesPerSecond).finally(() => {
      this.scrubRunning = undefined;
    });
    this.scrubRunning = running;
    return running;
  }

  private async scrubBody(rateBytesPerSecond: number): Promise<NodeScrubReport> {
    const store = this.node.chunkStore;
    const report = await scrubChunks(
      {
        list: () => store.list(),
        sizeOf: (sha256) => Promise.resolve(fileSize(store.chunkPath(sha256))),
        verify: (sha256) => store.verify(sha256),
      },
      {
        bucket: new TokenBucket(rateBytesPerSecond, performance.now()),
        now: () => performance.now(),
        sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
        shouldContinue: () => !this.stopped,
      },
    );
    const refetch = await this.refetchMissing();
    return { node: this.node.config.name, ...report, ...refetch };
  }

  /** Referenced chunks placed on this node (any ring still read from) that it does not hold. */
  private async refetchMissing(): Promise<{
    missing: number;
    refetched: number;
    refetchFailures: string[];
  }> {
    const rings = this.node.rings();
    const self = this.node.config.name;
    const context = this.node.placementContext();
    let missing = 0;
    let refetched = 0;
    const refetchFailures: string[] = [];
    for (const chunk of referencedChunks(this.node.stateMachine.reader())) {
      if (this.stopped) break;
      if (
        !rings.some((ring) => ring.replicasFor(chunk.sha256).includes(self)) ||
        (await context.store.has(chunk.sha256))
      )
        continue;
      missing++;
      const sources = [...new Set(rings.flatMap((ring) => ring.replicasFor(chunk.sha256)))].filter(
        (memberId) => memberId !== self,
      );
      const task: CopyTask = {
        sha256: chunk.sha256,
        bytes: chunk.bytes,
        targetId: self,
        sourceIds: sources,
      };
      const reasons: string[] = [];
      for (const sourceId of sources) {
        try {
          await this.copyChunk(task, sourceId);
          refetched++;
          break;
        } catch (error) {
          reasons.push(`${sourceId}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (
        reasons.length === sources.length &&
        refetchFailures.length < limits.maintenanceFailuresKeptMax
      )
        refetchFailures.push(`${chunk.sha256}: ${reasons.join('; ') || 'no other replica'}`);
    }
    return { missing, refetched, refetchFailures };
  }
}

interface PassProgress {
  passes: number;
  passStartedAt: number;
  passEndedAt: number;
  running: boolean;
  chunksPlanned: number;
  bytesPlanned: number;
  chunksCopied: number;
  bytesCopied: number;
  failedCount: number;
  failures: readonly CopyFailure[];
  refused: readonly RefusedTarget[];
  lostChunkCount: number;
  surplusRemoved: number;
  lastError: string | null;
}

function emptyProgress(): PassProgress {
  const now = performance.now();
  return {
    passes: 0,
    passStartedAt: now,
    passEndedAt: now,
    running: false,
    chunksPlanned: 0,
    bytesPlanned: 0,
    chunksCopied: 0,
    bytesCopied: 0,
    failedCount: 0,
    failures: [],
    refused: [],
    lostChunkCount: 0,
    surplusRemoved: 0,
    lastError: null,
  };
}

function countRefused(refused: readonly RefusedTarget[]): number {
  return refused.reduce((sum, target) => sum + target.chunks, 0);
}

function optionalInteger(
  value: unknown,
  name: string,
  minimum: number,
  maximum: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < minimum ||
    value > maximum
  )
    throw new InvalidArgumentError(
      `${name} must be an integer in [${minimum}, ${maximum}], got ${String(value)}`,
    );
  return value;
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Index of the first name greater than `after` in a sorted list. */
function upperBound(sorted: readonly string[], after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) <= after) low = middle + 1;
    else high = middle;
  }
  assert(low >= 0 && low <= sorted.length, 'bound within the list');
  return low;
}
