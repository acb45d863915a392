// Raw disk figures measured from Node, the baseline for the WAL benchmark:
// fdatasync rate appending 4 KiB to a growing file, fdatasync rate rewriting a
// pre-written file, and sequential write bandwidth (1 MiB writes + one final fsync).
// Synchronous fs calls: the best a Node loop can do, no event-loop or promise costs.
// Run alone: npx tsx bench/disk-limits.ts [DIR]
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface SyncRate {
  readonly operationsPerSecond: number;
  readonly p50Milliseconds: number;
  readonly p99Milliseconds: number;
}

const blockBytes = 4096;
const operationsMax = 200_000;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

function syncLoop(
  path: string,
  durationMilliseconds: number,
  positionOf: (operation: number) => number,
): SyncRate {
  const fd = openSync(path, 'r+');
  const block = Buffer.alloc(blockBytes, 0xab);
  const latencies: number[] = [];
  const start = performance.now();
  try {
    // Bounded by time and by an operation count.
    for (
      let operation = 0;
      operation < operationsMax && performance.now() - start < durationMilliseconds;
      operation++
    ) {
      const before = performance.now();
      writeSync(fd, block, 0, blockBytes, positionOf(operation));
      fdatasyncSync(fd);
      latencies.push(performance.now() - before);
    }
  } finally {
    closeSync(fd);
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    operationsPerSecond: latencies.length / elapsed,
    p50Milliseconds: percentile(latencies, 0.5),
    p99Milliseconds: percentile(latencies, 0.99),
  };
}

/** 4 KiB write + fdatasync, appending to a fresh (growing) file. */
export function fdatasyncFreshFile(directory: string, durationMilliseconds: number): SyncRate {
  const path = join(directory, 'fresh.bin');
  closeSync(openSync(path, 'w'));
  try {
    return syncLoop(path, durationMilliseconds, (operation) => operation * blockBytes);
  } finally {
    rmSync(path, { force: true });
  }
}

/** 4 KiB write + fdatasync, rewriting blocks of an already written and synced file. */
export function fdatasyncPrewrittenFile(
  directory: string,
  durationMilliseconds: number,
  fileBytes = 64 * 1024 * 1024,
): SyncRate {
  const path = join(directory, 'prewritten.bin');
  writeSequential(path, fileBytes);
  const blocks = fileBytes / blockBytes;
  try {
    return syncLoop(path, durationMilliseconds, (operation) => (operation % blocks) * blockBytes);
  } finally {
    rmSync(path, { force: true });
  }
}

function writeSequential(path: string, totalBytes: number): void {
  const fd = openSync(path, 'w');
  const piece = Buffer.alloc(1024 * 1024, 0x5a);
  try {
    for (let written = 0; written < totalBytes; written += piece.length)
      writeSync(fd, piece, 0, piece.length, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** MiB/s writing `totalBytes` in 1 MiB writes to a fresh file, final fsync included. */
export function sequentialWriteMebibytesPerSecond(
  directory: string,
  totalBytes = 512 * 1024 * 1024,
): number {
  const path = join(directory, 'sequential.bin');
  const start = performance.now();
  try {
    writeSequential(path, totalBytes);
    return totalBytes / (1024 * 1024) / ((performance.now() - start) / 1000);
  } finally {
    rmSync(path, { force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'cairn-disk-'));
  try {
    for (let run = 1; run <= 3; run++) {
      const fresh = fdatasyncFreshFile(directory, 2000);
      const prewritten = fdatasyncPrewrittenFile(directory, 2000);
      const sequential = sequentialWriteMebibytesPerSecond(directory);
      console.log(
        `run ${run}: fdatasync fresh ${fresh.operationsPerSecond.toFixed(0)}/s (p50 ${fresh.p50Milliseconds.toFixed(3)} ms), ` +
          `pre-written ${prewritten.operationsPerSecond.toFixed(0)}/s (p50 ${prewritten.p50Milliseconds.toFixed(3)} ms), ` +
          `sequential ${sequential.toFixed(0)} MiB/s`,
      );
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
