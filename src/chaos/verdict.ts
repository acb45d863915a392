// The verdict of a chaos run: what ran, what was injected, what the checkers found.
// Pure: built from the run's results, rendered as text or returned as JSON.

import { describeOperation, type CheckResult, type Operation } from '../check/index.js';
import { type AvailabilityReport, renderAvailability } from './availability.js';
import type { FaultRecord, OperationCounts } from './history.js';
import type { ObjectProblem } from './objects-check.js';

export interface RunSettings {
  readonly seed: number;
  readonly nodes: number;
  readonly durationMilliseconds: number;
  readonly faults: readonly string[];
  readonly workload: string;
  readonly injectBug: string | undefined;
}

export interface Anomaly {
  readonly key: string;
  readonly explanation: string;
  /** The minimal failing sub-history, one line per operation. */
  readonly operations: readonly string[];
}

export interface Verdict {
  readonly ok: boolean;
  readonly settings: RunSettings;
  readonly elapsedMilliseconds: number;
  readonly operations: OperationCounts;
  readonly faultsInjected: Record<string, number>;
  readonly faultsSkipped: number;
  readonly anomalies: readonly Anomaly[];
  /** Register keys the checker gave up on (state limit): neither proven nor refuted. */
  readonly uncheckedKeys: readonly string[];
  readonly lostWrites: readonly ObjectProblem[];
  readonly objectsDiffering: readonly ObjectProblem[];
  readonly watchProblems: readonly string[];
  /** Empty when the healed cluster served again in time; else why not. */
  readonly recoveryProblem: string;
  /** Failed operations while a majority was healthy, and the longest write outage. */
  readonly availability: AvailabilityReport;
  readonly notes: readonly string[];
  readonly runDirectory: string | null;
  readonly replayCommand: string;
}

export interface VerdictInput {
  readonly settings: RunSettings;
  readonly elapsedMilliseconds: number;
  readonly counts: OperationCounts;
  readonly faults: readonly FaultRecord[];
  readonly registerCheck: CheckResult | null;
  readonly objectProblems: readonly ObjectProblem[];
  /** What the bank workload's check found (issue 16); empty or absent when clean. */
  readonly bankProblems?: readonly string[];
  /** What the lock workload's check found (issue 15); empty or absent when clean. */
  readonly lockProblems?: readonly string[];
  /** The watch workload's findings (gaps, duplicates, missing acknowledged writes). */
  readonly watchProblems?: readonly string[];
  readonly recoveryProblem: string;
  readonly availability: AvailabilityReport;
  readonly notes: readonly string[];
  readonly runDirectory: string | null;
}

export function buildVerdict(input: VerdictInput): Verdict {
  const faultsInjected: Record<string, number> = {};
  let faultsSkipped = 0;
  for (const fault of input.faults) {
    if (fault.skipped === true) faultsSkipped++;
    else faultsInjected[fault.kind] = (faultsInjected[fault.kind] ?? 0) + 1;
  }
  const anomalies: Anomaly[] = [];
  const uncheckedKeys: string[] = [];
  const check = input.registerCheck;
  if (check !== null && check.ok === false) {
    anomalies.push({
      key: check.key,
      explanation: check.explanation,
      operations: check.operations.map((operation: Operation) => describeOperation(operation)),
    });
  }
  if (check !== null && check.ok === 'unknown') uncheckedKeys.push(check.key);
  for (const explanation of input.bankProblems ?? [])
    anomalies.push({ key: 'chaos/bank/', explanation, operations: [] });
  for (const explanation of input.lockProblems ?? [])
    anomalies.push({ key: 'chaos/lock/', explanation, operations: [] });
  const lostWrites = input.objectProblems.filter((problem) => problem.kind !== 'bytes-differ');
  const objectsDiffering = input.objectProblems.filter(
    (problem) => problem.kind === 'bytes-differ',
  );
  const ok =
    anomalies.length === 0 &&
    lostWrites.length === 0 &&
    objectsDiffering.length === 0 &&
    (input.watchProblems ?? []).length === 0 &&
    input.recoveryProblem === '' &&
    input.availability.ok;
  return {
    ok,
    settings: input.settings,
    elapsedMilliseconds: input.elapsedMilliseconds,
    operations: { ...input.counts },
    faultsInjected,
    faultsSkipped,
    anomalies,
    uncheckedKeys,
    lostWrites,
    objectsDiffering,
    watchProblems: input.watchProblems ?? [],
    recoveryProblem: input.recoveryProblem,
    availability: input.availability,
    notes: input.notes,
    runDirectory: input.runDirectory,
    replayCommand: replayCommand(input.settings),
  };
}

export function replayCommand(settings: RunSettings): string {
  const parts = [
    'cairn chaos',
    `--seed ${settings.seed}`,
    `--nodes ${settings.nodes}`,
    `--duration ${Math.round(settings.durationMilliseconds / 1000)}s`,
    `--faults ${settings.faults.length === 0 ? 'none' : settings.faults.join(',')}`,
    `--workload ${settings.workload}`,
  ];
  if (settings.injectBug !== undefined) parts.push(`--inject-bug ${settings.injectBug}`);
  return parts.join(' ');
}

const problemsShownMax = 10;

export function renderVerdict(verdict: Verdict): string {
  const lines: string[] = [];
  const faults =
    Object.entries(verdict.faultsInjected)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ') || 'none';
  lines.push(
    `${verdict.ok ? 'PASS' : 'FAIL'}  seed ${verdict.settings.seed}, ${verdict.settings.nodes} nodes, ${(verdict.elapsedMilliseconds / 1000).toFixed(1)} s, workload ${verdict.settings.workload}${verdict.settings.injectBug === undefined ? '' : `, INJECTED BUG ${verdict.settings.injectBug}`}`,
  );
  lines.push(
    `operations: ${verdict.operations.ok} ok, ${verdict.operations.failed} failed, ${verdict.operations.unknown} unknown`,
  );
  lines.push(
    `faults injected: ${faults}${verdict.faultsSkipped > 0 ? ` (${verdict.faultsSkipped} skipped)` : ''}`,
  );
  lines.push(
    `anomalies: ${verdict.anomalies.length}${verdict.uncheckedKeys.length > 0 ? ` (checker gave up on ${verdict.uncheckedKeys.join(', ')})` : ''}`,
  );
  for (const anomaly of verdict.anomalies) {
    lines.push(anomaly.explanation);
    lines.push(`  minimal failing sub-history (${anomaly.operations.length} operations):`);
    for (const operation of anomaly.operations) lines.push(`    ${operation}`);
  }
  lines.push(`acknowledged writes lost: ${verdict.lostWrites.length}`);
  for (const problem of verdict.lostWrites.slice(0, problemsShownMax))
    lines.push(`  ${problem.key}: ${problem.kind}: ${problem.detail}`);
  lines.push(`objects whose bytes differ: ${verdict.objectsDiffering.length}`);
  for (const problem of verdict.objectsDiffering.slice(0, problemsShownMax))
    lines.push(`  ${problem.key}: ${problem.detail}`);
  if (verdict.settings.workload === 'watch' || verdict.watchProblems.length > 0) {
    lines.push(`watch problems: ${verdict.watchProblems.length}`);
    for (const problem of verdict.watchProblems.slice(0, problemsShownMax))
      lines.push(`  ${problem}`);
  }
  if (verdict.recoveryProblem !== '') lines.push(`recovery: ${verdict.recoveryProblem}`);
  lines.push(...renderAvailability(verdict.availability));
  for (const note of verdict.notes) lines.push(`note: ${note}`);
  if (verdict.runDirectory !== null)
    lines.push(`history, fault log and node logs kept in ${verdict.runDirectory}`);
  lines.push(`replay: ${verdict.replayCommand}`);
  return lines.join('\n');
}
