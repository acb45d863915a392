// Open-loop arrivals at a fixed rate. Operation number `ticket` is due at
// start + ticket / rate, whether or not earlier operations have finished; its latency
// is measured from that intended start, so a stall shows up in every operation that
// should have started during it (free of coordinated omission, as wrk2 does it).

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';

export class RateSchedule {
  private readonly intervalMilliseconds: number;

  constructor(
    readonly operationsPerSecond: number,
    readonly startMilliseconds: number,
  ) {
    assert(
      Number.isFinite(operationsPerSecond) && operationsPerSecond > 0,
      'rate is a positive number',
    );
    assert(
      operationsPerSecond <= limits.benchRateOperationsPerSecondMax,
      'rate within benchRateOperationsPerSecondMax',
    );
    assert(Number.isFinite(startMilliseconds), 'schedule start is finite');
    this.intervalMilliseconds = 1000 / operationsPerSecond;
  }

  /** When operation `ticket` (0-based) should start. */
  intendedStartMilliseconds(ticket: number): number {
    assertInteger(ticket, 'ticket', 0, limits.benchOperationsMax);
    return this.startMilliseconds + ticket * this.intervalMilliseconds;
  }

  /** How long to wait at `nowMilliseconds` before starting `ticket`: 0 when it is due or late. */
  delayMilliseconds(ticket: number, nowMilliseconds: number): number {
    return Math.max(0, this.intendedStartMilliseconds(ticket) - nowMilliseconds);
  }

  /** Operations due in [start, start + durationMilliseconds): the run's ticket count. */
  ticketsWithin(durationMilliseconds: number): number {
    assert(durationMilliseconds >= 0, 'duration is not negative');
    return Math.ceil((durationMilliseconds * this.operationsPerSecond) / 1000);
  }
}
