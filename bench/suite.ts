// The workloads of cairn issue 8, shared by cluster-vs-limits.ts and cairn-vs-etcd.ts:
// each case is a `cairn bench` workload with fixed parameters, plus the probes a report
// needs (RSS of the cairn nodes, fsyncs and Raft entries per operation from /metrics).
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import {
  type BenchTarget,
  type OperationRow,
  phaseReport,
  runWorkload,
  type WorkloadOptions,
} from '../src/bench/index.js';

const MiB = 1024 * 1024;

export type CaseId =
  | 'put-256-64'
  | 'get-lin-64'
  | 'put-256-1'
  | 'put-64k-16'
  | 'objects-64m-4'
  | 'rss-64m-64';

export interface SuiteCase {
  readonly id: CaseId;
  readonly title: string;
  /** Runs against etcd too (etcd cannot store 64 MiB values: its requests stop at 1.5 MiB). */
  readonly etcd: boolean;
  readonly options: (seconds: number) => WorkloadOptions;
}

function options(
  overrides: Partial<WorkloadOptions> & Pick<WorkloadOptions, 'workload' | 'clients'>,
  seconds: number,
  prefix: string,
): WorkloadOptions {
  return {
    durationMilliseconds: seconds * 1000,
    valueSizeBytes: 256,
    sizes: { minimumBytes: 64 * MiB, maximumBytes: 64 * MiB },
    keys: 1000,
    keyDistribution: 'uniform',
    consistency: 'linearizable',
    readRatio: 0.5,
    keyPrefix: `bench/${prefix}/`,
    preload: true,
    seed: Math.floor(Math.random() * 0x1_0000_0000),
    ...overrides,
  };
}

export const suiteCases: readonly SuiteCase[] = [
  {
    id: 'put-256-64',
    title: 'put 256 B, 64 clients',
    etcd: true,
    options: (seconds) => options({ workload: 'put', clients: 64 }, seconds, 'p256'),
  },
  {
    id: 'get-lin-64',
    title: 'linearizable get 256 B, 64 clients',
    etcd: true,
    options: (seconds) => options({ workload: 'get', clients: 64 }, seconds, 'g256'),
  },
  {
    id: 'put-256-1',
    title: 'put 256 B, 1 client',
    etcd: true,
    options: (seconds) => options({ workload: 'put', clients: 1 }, seconds, 'p1'),
  },
  {
    id: 'put-64k-16',
    title: 'put 64 KiB, 16 clients',
    etcd: true,
    options: (seconds) =>
      options({ workload: 'put', clients: 16, valueSizeBytes: 64 * 1024 }, seconds, 'p64k'),
  },
  {
    id: 'objects-64m-4',
    title: '64 MiB objects, 4 clients, put then get',
    etcd: false,
    options: (seconds) => options({ workload: 'objects', clients: 4, keys: 64 }, seconds, 'o64m'),
  },
  {
    id: 'rss-64m-64',
    title: 'put 64 MiB objects, 64 clients (RSS; cluster stopped after the duration)',
    etcd: false,
    options: (seconds) =>
      options({ workload: 'put', clients: 64, valueSizeBytes: 64 * MiB, keys: 64 }, seconds, 'rss'),
  },
];

export function selectCases(argument: string | undefined): readonly SuiteCase[] {
  if (argument === undefined) return suiteCases;
  const wanted = new Set(argument.split(','));
  return suiteCases.filter((suiteCase) => wanted.has(suiteCase.id));
}

export async function runCase(
  target: BenchTarget,
  suiteCase: SuiteCase,
  seconds: number,
): Promise<OperationRow[]> {
  const phases = await runWorkload(target, suiteCase.options(seconds));
  return phases.map(phaseReport).flatMap((phase) => phase.rows);
}

/** Peak resident memory of processes, sampled every intervalMilliseconds from /proc. */
export class RssSampler {
  private readonly peakBytes = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: readonly number[],
    intervalMilliseconds = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMilliseconds);
  }

  private sample(): void {
    for (const pid of this.pids) {
      try {
        const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        const bytes = Number(match?.[1] ?? 0) * 1024;
        this.peakBytes.set(pid, Math.max(this.peakBytes.get(pid) ?? 0, bytes));
      } catch {
        // the process is gone
      }
    }
  }

  stop(): Map<number, number> {
    clearInterval(this.timer);
    this.sample();
    return new Map(this.peakBytes);
  }
}

/** CPU seconds (user + system) consumed by processes, from /proc/PID/stat (clock ticks of 1/100 s). */
export function cpuSecondsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      // the process is gone
    }
  }
  return ticks / 100;
}

/** CPU seconds of this process (the load generator). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

const countersOfInterest = [
  'cairn_wal_syncs_total',
  'cairn_raft_entries_persisted_total',
  'cairn_peer_requests_total',
] as const;
export type Counters = Record<(typeof countersOfInterest)[number], number>;

/** The sum over the cluster of the counters that explain a write's cost. */
export async function clusterCounters(endpoints: readonly string[]): Promise<Counters> {
  const totals: Counters = {
    cairn_wal_syncs_total: 0,
    cairn_raft_entries_persisted_total: 0,
    cairn_peer_requests_total: 0,
  };
  for (const endpoint of endpoints) {
    try {
      const response = await request(`http://${endpoint}/metrics`);
      const text = await response.body.text();
      for (const line of text.split('\n')) {
        for (const name of countersOfInterest) {
          if (line.startsWith(name))
            totals[name] += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
        }
      }
    } catch {
      // a node without /metrics counts as zero
    }
  }
  return totals;
}

export function counterDelta(before: Counters, after: Counters): Counters {
  return {
    // A node that stopped answering /metrics reads as zero: clamp rather than go negative.
    cairn_wal_syncs_total: Math.max(0, after.cairn_wal_syncs_total - before.cairn_wal_syncs_total),
    cairn_raft_entries_persisted_total: Math.max(
      0,
      after.cairn_raft_entries_persisted_total - before.cairn_raft_entries_persisted_total,
    ),
    cairn_peer_requests_total: Math.max(
      0,
      after.cairn_peer_requests_total - before.cairn_peer_requests_total,
    ),
  };
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
