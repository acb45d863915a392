// This node's chunks, as the maintenance coordinator (on the leader) sees them: pages
// of the inventory, removal of copies (checked here again by the named rules), the
// fill ratio, and scrub: re-hash every local chunk at a bounded rate, then re-fetch the
// copies this node should hold but lacks.

import { statfsSync, statSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  InventoryPage,
  NodeScrubReport,
  RemoveChunksAnswer,
  RemoveChunksRequest,
} from '../api/index.js';
import { referencedChunks, scrubChunks, TokenBucket } from '../data/maintenance/index.js';
import type { ChunkPlacementContext } from '../data/object-data.js';
import type { MetaReader } from '../meta/index.js';
import type { Ring } from '../placement/index.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { copyChunk } from './chunk-copy.js';
import { surplusCopyMayBeRemoved } from './chunk-removal-rules.js';

export interface ChunkServiceOptions {
  readonly selfId: string;
  readonly dataDirectory: string;
  readonly store: ChunkStore;
  readonly reader: () => MetaReader;
  readonly rings: () => readonly Ring[];
  readonly placement: () => ChunkPlacementContext;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
  /** Chunks of this node's puts in flight, reported with every inventory page (issue 13). */
  readonly inFlight?: () => { chunks: string[]; complete: boolean };
}

/** Size of the readiness probe's write: one file system block. */
const readinessProbeBytes = 4096;

export class ChunkService {
  private scrubRunning: Promise<NodeScrubReport> | undefined;
  private stopped = false;

  constructor(private readonly options: ChunkServiceOptions) {}

  stop(): void {
    this.stopped = true;
  }

  async inventoryPage(after: string | null, limit: number): Promise<InventoryPage> {
    assert(limit >= 1 && limit <= limits.maintenanceInventoryPageChunksMax, 'page in bounds');
    const all = await this.options.store.list();
    const start = after === null ? 0 : upperBound(all, after);
    const chunks = all.slice(start, start + limit);
    const more = start + limit < all.length;
    const inFlight = this.options.inFlight?.();
    return {
      memberId: this.options.selfId,
      fillRatio: this.fillRatio(),
      chunks,
      nextAfter: more ? (chunks[chunks.length - 1] as string) : null,
      ...(inFlight === undefined
        ? {}
        : { inFlightChunks: inFlight.chunks, inFlightComplete: inFlight.complete }),
    };
  }

  /** Used fraction of the data directory's file system; CAIRN_TEST_DISK_FILL_RATIO overrides it. */
  fillRatio(): number {
    const forced = process.env['CAIRN_TEST_DISK_FILL_RATIO'];
    if (forced !== undefined && forced !== '') return Number(forced);
    const stats = statfsSync(this.options.dataDirectory);
    const used = stats.blocks - stats.bfree;
    const usable = used + stats.bavail;
    return usable <= 0 ? 1 : used / usable;
  }

  /**
   * Readiness: writes, syncs and removes a small file in the chunk store's tmp directory
   * (ChunkStore.open clears it), so a read-only or full file system shows before a put.
   */
  async probeWritable(): Promise<void> {
    const path = join(this.options.dataDirectory, 'tmp', `readiness-probe-${process.pid}`);
    const file = await open(path, 'w');
    try {
      await file.write(new Uint8Array(readinessProbeBytes));
      await file.datasync();
    } finally {
      await file.close();
      await unlink(path).catch(() => undefined);
    }
  }

  /**
   * Removes surplus copies the rules allow (chunk-removal-rules.ts); keeps the others.
   * Garbage is not removed here: collections go through the meta group (chunk-reclaimer.ts).
   */
  async removeLocal(request: RemoveChunksRequest): Promise<RemoveChunksAnswer> {
    assert(request.sha256s.length <= limits.maintenanceRemoveBatchChunksMax, 'batch bounded');
    assert(request.reason === 'surplus', 'only surplus copies are removed on request');
    const placement = { rings: this.options.rings() };
    let removed = 0;
    let kept = 0;
    for (const sha256 of request.sha256s) {
      if (!surplusCopyMayBeRemoved(placement, this.options.selfId, sha256)) {
        kept++;
        continue;
      }
      if (await this.options.store.remove(sha256)) removed++;
    }
    if (removed > 0) this.options.log('chunks-removed', { reason: request.reason, removed, kept });
    return { removed, kept };
  }

  /** The scrub duty of every node: at the default rate, once the cluster has a ring. */
  async backgroundScrub(): Promise<void> {
    if (this.stopped || this.scrubRunning !== undefined || this.options.rings().length === 0)
      return;
    try {
      const report = await this.scrubNow(limits.scrubRateBytesPerSecondDefault);
      this.options.log('scrub-done', {
        checked: report.chunksChecked,
        corrupt: report.corrupt.length,
        missing: report.missing,
        refetched: report.refetched,
      });
    } catch (error) {
      this.options.log('scrub-failed', {
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
    const store = this.options.store;
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
    return { node: this.options.selfId, ...report, ...refetch };
  }

  /** Referenced chunks placed on this node (any ring still read from) that it does not hold. */
  private async refetchMissing(): Promise<{
    missing: number;
    refetched: number;
    refetchFailures: string[];
  }> {
    const rings = this.options.rings();
    const self = this.options.selfId;
    const context = this.options.placement();
    let missing = 0;
    let refetched = 0;
    const refetchFailures: string[] = [];
    for (const chunk of referencedChunks(this.options.reader())) {
      if (this.stopped) break;
      const placed = rings.some((ring) => ring.replicasFor(chunk.sha256).includes(self));
      if (!placed || (await context.store.has(chunk.sha256))) continue;
      missing++;
      const sources = [...new Set(rings.flatMap((ring) => ring.replicasFor(chunk.sha256)))].filter(
        (memberId) => memberId !== self,
      );
      const reasons: string[] = [];
      for (const sourceId of sources) {
        try {
          await copyChunk(context, { sha256: chunk.sha256, targetId: self }, sourceId);
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
