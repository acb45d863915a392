// One run of the issue-8 suite: the machine's limits, then each workload against etcd
// (when asked) and cairn, in the same process with the same load generator, printed as
// figures, ratios and targets. cluster-vs-limits.ts and cairn-vs-etcd.ts are its two
// front doors. Every process it starts is stopped by PID at the end (or on Ctrl-C).
import { CairnClient } from '../src/client/index.js';
import {
  CairnTarget,
  RoundRobinHttpTarget,
  formatNumber,
  type LocalCluster,
  type OperationRow,
  startLocalCluster,
} from '../src/bench/index.js';
import { renderTable } from '../src/cli/output.js';
import { cpus, totalmem } from 'node:os';
import {
  type EtcdCluster,
  EtcdTarget,
  etcdInstallHint,
  etcdVersion,
  startEtcdCluster,
} from './etcd.js';
import { type MachineLimits, machineLimitRows, measureMachineLimits } from './machine-limits.js';
import {
  clusterCounters,
  counterDelta,
  type Counters,
  cpuSecondsOf,
  loadAverage,
  ownCpuSeconds,
  RssSampler,
  runCase,
  selectCases,
  type SuiteCase,
} from './suite.js';

const MiB = 1024 * 1024;

export interface SideBySideOptions {
  readonly withEtcd: boolean;
  readonly seconds: number;
  readonly cases?: string;
  readonly directory: string;
  /** Skip measuring the machine (quick A/B runs): every limit is then NaN. */
  readonly skipLimits?: boolean;
  readonly log: (line: string) => void;
}

const unmeasuredRate = {
  operationsPerSecond: Number.NaN,
  p50Milliseconds: Number.NaN,
  p99Milliseconds: Number.NaN,
};

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly cairn: readonly OperationRow[];
  /** cairn through a plain HTTP client sending round-robin to every member (no leader routing). */
  readonly cairnRoundRobin: readonly OperationRow[] | null;
  readonly etcd: readonly OperationRow[] | null;
  readonly cairnCounters: Counters;
  readonly cairnPeakRssMebibytes: number;
  /** CPU seconds of the servers (all nodes or members) and of the load generator, per system. */
  readonly cpu: {
    readonly cairnServers: number;
    readonly cairnClient: number;
    readonly cairnRoundRobinServers: number | null;
    readonly cairnRoundRobinClient: number | null;
    readonly etcdServers: number | null;
    readonly etcdClient: number | null;
  };
  readonly loadAverageAfter: string;
}

export interface Measured<T> {
  readonly value: T;
  readonly serverCpuSeconds: number;
  readonly clientCpuSeconds: number;
}

async function measuringCpu<T>(
  serverPids: readonly number[],
  work: () => Promise<T>,
): Promise<Measured<T>> {
  const serverBefore = cpuSecondsOf(serverPids);
  const clientBefore = ownCpuSeconds();
  const value = await work();
  return {
    value,
    serverCpuSeconds: cpuSecondsOf(serverPids) - serverBefore,
    clientCpuSeconds: ownCpuSeconds() - clientBefore,
  };
}

export interface SideBySideResult {
  readonly date: string;
  readonly machine: string;
  readonly etcdVersion: string | null;
  readonly limits: MachineLimits;
  readonly cases: readonly CaseResult[];
  readonly loadAverageBefore: string;
}

function row(rows: readonly OperationRow[] | null, operation: string): OperationRow | undefined {
  return rows?.find((candidate) => candidate.operation === operation);
}

/** Cases that a plain round-robin client runs too (issue 19: both client styles). */
const roundRobinCases: ReadonlySet<string> = new Set([
  'put-256-64',
  'put-256-1',
  'get-lin-64',
  'put-64k-16',
]);

async function runOneCase(
  suiteCase: SuiteCase,
  seconds: number,
  cairn: { cluster: LocalCluster; target: CairnTarget; roundRobin: RoundRobinHttpTarget },
  etcd: { target: EtcdTarget; pids: number[] } | undefined,
  log: (line: string) => void,
): Promise<CaseResult> {
  let etcdRun: Measured<OperationRow[]> | undefined;
  if (etcd !== undefined && suiteCase.etcd) {
    log(`etcd:  ${suiteCase.title}...`);
    etcdRun = await measuringCpu(etcd.pids, () => runCase(etcd.target, suiteCase, seconds));
  }
  log(`cairn: ${suiteCase.title}...`);
  const endpoints = cairn.cluster.endpoints.split(',');
  const pids = cairn.cluster.cluster.nodes
    .map((node) => node.process.pid ?? 0)
    .filter((pid) => pid > 0);
  const before = await clusterCounters(endpoints);
  const sampler = new RssSampler(pids);
  // 64 clients x 64 MiB is 12 GiB of disk writes with R=3: rather than wait for every
  // stream in flight to finish, stop the cluster once the duration is over (this case runs
  // last); streams cut short count as errors, the peak RSS is what the case measures.
  const cutShort =
    suiteCase.id === 'rss-64m-64'
      ? setTimeout(() => void cairn.cluster.stop(), (seconds + 2) * 1000)
      : undefined;
  const cairnRun = await measuringCpu(pids, () => runCase(cairn.target, suiteCase, seconds));
  if (cutShort !== undefined) clearTimeout(cutShort);
  let roundRobinRun: Measured<OperationRow[]> | undefined;
  if (roundRobinCases.has(suiteCase.id)) {
    log(`cairn (round-robin HTTP): ${suiteCase.title}...`);
    roundRobinRun = await measuringCpu(pids, () => runCase(cairn.roundRobin, suiteCase, seconds));
  }
  const peaks = sampler.stop();
  const after = await clusterCounters(endpoints);
  for (const operation of [
    ...(etcdRun?.value ?? []).map((row) => ({ system: 'etcd', row })),
    ...cairnRun.value.map((row) => ({ system: 'cairn', row })),
    ...(roundRobinRun?.value ?? []).map((row) => ({ system: 'cairn-rr', row })),
  ]) {
    log(
      `  ${operation.system} ${operation.row.operation}: ${formatNumber(operation.row.operationsPerSecond)} ops/s, ${formatNumber(operation.row.mebibytesPerSecond)} MiB/s, p50 ${formatNumber(operation.row.p50Milliseconds)} ms, p99 ${formatNumber(operation.row.p99Milliseconds)} ms, errors ${operation.row.failures}`,
    );
  }
  log(
    `  cairn peak RSS ${formatNumber(Math.max(0, ...peaks.values()) / MiB)} MiB; load ${loadAverage()}`,
  );
  return {
    id: suiteCase.id,
    title: suiteCase.title,
    cairn: cairnRun.value,
    cairnRoundRobin: roundRobinRun?.value ?? null,
    etcd: etcdRun?.value ?? null,
    cairnCounters: counterDelta(before, after),
    cairnPeakRssMebibytes: Math.max(0, ...peaks.values()) / MiB,
    loadAverageAfter: loadAverage(),
    cpu: {
      cairnServers: cairnRun.serverCpuSeconds,
      cairnClient: cairnRun.clientCpuSeconds,
      cairnRoundRobinServers: roundRobinRun?.serverCpuSeconds ?? null,
      cairnRoundRobinClient: roundRobinRun?.clientCpuSeconds ?? null,
      etcdServers: etcdRun?.serverCpuSeconds ?? null,
      etcdClient: etcdRun?.clientCpuSeconds ?? null,
    },
  };
}

export async function runSideBySide(options: SideBySideOptions): Promise<SideBySideResult> {
  const version = options.withEtcd ? etcdVersion() : undefined;
  if (options.withEtcd && version === undefined) throw new Error(etcdInstallHint);
  const loadAverageBefore = loadAverage();
  options.log(`load average ${loadAverageBefore}; measuring the machine's limits...`);
  const limits: MachineLimits =
    options.skipLimits === true
      ? {
          cores: cpus().length,
          memoryGibibytes: totalmem() / 1024 ** 3,
          directory: options.directory,
          fdatasyncFresh: unmeasuredRate,
          fdatasyncRewrite: unmeasuredRate,
          sequentialWriteMebibytesPerSecond: Number.NaN,
          sequentialReadDirectMebibytesPerSecond: Number.NaN,
          sequentialReadCachedMebibytesPerSecond: Number.NaN,
          httpRequestsPerSecond: Number.NaN,
          httpP50Milliseconds: Number.NaN,
          httpOneClientP50Milliseconds: Number.NaN,
          loopbackTcpGibibitsPerSecond: Number.NaN,
        }
      : await measureMachineLimits(options.directory, options.log);
  let etcdCluster: EtcdCluster | undefined;
  let cairnCluster: LocalCluster | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.all([etcdCluster?.stop(), cairnCluster?.stop()]);
  };
  const onSignal = (): void => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const cases: CaseResult[] = [];
  let client: CairnClient | undefined;
  let roundRobin: RoundRobinHttpTarget | undefined;
  let etcdTarget: EtcdTarget | undefined;
  let etcdPids: number[] = [];
  try {
    if (options.withEtcd) {
      options.log('starting a 3-member etcd cluster...');
      etcdCluster = await startEtcdCluster(3);
      etcdTarget = new EtcdTarget(etcdCluster.clientUrls, 64);
      etcdPids = etcdCluster.members
        .map((member) => member.process.pid ?? 0)
        .filter((pid) => pid > 0);
    }
    options.log('starting a 3-node cairn cluster...');
    cairnCluster = await startLocalCluster(3, options.log);
    client = new CairnClient({ endpoints: cairnCluster.endpoints, connectionsPerEndpoint: 64 });
    roundRobin = new RoundRobinHttpTarget(cairnCluster.endpoints.split(','), 64);
    let cairn = { cluster: cairnCluster, target: new CairnTarget(client), roundRobin };
    for (const suiteCase of selectCases(options.cases)) {
      if (suiteCase.id === 'rss-64m-64' && cases.length > 0) {
        // The memory target is about this workload alone: fresh nodes, so that memory the
        // earlier cases left in the processes (glibc keeps freed memory) does not count.
        options.log('restarting the cairn cluster for the RSS case...');
        await client.close();
        await cairnCluster.stop();
        cairnCluster = await startLocalCluster(3, options.log);
        client = new CairnClient({ endpoints: cairnCluster.endpoints, connectionsPerEndpoint: 64 });
        await roundRobin.close();
        roundRobin = new RoundRobinHttpTarget(cairnCluster.endpoints.split(','), 64);
        cairn = { cluster: cairnCluster, target: new CairnTarget(client), roundRobin };
      }
      cases.push(
        await runOneCase(
          suiteCase,
          options.seconds,
          cairn,
          etcdTarget === undefined ? undefined : { target: etcdTarget, pids: etcdPids },
          options.log,
        ),
      );
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await etcdTarget?.close();
    await client?.close();
    await roundRobin?.close();
    await stopAll();
  }
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  return {
    date: new Date().toISOString(),
    machine,
    etcdVersion: version ?? null,
    limits,
    cases,
    loadAverageBefore,
  };
}

interface Verdict {
  readonly label: string;
  readonly etcd: number | undefined;
  readonly cairn: number | undefined;
  readonly unit: string;
  readonly limit: number | undefined;
  readonly limitLabel: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

function verdicts(result: SideBySideResult): Verdict[] {
  const limits = result.limits;
  const out: Verdict[] = [];
  const add = (verdict: Verdict): void => {
    out.push(verdict);
  };
  for (const suiteCase of result.cases) {
    verdictsOfCase(suiteCase, suiteCase.cairn, '', limits, add);
    if (suiteCase.cairnRoundRobin !== null)
      verdictsOfCase(suiteCase, suiteCase.cairnRoundRobin, ' (round-robin)', limits, add);
  }
  return out;
}

function verdictsOfCase(
  suiteCase: CaseResult,
  cairnRows: readonly OperationRow[],
  style: string,
  limits: MachineLimits,
  add: (verdict: Verdict) => void,
): void {
  const known = (value: number | undefined): value is number =>
    value !== undefined && Number.isFinite(value);
  {
    const cairnPut = row(cairnRows, 'put');
    const etcdPut = row(suiteCase.etcd, 'put');
    const cairnGet = row(cairnRows, 'get');
    const etcdGet = row(suiteCase.etcd, 'get');
    const atLeast = (
      cairn: number | undefined,
      etcd: number | undefined,
      factor: number,
    ): boolean | undefined => (known(cairn) && known(etcd) ? cairn >= factor * etcd : undefined);
    const atMost = (cairn: number | undefined, etcd: number | undefined): boolean | undefined =>
      known(cairn) && known(etcd) ? cairn <= etcd : undefined;
    switch (suiteCase.id) {
      case 'put-256-64':
        add({
          label: `${suiteCase.title}${style}: ops/s`,
          etcd: etcdPut?.operationsPerSecond,
          cairn: cairnPut?.operationsPerSecond,
          unit: '/s',
          limit: limits.fdatasyncFresh.operationsPerSecond,
          limitLabel: 'fdatasync/s',
          target: '>= 1.5x etcd',
          met: atLeast(cairnPut?.operationsPerSecond, etcdPut?.operationsPerSecond, 1.5),
        });
        add({
          label: `${suiteCase.title}${style}: p99`,
          etcd: etcdPut?.p99Milliseconds,
          cairn: cairnPut?.p99Milliseconds,
          unit: 'ms',
          limit: undefined,
          limitLabel: '',
          target: '<= etcd',
          met: atMost(cairnPut?.p99Milliseconds, etcdPut?.p99Milliseconds),
        });
        break;
      case 'get-lin-64':
        add({
          label: `${suiteCase.title}${style}: ops/s`,
          etcd: etcdGet?.operationsPerSecond,
          cairn: cairnGet?.operationsPerSecond,
          unit: '/s',
          limit: limits.httpRequestsPerSecond,
          limitLabel: 'node:http req/s',
          target: '>= 2x etcd',
          met: atLeast(cairnGet?.operationsPerSecond, etcdGet?.operationsPerSecond, 2),
        });
        break;
      case 'put-256-1':
        add({
          label: `${suiteCase.title}${style}: p50`,
          etcd: etcdPut?.p50Milliseconds,
          cairn: cairnPut?.p50Milliseconds,
          unit: 'ms',
          limit: limits.fdatasyncFresh.p50Milliseconds + 2 * limits.httpOneClientP50Milliseconds,
          limitLabel: 'fdatasync p50 + 2 HTTP round trips',
          target: '<= etcd',
          met: atMost(cairnPut?.p50Milliseconds, etcdPut?.p50Milliseconds),
        });
        break;
      case 'put-64k-16':
        add({
          label: `${suiteCase.title}${style}: MiB/s`,
          etcd: etcdPut?.mebibytesPerSecond,
          cairn: cairnPut?.mebibytesPerSecond,
          unit: 'MiB/s',
          limit: limits.sequentialWriteMebibytesPerSecond / 3,
          limitLabel: 'sequential write / 3',
          target: '>= 2x etcd',
          met: atLeast(cairnPut?.mebibytesPerSecond, etcdPut?.mebibytesPerSecond, 2),
        });
        break;
      case 'objects-64m-4': {
        const putLimit = limits.sequentialWriteMebibytesPerSecond / 3;
        const getLimit = limits.sequentialReadDirectMebibytesPerSecond;
        add({
          label: '64 MiB objects, 4 clients: put MiB/s',
          etcd: undefined,
          cairn: cairnPut?.mebibytesPerSecond,
          unit: 'MiB/s',
          limit: putLimit,
          limitLabel: 'sequential write / 3',
          target: '>= 0.6x limit',
          met: known(cairnPut?.mebibytesPerSecond)
            ? cairnPut.mebibytesPerSecond >= 0.6 * putLimit
            : undefined,
        });
        add({
          label: '64 MiB objects, 4 clients: get MiB/s',
          etcd: undefined,
          cairn: cairnGet?.mebibytesPerSecond,
          unit: 'MiB/s',
          limit: getLimit,
          limitLabel: 'O_DIRECT read',
          target: '>= 0.6x limit',
          met: known(cairnGet?.mebibytesPerSecond)
            ? cairnGet.mebibytesPerSecond >= 0.6 * getLimit
            : undefined,
        });
        break;
      }
      case 'rss-64m-64':
        add({
          label: `${suiteCase.title}: peak node RSS`,
          etcd: undefined,
          cairn: suiteCase.cairnPeakRssMebibytes,
          unit: 'MiB',
          limit: 300,
          limitLabel: 'target',
          target: '< 300 MiB',
          met: suiteCase.cairnPeakRssMebibytes < 300,
        });
        break;
    }
  }
}

export function verdictRows(result: SideBySideResult): string[][] {
  const f = (value: number | undefined): string =>
    value === undefined ? '-' : formatNumber(value);
  const ratio = (numerator: number | undefined, denominator: number | undefined): string =>
    numerator === undefined || denominator === undefined || denominator === 0
      ? '-'
      : `${formatNumber(numerator / denominator)}x`;
  return verdicts(result).map((verdict) => [
    verdict.label,
    `${f(verdict.etcd)}`,
    `${f(verdict.cairn)} ${verdict.unit}`,
    ratio(verdict.cairn, verdict.etcd),
    verdict.limit === undefined ? '-' : `${f(verdict.limit)} (${verdict.limitLabel})`,
    ratio(verdict.cairn, verdict.limit),
    verdict.target,
    verdict.met === undefined ? '?' : verdict.met ? 'yes' : 'NO',
  ]);
}

export const verdictHead = [
  'workload',
  'etcd',
  'cairn',
  'cairn/etcd',
  'limit',
  'cairn/limit',
  'target',
  'met',
];

export function detailRows(result: SideBySideResult): string[][] {
  const rows: string[][] = [];
  for (const suiteCase of result.cases) {
    const systems: [string, readonly OperationRow[] | null][] = [
      ['etcd', suiteCase.etcd],
      ['cairn', suiteCase.cairn],
      ['cairn-rr', suiteCase.cairnRoundRobin],
    ];
    for (const [system, operationRows] of systems) {
      for (const operation of operationRows ?? []) {
        const writes =
          system === 'cairn' && operation.operation === 'put' ? operation.operations : 0;
        const roundRobin = system === 'cairn-rr';
        const syncsPerWrite =
          writes > 0 ? formatNumber(suiteCase.cairnCounters.cairn_wal_syncs_total / writes) : '-';
        const allOperations = (operationRows ?? []).reduce(
          (sum, candidate) => sum + candidate.operations,
          0,
        );
        const serverCpu = roundRobin
          ? suiteCase.cpu.cairnRoundRobinServers
          : system === 'cairn'
            ? suiteCase.cpu.cairnServers
            : suiteCase.cpu.etcdServers;
        const clientCpu = roundRobin
          ? suiteCase.cpu.cairnRoundRobinClient
          : system === 'cairn'
            ? suiteCase.cpu.cairnClient
            : suiteCase.cpu.etcdClient;
        const perOperation = (seconds: number | null): string =>
          seconds === null || allOperations === 0
            ? '-'
            : formatNumber((seconds * 1000) / allOperations);
        rows.push([
          suiteCase.id,
          system,
          operation.operation,
          formatNumber(operation.operationsPerSecond),
          formatNumber(operation.mebibytesPerSecond),
          formatNumber(operation.p50Milliseconds),
          formatNumber(operation.p99Milliseconds),
          formatNumber(operation.p999Milliseconds),
          formatNumber(operation.maxMilliseconds),
          String(operation.failures),
          perOperation(serverCpu),
          perOperation(clientCpu),
          syncsPerWrite,
          system === 'cairn' ? formatNumber(suiteCase.cairnPeakRssMebibytes) : '-',
          suiteCase.loadAverageAfter,
        ]);
      }
    }
  }
  return rows;
}

export const detailHead = [
  'case',
  'system',
  'op',
  'ops/s',
  'MiB/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'errors',
  'server CPU ms/op',
  'client CPU ms/op',
  'WAL syncs/put (cluster)',
  'peak RSS MiB',
  'load after',
];

export function printSideBySide(result: SideBySideResult): void {
  console.log(
    `${result.date}; machine ${result.machine}; etcd ${result.etcdVersion ?? 'not run'}; load average before ${result.loadAverageBefore}`,
  );
  console.log(renderTable(['limit', 'figure', 'detail'], machineLimitRows(result.limits)));
  console.log(renderTable(detailHead, detailRows(result)));
  console.log(renderTable(verdictHead, verdictRows(result)));
}

export function parseArguments(argv: readonly string[]): {
  seconds: number;
  cases?: string;
  json: boolean;
  directory?: string;
  skipLimits: boolean;
} {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const seconds = Number(value('--seconds') ?? '10');
  if (!(seconds > 0 && seconds <= 600)) throw new Error('--seconds must be in (0, 600]');
  const cases = value('--cases');
  const directory = value('--dir');
  return {
    seconds,
    json: argv.includes('--json'),
    skipLimits: argv.includes('--skip-limits'),
    ...(cases === undefined ? {} : { cases }),
    ...(directory === undefined ? {} : { directory }),
  };
}
