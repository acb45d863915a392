// Runs copy tasks with a bounded number in flight and a byte rate limit. The copy
// itself (read from a source, verify, store on the target) is injected, so the same
// runner serves the node (peer transport) and tests (fakes).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import type { CopyTask } from './reconcile.js';
import type { TokenBucket } from './token-bucket.js';

export interface CopyFailure {
  readonly sha256: string;
  readonly targetId: string;
  readonly reason: string;
}

export interface CopyRunResult {
  readonly copiedChunks: number;
  readonly copiedBytes: number;
  readonly failedCount: number;
  readonly failures: CopyFailure[];
  /** True when the run stopped early (paused or stopped): some tasks were not tried. */
  readonly interrupted: boolean;
}

export interface CopyRunOptions {
  readonly parallel: number;
  readonly bucket: TokenBucket;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** Copies one chunk from `sourceId` to the task's target; throws on failure. */
  readonly copy: (task: CopyTask, sourceId: string) => Promise<void>;
  /** Checked before each task: false stops the run (pause, leadership lost, shutdown). */
  readonly shouldContinue: () => boolean;
  readonly onCopied?: (task: CopyTask) => void;
}

export async function runCopies(
  tasks: readonly CopyTask[],
  options: CopyRunOptions,
): Promise<CopyRunResult> {
  assert(
    Number.isSafeInteger(options.parallel) &&
      options.parallel >= 1 &&
      options.parallel <= limits.maintenanceTransfersParallelMax,
    'parallel transfers within maintenanceTransfersParallelMax',
  );
  const failures: CopyFailure[] = [];
  let failedCount = 0;
  let copiedChunks = 0;
  let copiedBytes = 0;
  let next = 0;
  let interrupted = false;
  const worker = async (): Promise<void> => {
    // Bounded: each iteration consumes one task index.
    while (next < tasks.length) {
      if (!options.shouldContinue()) {
        interrupted = true;
        return;
      }
      const task = tasks[next++] as CopyTask;
      const wait = options.bucket.take(task.bytes, options.now());
      if (wait > 0) await options.sleep(wait);
      const reason = await copyFromAnySource(task, options.copy);
      if (reason === undefined) {
        copiedChunks++;
        copiedBytes += task.bytes;
        options.onCopied?.(task);
        continue;
      }
      failedCount++;
      if (failures.length < limits.maintenanceFailuresKeptMax)
        failures.push({ sha256: task.sha256, targetId: task.targetId, reason });
    }
  };
  const workers = Array.from(
    { length: Math.min(options.parallel, Math.max(tasks.length, 1)) },
    () => worker(),
  );
  await Promise.all(workers);
  assert(copiedChunks + failedCount <= tasks.length, 'each task counted at most once');
  return { copiedChunks, copiedBytes, failedCount, failures, interrupted };
}

/** Tries each source in turn; undefined on success, else why every source failed. */
async function copyFromAnySource(
  task: CopyTask,
  copy: CopyRunOptions['copy'],
): Promise<string | undefined> {
  const reasons: string[] = [];
  for (const sourceId of task.sourceIds) {
    try {
      await copy(task, sourceId);
      return undefined;
    } catch (error) {
      reasons.push(`${sourceId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return reasons.length === 0 ? 'no source holds a copy' : reasons.join('; ').slice(0, 500);
}
