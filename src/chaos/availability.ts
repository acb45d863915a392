// Availability of a chaos run (issue 13): how many puts and gets failed while a
// majority of the nodes was up and connected, by size class and by error code, and
// the longest stretch in which no write of a size class succeeded although writes of
// it were tried. Pure: built from the recorded samples and faults.

import type { Outcome } from '../check/index.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export type SampleKind = 'write' | 'read';
/** register: the register workload's small values; inline/chunked: objects by size. */
export type SizeClass = 'register' | 'inline' | 'chunked';

export interface AvailabilitySample {
  readonly kind: SampleKind;
  readonly sizeClass: SizeClass;
  readonly invokedAt: number;
  readonly completedAt: number | undefined;
  readonly outcome: Outcome;
  /** The stable error code of a failed operation; undefined when it succeeded. */
  readonly errorCode: string | undefined;
}

/** A time interval (milliseconds since the run started) in which a majority was not healthy. */
export interface DegradedInterval {
  readonly from: number;
  readonly to: number;
}

export interface AvailabilityRow {
  readonly kind: SampleKind;
  readonly sizeClass: SizeClass;
  readonly total: number;
  /** Failed or unknown for a reason of availability (not a refused precondition or an absent key). */
  readonly unavailable: number;
  readonly unavailableShare: number;
}

export interface WriteOutage {
  readonly sizeClass: SizeClass;
  readonly from: number;
  readonly to: number;
  readonly durationMilliseconds: number;
  readonly writesTried: number;
}

export interface AvailabilityReport {
  readonly rows: readonly AvailabilityRow[];
  /** Unavailable operations by error code, most frequent first. */
  readonly errorCodes: readonly { readonly code: string; readonly count: number }[];
  /** The longest write outage of each size class that had writes; longest first. */
  readonly outages: readonly WriteOutage[];
  readonly outageBoundMilliseconds: number;
  /** False when some size class had a write outage beyond the bound. */
  readonly ok: boolean;
}

/** Answers that say the store worked and refused on the merits: not an outage. */
const semanticErrorCodes: ReadonlySet<string> = new Set([
  'CAIRN_ERR_NOT_FOUND',
  'CAIRN_ERR_PRECONDITION_FAILED',
]);

export function isUnavailable(sample: AvailabilitySample): boolean {
  if (sample.outcome === 'ok') return false;
  return sample.errorCode === undefined || !semanticErrorCodes.has(sample.errorCode);
}

export function sizeClassOf(sizeBytes: number): SizeClass {
  assert(Number.isSafeInteger(sizeBytes) && sizeBytes >= 0, 'a size is a non-negative integer');
  return sizeBytes <= limits.objectInlineBytesMax ? 'inline' : 'chunked';
}

function overlapsDegraded(at: number, degraded: readonly DegradedInterval[]): boolean {
  return degraded.some((interval) => at >= interval.from && at <= interval.to);
}

/** Milliseconds of [from, to] that lie outside every degraded interval. */
function healthyMilliseconds(
  from: number,
  to: number,
  degraded: readonly DegradedInterval[],
): number {
  let total = to - from;
  for (const interval of degraded) {
    const start = Math.max(from, interval.from);
    const end = Math.min(to, interval.to);
    if (end > start) total -= end - start;
  }
  return Math.max(0, total);
}

export function measureAvailability(
  samples: readonly AvailabilitySample[],
  degraded: readonly DegradedInterval[],
  outageBoundMilliseconds: number = limits.chaosWriteOutageMillisecondsMax,
): AvailabilityReport {
  assert(outageBoundMilliseconds > 0, 'the outage bound is positive');
  const counted = samples.filter((sample) => !overlapsDegraded(sample.invokedAt, degraded));
  const rows = new Map<
    string,
    { kind: SampleKind; sizeClass: SizeClass; total: number; bad: number }
  >();
  const codes = new Map<string, number>();
  for (const sample of counted) {
    const name = `${sample.kind} ${sample.sizeClass}`;
    const row = rows.get(name) ?? {
      kind: sample.kind,
      sizeClass: sample.sizeClass,
      total: 0,
      bad: 0,
    };
    rows.set(name, row);
    row.total++;
    if (!isUnavailable(sample)) continue;
    row.bad++;
    const code = sample.errorCode ?? 'NO_ERROR_CODE';
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  const outages = sizeClassOrder
    .map((sizeClass) => longestOutage(samples, sizeClass, degraded))
    .filter((outage): outage is WriteOutage => outage !== null)
    .sort((left, right) => right.durationMilliseconds - left.durationMilliseconds);
  return {
    rows: [...rows.values()].sort(rowOrder).map((row) => ({
      kind: row.kind,
      sizeClass: row.sizeClass,
      total: row.total,
      unavailable: row.bad,
      unavailableShare: row.total === 0 ? 0 : row.bad / row.total,
    })),
    errorCodes: [...codes.entries()]
      .map(([code, count]) => ({ code, count }))
      .sort((left, right) => right.count - left.count || left.code.localeCompare(right.code)),
    outages,
    outageBoundMilliseconds,
    ok: outages.every((outage) => outage.durationMilliseconds <= outageBoundMilliseconds),
  };
}

const sizeClassOrder: readonly SizeClass[] = ['register', 'inline', 'chunked'];

function rowOrder(
  left: { kind: SampleKind; sizeClass: SizeClass },
  right: { kind: SampleKind; sizeClass: SizeClass },
): number {
  if (left.kind !== right.kind) return left.kind === 'write' ? -1 : 1;
  return sizeClassOrder.indexOf(left.sizeClass) - sizeClassOrder.indexOf(right.sizeClass);
}

/**
 * The longest time between two successful writes of a size class (or the first write
 * tried and the first success, or the last success and the last write's end) during
 * which writes of it were tried and none succeeded; time in degraded intervals does
 * not count.
 */
function longestOutage(
  samples: readonly AvailabilitySample[],
  sizeClass: SizeClass,
  degraded: readonly DegradedInterval[],
): WriteOutage | null {
  const writes = samples.filter(
    (sample) => sample.kind === 'write' && sample.sizeClass === sizeClass,
  );
  if (writes.length === 0) return null;
  const successes = writes
    .filter((sample) => !isUnavailable(sample))
    .map((sample) => sample.completedAt ?? sample.invokedAt)
    .sort((left, right) => left - right);
  const first = Math.min(...writes.map((sample) => sample.invokedAt));
  const last = Math.max(...writes.map((sample) => sample.completedAt ?? sample.invokedAt));
  const marks = [first, ...successes, last];
  let longest: WriteOutage | null = null;
  for (let index = 0; index + 1 < marks.length; index++) {
    const from = marks[index] as number;
    const to = marks[index + 1] as number;
    const tried = writes.filter(
      (sample) => isUnavailable(sample) && sample.invokedAt >= from && sample.invokedAt < to,
    ).length;
    if (tried === 0) continue;
    const duration = healthyMilliseconds(from, to, degraded);
    if (longest === null || duration > longest.durationMilliseconds)
      longest = { sizeClass, from, to, durationMilliseconds: duration, writesTried: tried };
  }
  return longest;
}

export function renderAvailability(report: AvailabilityReport): string[] {
  const lines = ['availability (operations invoked while a majority was up and connected):'];
  for (const row of report.rows) {
    const share = (row.unavailableShare * 100).toFixed(1);
    lines.push(
      `  ${row.kind} ${row.sizeClass}: ${row.unavailable} of ${row.total} failed (${share}%)`,
    );
  }
  if (report.errorCodes.length > 0)
    lines.push(
      `  by error code: ${report.errorCodes.map((entry) => `${entry.code} ${entry.count}`).join(', ')}`,
    );
  for (const outage of report.outages) {
    const seconds = (outage.durationMilliseconds / 1000).toFixed(1);
    const over =
      outage.durationMilliseconds > report.outageBoundMilliseconds ? ' OVER THE BOUND' : '';
    lines.push(
      `  longest ${outage.sizeClass} write outage: ${seconds} s from ${(outage.from / 1000).toFixed(1)} s (${outage.writesTried} writes tried)${over}`,
    );
  }
  return lines;
}
