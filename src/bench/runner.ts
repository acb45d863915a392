// Runs one benchmark phase: `clients` concurrent loops drawing operation tickets.
// Closed loop (no rate): each client starts its next operation when the last one ends;
// latency is the operation's own time. Open loop (--rate): ticket i is due at
// start + i / rate and its latency counts from then, so queueing behind a slow cluster
// is measured instead of hidden; `clients` bounds the operations in flight.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import { RateSchedule } from './rate-schedule.js';

export interface BenchClock {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
}

export const realClock: BenchClock = {
  now: () => performance.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

/** One operation to run: its kind (the report's row) and the work, resolving to bytes moved. */
export interface PlannedOperation {
  readonly kind: string;
  readonly run: () => Promise<number>;
}

export interface PhaseOptions {
  readonly name: string;
  readonly clients: number;
  /** Stop starting operations after this long (closed loop), or schedule this long (open loop). */
  readonly durationMilliseconds?: number;
  /** Stop after this many operations. */
  readonly operations?: number;
  /** Open loop at this arrival rate; closed loop when absent. */
  readonly rateOperationsPerSecond?: number;
  readonly plan: (ticket: number) => PlannedOperation;
  readonly clock?: BenchClock;
  readonly onOperation?: (kind: string, bytes: number, failed: boolean) => void;
  readonly errorsMax?: number;
}

export interface OperationStats {
  readonly operation: string;
  readonly operations: number;
  readonly bytes: number;
  readonly failures: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  readonly latency: LatencySummary;
}

export interface PhaseResult {
  readonly name: string;
  readonly elapsedMilliseconds: number;
  readonly stoppedEarly: boolean;
  readonly operations: readonly OperationStats[];
}

class KindStats {
  readonly histogram = new LatencyHistogram();
  operations = 0;
  bytes = 0;
  failures = 0;
  readonly errorsByCode: Record<string, number> = {};

  constructor(readonly kind: string) {}

  result(): OperationStats {
    return {
      operation: this.kind,
      operations: this.operations,
      bytes: this.bytes,
      failures: this.failures,
      errorsByCode: { ...this.errorsByCode },
      latency: this.histogram.summary(),
    };
  }
}

/** A stable code for an error: CairnError's code, a Node/undici error code, or UNKNOWN. */
export function errorCode(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code !== ''
  )
    return error.code;
  return 'UNKNOWN';
}

function validatePhase(options: PhaseOptions): number {
  assertInteger(options.clients, 'clients', 1, limits.benchClientsMax);
  const { durationMilliseconds, operations, rateOperationsPerSecond } = options;
  assert(
    durationMilliseconds !== undefined || operations !== undefined,
    'a phase is bounded by a duration or an operation count',
  );
  if (durationMilliseconds !== undefined)
    assertInteger(durationMilliseconds, 'duration', 1, limits.benchDurationMillisecondsMax);
  if (operations !== undefined)
    assertInteger(operations, 'operations', 0, limits.benchOperationsMax);
  let ticketLimit = operations ?? limits.benchOperationsMax;
  if (rateOperationsPerSecond !== undefined && durationMilliseconds !== undefined) {
    ticketLimit = Math.min(
      ticketLimit,
      new RateSchedule(rateOperationsPerSecond, 0).ticketsWithin(durationMilliseconds),
    );
  }
  return ticketLimit;
}

export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const ticketLimit = validatePhase(options);
  const clock = options.clock ?? realClock;
  const errorsMax = options.errorsMax ?? limits.benchErrorsMax;
  const start = clock.now();
  const deadline =
    options.durationMilliseconds === undefined ? Infinity : start + options.durationMilliseconds;
  const schedule =
    options.rateOperationsPerSecond === undefined
      ? undefined
      : new RateSchedule(options.rateOperationsPerSecond, start);
  const statsByKind = new Map<string, KindStats>();
  let nextTicket = 0;
  let failures = 0;
  let stoppedEarly = false;

  const runOne = async (ticket: number): Promise<void> => {
    let intended = clock.now();
    if (schedule !== undefined) {
      intended = schedule.intendedStartMilliseconds(ticket);
      const delay = schedule.delayMilliseconds(ticket, clock.now());
      if (delay > 0) await clock.sleep(delay);
    }
    const planned = options.plan(ticket);
    let stats = statsByKind.get(planned.kind);
    if (stats === undefined) {
      stats = new KindStats(planned.kind);
      statsByKind.set(planned.kind, stats);
    }
    try {
      const bytes = await planned.run();
      assert(Number.isSafeInteger(bytes) && bytes >= 0, 'an operation reports the bytes it moved');
      stats.histogram.recordMilliseconds(clock.now() - intended);
      stats.operations++;
      stats.bytes += bytes;
      options.onOperation?.(planned.kind, bytes, false);
    } catch (error) {
      const code = errorCode(error);
      stats.failures++;
      stats.errorsByCode[code] = (stats.errorsByCode[code] ?? 0) + 1;
      failures++;
      if (failures >= errorsMax) stoppedEarly = true;
      options.onOperation?.(planned.kind, 0, true);
    }
  };

  const client = async (): Promise<void> => {
    for (let iteration = 0; iteration < limits.benchOperationsMax; iteration++) {
      if (stoppedEarly || nextTicket >= ticketLimit) return;
      if (schedule === undefined && clock.now() >= deadline) return;
      const ticket = nextTicket++;
      await runOne(ticket);
    }
  };

  await Promise.all(Array.from({ length: options.clients }, () => client()));
  const elapsedMilliseconds = Math.max(clock.now() - start, 1e-3);
  const operations = [...statsByKind.values()]
    .map((stats) => stats.result())
    .sort((a, b) => a.operation.localeCompare(b.operation));
  return { name: options.name, elapsedMilliseconds, stoppedEarly, operations };
}
