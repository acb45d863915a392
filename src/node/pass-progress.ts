// What the leader's current or last reconcile pass did, for GET /v1/cluster/rebalance.

import type { CopyFailureView, RefusedTargetView } from '../api/index.js';

export interface PassPlanSummary {
  readonly copies: readonly { readonly sha256: string }[];
  readonly copyBytes: number;
  readonly refused: readonly RefusedTargetView[];
  readonly lostChunkCount: number;
}

export class PassProgress {
  passes = 0;
  passStartedAt = performance.now();
  passEndedAt = this.passStartedAt;
  running = false;
  chunksPlanned = 0;
  bytesPlanned = 0;
  chunksCopied = 0;
  bytesCopied = 0;
  failedCount = 0;
  failures: readonly CopyFailureView[] = [];
  refused: readonly RefusedTargetView[] = [];
  lostChunkCount = 0;
  /** Chunks the last planned pass found short of a target copy (undefined: no pass yet). */
  chunksUnderReplicated: number | undefined;
  surplusRemoved = 0;
  lastError: string | null = null;

  startPass(plan: PassPlanSummary): void {
    this.passes++;
    this.passStartedAt = performance.now();
    this.chunksPlanned = plan.copies.length;
    this.bytesPlanned = plan.copyBytes;
    this.chunksCopied = 0;
    this.bytesCopied = 0;
    this.refused = plan.refused;
    this.lostChunkCount = plan.lostChunkCount;
    // A chunk counts once however many copies it lacks; lost chunks have no copy left.
    const short = new Set(plan.copies.map((copy) => copy.sha256));
    this.chunksUnderReplicated = short.size + plan.lostChunkCount;
    this.running = true;
  }

  copied(bytes: number): void {
    this.chunksCopied++;
    this.bytesCopied += bytes;
  }

  endPass(): void {
    this.running = false;
    this.passEndedAt = performance.now();
  }

  /** Bytes per second of the running pass (or of the last one). */
  bytesPerSecond(): number {
    const end = this.running ? performance.now() : this.passEndedAt;
    const elapsedSeconds = (end - this.passStartedAt) / 1000;
    return elapsedSeconds > 0 ? Math.round(this.bytesCopied / elapsedSeconds) : 0;
  }
}

export function emptyProgress(): PassProgress {
  return new PassProgress();
}
