// WAL append throughput with group commit, next to the raw disk figures of the same
// disk measured in the same run (bench/disk-limits.ts). Not a test.
//
// Workload: P concurrent producers each loop "append one record, await sync()", so
// every fdatasync covers whatever the producers appended while the previous one ran
// (what the node driver does with one sync per iteration). Records of 256 B, 4 KiB
// and 64 KiB, each measured for a few seconds, 3 runs, medians reported.
// Run: npx tsx bench/wal-throughput.ts [DIR] (DIR defaults to the OS temp directory)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Disk, DiskFile, OpenMode } from '../src/storage/disk.js';
import { RealDisk } from '../src/storage/real-disk.js';
import { Wal } from '../src/storage/wal.js';
import {
  fdatasyncFreshFile,
  fdatasyncPrewrittenFile,
  median,
  sequentialWriteMebibytesPerSecond,
} from './disk-limits.js';

const runs = 3;
const measureMilliseconds = Number(process.env['CAIRN_BENCH_MILLISECONDS'] ?? 2500);
const workloads = [
  { recordBytes: 256, producers: 64 },
  { recordBytes: 4096, producers: 64 },
  { recordBytes: 65536, producers: 16 },
] as const;

/** Counts fdatasyncs of the files it opens (to report records per sync). */
class CountingDisk extends RealDisk {
  datasyncs = 0;
  override async open(path: string, mode: OpenMode): Promise<DiskFile> {
    const file = await super.open(path, mode);
    const count = (): void => {
      this.datasyncs++;
    };
    return {
      path: file.path,
      write: (data, position) => file.write(data, position),
      read: (into, position) => file.read(into, position),
      datasync: async () => {
        count();
        await file.datasync();
      },
      sync: () => file.sync(),
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      close: () => file.close(),
    };
  }
}

interface WalResult {
  readonly recordsPerSecond: number;
  readonly mebibytesPerSecond: number;
  readonly recordsPerSync: number;
  readonly syncsPerSecond: number;
}

async function measureWal(
  directory: string,
  recordBytes: number,
  producers: number,
): Promise<WalResult> {
  const walDirectory = join(directory, `wal-${recordBytes}-${Date.now()}`);
  const disk = new CountingDisk();
  const wal = await Wal.open(disk as Disk, walDirectory, {}, () => undefined);
  const payload = new Uint8Array(recordBytes).fill(0x42);
  // Warm up: create the first segment outside the measurement.
  wal.append(1, payload);
  await wal.sync();
  const syncsBefore = disk.datasyncs;
  let records = 0;
  const start = performance.now();
  const deadline = start + measureMilliseconds;
  const producer = async (): Promise<void> => {
    // Bounded by the deadline.
    while (performance.now() < deadline) {
      wal.append(1, payload);
      await wal.sync();
      records++;
    }
  };
  await Promise.all(Array.from({ length: producers }, producer));
  const seconds = (performance.now() - start) / 1000;
  const syncs = disk.datasyncs - syncsBefore;
  await wal.close();
  rmSync(walDirectory, { recursive: true, force: true });
  return {
    recordsPerSecond: records / seconds,
    mebibytesPerSecond: (records * recordBytes) / (1024 * 1024) / seconds,
    recordsPerSync: records / Math.max(1, syncs),
    syncsPerSecond: syncs / seconds,
  };
}

function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'cairn-bench-'));
  try {
    const loadBefore = loadavg()[0] ?? 0;
    const fresh: number[] = [];
    const prewritten: number[] = [];
    const sequential: number[] = [];
    const walResults = new Map<number, WalResult[]>();
    for (let run = 1; run <= runs; run++) {
      fresh.push(fdatasyncFreshFile(directory, 2000).operationsPerSecond);
      prewritten.push(fdatasyncPrewrittenFile(directory, 2000).operationsPerSecond);
      sequential.push(sequentialWriteMebibytesPerSecond(directory));
      for (const workload of workloads) {
        const result = await measureWal(directory, workload.recordBytes, workload.producers);
        walResults.set(workload.recordBytes, [
          ...(walResults.get(workload.recordBytes) ?? []),
          result,
        ]);
        console.error(
          `run ${run}: ${workload.recordBytes} B: ${format(result.recordsPerSecond)} records/s, ${format(result.mebibytesPerSecond, 1)} MiB/s, ${format(result.recordsPerSync, 1)} records/sync`,
        );
      }
      console.error(
        `run ${run}: raw fdatasync fresh ${format(fresh.at(-1)!)}/s, pre-written ${format(prewritten.at(-1)!)}/s, sequential ${format(sequential.at(-1)!)} MiB/s`,
      );
    }
    const rawFresh = median(fresh);
    const rawPrewritten = median(prewritten);
    const rawSequential = median(sequential);
    console.log(
      `date: ${new Date().toISOString()}; machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${format(totalmem() / 1024 ** 3, 1)} GiB; node ${process.version}; load average ${format(loadBefore, 1)} before, ${format(loadavg()[0] ?? 0, 1)} after (other work on the machine)`,
    );
    console.log(
      `command: npx tsx bench/wal-throughput.ts; ${runs} runs of ${measureMilliseconds} ms per WAL figure, medians\n`,
    );
    console.log('| raw disk (same run) | median |');
    console.log('|---|---|');
    console.log(`| 4 KiB write + fdatasync, fresh (growing) file | ${format(rawFresh)}/s |`);
    console.log(`| 4 KiB write + fdatasync, pre-written file | ${format(rawPrewritten)}/s |`);
    console.log(`| sequential 1 MiB writes + final fsync | ${format(rawSequential)} MiB/s |\n`);
    console.log(
      '| record | producers | records/s | MiB/s | records per fdatasync | WAL fdatasyncs/s | syncs/s vs raw pre-written | MiB/s vs sequential |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const workload of workloads) {
      const results = walResults.get(workload.recordBytes) ?? [];
      const recordsPerSecond = median(results.map((r) => r.recordsPerSecond));
      const mebibytes = median(results.map((r) => r.mebibytesPerSecond));
      const perSync = median(results.map((r) => r.recordsPerSync));
      const syncsPerSecond = median(results.map((r) => r.syncsPerSecond));
      console.log(
        `| ${workload.recordBytes >= 1024 ? `${workload.recordBytes / 1024} KiB` : `${workload.recordBytes} B`} | ${workload.producers} | ${format(recordsPerSecond)} | ${format(mebibytes, 1)} | ${format(perSync, 1)} | ${format(syncsPerSecond)} | ${format(syncsPerSecond / rawPrewritten, 2)} | ${format(mebibytes / rawSequential, 2)} |`,
      );
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
