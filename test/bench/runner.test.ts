// The runner and the rate schedule against a simulated clock: every duration here is
// simulated time, so the assertions are exact and nothing sleeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RateSchedule } from '../../src/bench/rate-schedule.js';
import { type BenchClock, errorCode, runPhase } from '../../src/bench/runner.js';
import { CairnError } from '../../src/util/errors.js';

class SimulatedClock implements BenchClock {
  nowMilliseconds = 1_000;
  sleeps: number[] = [];
  now(): number {
    return this.nowMilliseconds;
  }
  async sleep(milliseconds: number): Promise<void> {
    this.sleeps.push(milliseconds);
    this.nowMilliseconds += milliseconds;
  }
  /** An operation that takes `milliseconds` of simulated time. */
  work(milliseconds: number, bytes = 0): () => Promise<number> {
    return async () => {
      this.nowMilliseconds += milliseconds;
      return bytes;
    };
  }
}

test('rate schedule: ticket i is due at start + i / rate', () => {
  const schedule = new RateSchedule(200, 50);
  assert.is(schedule.intendedStartMilliseconds(0), 50);
  assert.is(schedule.intendedStartMilliseconds(1), 55);
  assert.is(schedule.intendedStartMilliseconds(200), 1050);
  assert.is(schedule.delayMilliseconds(2, 52), 8);
  assert.is(schedule.delayMilliseconds(2, 70), 0, 'a late ticket starts at once');
  assert.is(schedule.ticketsWithin(1000), 200);
  assert.is(schedule.ticketsWithin(1001), 201);
  assert.throws(() => new RateSchedule(0, 0));
  assert.throws(() => new RateSchedule(Number.POSITIVE_INFINITY, 0));
});

test('open loop measures from the intended start: one stall delays every operation queued behind it', async () => {
  const clock = new SimulatedClock();
  // 100 ops/s (one every 10 ms), one client; operation 2 stalls for 55 ms, the rest take 1 ms.
  const result = await runPhase({
    name: 'put',
    clients: 1,
    durationMilliseconds: 100,
    rateOperationsPerSecond: 100,
    clock,
    plan: (ticket) => ({ kind: 'put', run: clock.work(ticket === 2 ? 55 : 1) }),
  });
  const stats = result.operations[0];
  assert.ok(stats !== undefined);
  assert.is(stats.operations, 10);
  // Intended starts 0,10,...,90; op 2 runs 20..75, ops 3..7 (due 30..70) start late at
  // 75,76,77,78,79: latencies 46,37,28,19,10 ms. A closed-loop timer would report 1 ms.
  assert.ok(
    Math.abs(stats.latency.maxMilliseconds - 55) <= 0.06,
    `max ${stats.latency.maxMilliseconds}`,
  );
  assert.ok(
    Math.abs(stats.latency.p90Milliseconds - 46) < 0.1,
    `p90 ${stats.latency.p90Milliseconds}`,
  );
  assert.is(clock.sleeps.length > 0, true, 'it waited for due times');
});

test('closed loop: latency is the operation time; stops starting at the deadline', async () => {
  const clock = new SimulatedClock();
  const result = await runPhase({
    name: 'get',
    clients: 1,
    durationMilliseconds: 50,
    clock,
    plan: () => ({ kind: 'get', run: clock.work(10, 4096) }),
  });
  const stats = result.operations[0];
  assert.ok(stats !== undefined);
  assert.is(stats.operations, 5);
  assert.is(stats.bytes, 5 * 4096);
  // HdrHistogram keeps 3 significant digits: 10 ms reads back within 0.1%.
  assert.ok(
    Math.abs(stats.latency.p50Milliseconds - 10) <= 0.01,
    `p50 ${stats.latency.p50Milliseconds}`,
  );
  assert.is(result.elapsedMilliseconds, 50);
  assert.is(clock.sleeps.length, 0);
});

test('operation count bound, several clients, kinds reported separately', async () => {
  const clock = new SimulatedClock();
  const result = await runPhase({
    name: 'mixed',
    clients: 4,
    operations: 30,
    clock,
    plan: (ticket) =>
      ticket % 3 === 0
        ? { kind: 'put', run: clock.work(2, 100) }
        : { kind: 'get', run: clock.work(1, 10) },
  });
  const byKind = Object.fromEntries(result.operations.map((stats) => [stats.operation, stats]));
  assert.is(byKind['put']?.operations, 10);
  assert.is(byKind['get']?.operations, 20);
  assert.is(byKind['put']?.bytes, 1000);
});

test('errors are counted by code, not recorded as latency, and stop the phase at errorsMax', async () => {
  const clock = new SimulatedClock();
  const result = await runPhase({
    name: 'put',
    clients: 2,
    operations: 1000,
    clock,
    errorsMax: 5,
    plan: () => ({
      kind: 'put',
      run: async () => {
        throw new CairnError('CAIRN_ERR_UNAVAILABLE', 'down');
      },
    }),
  });
  const stats = result.operations[0];
  assert.ok(stats !== undefined);
  assert.is(stats.operations, 0);
  assert.is(stats.latency.count, 0);
  assert.ok(stats.failures >= 5 && stats.failures <= 6, `failures ${stats.failures}`);
  assert.equal(Object.keys(stats.errorsByCode), ['CAIRN_ERR_UNAVAILABLE']);
  assert.is(result.stoppedEarly, true);
});

test('errorCode: cairn codes, node codes, unknown', () => {
  assert.is(errorCode(new CairnError('CAIRN_ERR_TIMEOUT', 'slow')), 'CAIRN_ERR_TIMEOUT');
  assert.is(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'ECONNRESET');
  assert.is(errorCode(new Error('plain')), 'UNKNOWN');
  assert.is(errorCode('string'), 'UNKNOWN');
});

test('a phase needs a bound', async () => {
  try {
    await runPhase({ name: 'put', clients: 1, plan: () => ({ kind: 'put', run: async () => 0 }) });
    assert.unreachable('an unbounded phase must be refused');
  } catch (error) {
    assert.instance(error, Error);
  }
});

test('latency histogram: percentiles in order and never above the maximum', async () => {
  const { LatencyHistogram } = await import('../../src/bench/latency-histogram.js');
  const histogram = new LatencyHistogram();
  for (let value = 1; value <= 1000; value++) histogram.recordMilliseconds(value / 10);
  const summary = histogram.summary();
  assert.is(summary.count, 1000);
  assert.ok(
    Math.abs(summary.p50Milliseconds - 50) < 0.1 && Math.abs(summary.p99Milliseconds - 99) < 0.1,
    JSON.stringify(summary),
  );
  assert.ok(
    summary.p50Milliseconds <= summary.p90Milliseconds &&
      summary.p90Milliseconds <= summary.p99Milliseconds,
  );
  assert.ok(
    summary.p99Milliseconds <= summary.p999Milliseconds &&
      summary.p999Milliseconds <= summary.maxMilliseconds,
  );
  assert.is(new LatencyHistogram().summary().maxMilliseconds, 0);
});

test.run();
