// The result of a run, as a table per operation (throughput and latency percentiles),
// a table of errors by code, and a JSON document for CI.

import { mebibytes } from './units.js';
import type { OperationStats, PhaseResult } from './runner.js';

export interface BenchReport {
  readonly workload: string;
  readonly target: string;
  readonly clients: number;
  readonly seed: number;
  readonly rateOperationsPerSecond: number | null;
  readonly startedAt: string;
  readonly phases: readonly PhaseReport[];
}

export interface PhaseReport extends PhaseResult {
  readonly rows: readonly OperationRow[];
}

export interface OperationRow {
  readonly phase: string;
  readonly operation: string;
  readonly operations: number;
  readonly failures: number;
  readonly operationsPerSecond: number;
  readonly mebibytesPerSecond: number;
  readonly p50Milliseconds: number;
  readonly p90Milliseconds: number;
  readonly p99Milliseconds: number;
  readonly p999Milliseconds: number;
  readonly maxMilliseconds: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
}

export function operationRow(phase: PhaseResult, stats: OperationStats): OperationRow {
  const seconds = phase.elapsedMilliseconds / 1000;
  return {
    phase: phase.name,
    operation: stats.operation,
    operations: stats.operations,
    failures: stats.failures,
    operationsPerSecond: stats.operations / seconds,
    mebibytesPerSecond: mebibytes(stats.bytes) / seconds,
    p50Milliseconds: stats.latency.p50Milliseconds,
    p90Milliseconds: stats.latency.p90Milliseconds,
    p99Milliseconds: stats.latency.p99Milliseconds,
    p999Milliseconds: stats.latency.p999Milliseconds,
    maxMilliseconds: stats.latency.maxMilliseconds,
    errorsByCode: stats.errorsByCode,
  };
}

export function phaseReport(phase: PhaseResult): PhaseReport {
  return { ...phase, rows: phase.operations.map((stats) => operationRow(phase, stats)) };
}

/** Three significant figures at most, no exponent: 0.123, 12.3, 1234. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export const throughputHead = [
  'operation',
  'ops',
  'ops/s',
  'MiB/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'errors',
] as const;

export function throughputRows(report: BenchReport): string[][] {
  const multiplePhases =
    report.phases.length > 1 &&
    new Set(report.phases.flatMap((phase) => phase.rows.map((row) => row.operation))).size <
      report.phases.flatMap((phase) => phase.rows).length;
  return report.phases.flatMap((phase) =>
    phase.rows.map((row) => [
      multiplePhases ? `${row.phase}:${row.operation}` : row.operation,
      String(row.operations),
      formatNumber(row.operationsPerSecond),
      formatNumber(row.mebibytesPerSecond),
      formatNumber(row.p50Milliseconds),
      formatNumber(row.p90Milliseconds),
      formatNumber(row.p99Milliseconds),
      formatNumber(row.p999Milliseconds),
      formatNumber(row.maxMilliseconds),
      String(row.failures),
    ]),
  );
}

export const errorsHead = ['operation', 'error', 'count'] as const;

export function errorRows(report: BenchReport): string[][] {
  const rows: string[][] = [];
  for (const phase of report.phases) {
    for (const row of phase.rows) {
      const codes = Object.entries(row.errorsByCode).sort(([a], [b]) => a.localeCompare(b));
      for (const [code, count] of codes) rows.push([row.operation, code, String(count)]);
    }
  }
  return rows;
}

/** One line a human reads first: the workload, its scale, how long each phase ran. */
export function summaryLine(report: BenchReport): string {
  const rate =
    report.rateOperationsPerSecond === null
      ? 'closed loop'
      : `open loop at ${formatNumber(report.rateOperationsPerSecond)} ops/s`;
  const phases = report.phases
    .map(
      (phase) =>
        `${phase.name} ${(phase.elapsedMilliseconds / 1000).toFixed(1)} s${phase.stoppedEarly ? ' (stopped early: too many errors)' : ''}`,
    )
    .join(', ');
  return `${report.workload} against ${report.target}: ${report.clients} clients, ${rate}, seed ${report.seed}; ${phases}`;
}
