import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AvailabilitySample,
  measureAvailability,
  sizeClassOf,
} from '../../src/chaos/availability.js';
import { HistoryRecorder } from '../../src/chaos/history.js';
import { buildVerdict, renderVerdict } from '../../src/chaos/verdict.js';

function write(
  at: number,
  ok: boolean,
  sizeClass: AvailabilitySample['sizeClass'] = 'chunked',
  errorCode = 'CAIRN_ERR_UNAVAILABLE',
): AvailabilitySample {
  return {
    kind: 'write',
    sizeClass,
    invokedAt: at,
    completedAt: at + 50,
    outcome: ok ? 'ok' : 'failed',
    errorCode: ok ? undefined : errorCode,
  };
}

/** Writes every 100 ms from 0 to 30 s; those in [from, to) fail. */
function writesFailingBetween(from: number, to: number): AvailabilitySample[] {
  const samples: AvailabilitySample[] = [];
  for (let at = 0; at < 30_000; at += 100) samples.push(write(at, at < from || at >= to));
  return samples;
}

test('size classes: inline up to the inline limit, chunked above', () => {
  assert.is(sizeClassOf(0), 'inline');
  assert.is(sizeClassOf(64 * 1024), 'inline');
  assert.is(sizeClassOf(64 * 1024 + 1), 'chunked');
});

test('a short outage passes; shares and error codes are counted', () => {
  const report = measureAvailability(writesFailingBetween(10_000, 13_000), []);
  assert.ok(report.ok);
  const row = report.rows.find((entry) => entry.sizeClass === 'chunked');
  assert.is(row?.total, 300);
  assert.is(row?.unavailable, 30);
  assert.equal(report.errorCodes, [{ code: 'CAIRN_ERR_UNAVAILABLE', count: 30 }]);
  const outage = report.outages[0];
  // From the last success before (9,950 ms) to the first after (13,050 ms).
  assert.ok(outage !== undefined && Math.abs(outage.durationMilliseconds - 3_100) < 1);
});

test('writes unavailable longer than the bound fail the report and the verdict', () => {
  const report = measureAvailability(writesFailingBetween(5_000, 17_000), []);
  assert.not.ok(report.ok);
  assert.ok((report.outages[0]?.durationMilliseconds ?? 0) > 10_000);
  const verdict = buildVerdict({
    settings: {
      seed: 1,
      nodes: 3,
      durationMilliseconds: 30_000,
      faults: ['kill'],
      workload: 'objects',
      injectBug: undefined,
    },
    elapsedMilliseconds: 31_000,
    counts: { ok: 180, failed: 120, unknown: 0 },
    faults: [],
    registerCheck: null,
    objectProblems: [],
    recoveryProblem: '',
    availability: report,
    notes: [],
    runDirectory: null,
  });
  assert.not.ok(verdict.ok);
  assert.match(renderVerdict(verdict), /chunked write outage: 12\.\d s .*OVER THE BOUND/);
});

test('a writer that never succeeds is an outage from its first try to its last answer', () => {
  const samples = [write(1_000, false), write(6_000, false), write(12_000, false)];
  const report = measureAvailability(samples, []);
  assert.not.ok(report.ok);
  assert.is(report.outages[0]?.durationMilliseconds, 11_050);
});

test('time in a degraded interval (no healthy majority) does not count', () => {
  const samples = writesFailingBetween(5_000, 17_000);
  const report = measureAvailability(samples, [{ from: 6_000, to: 16_000 }]);
  assert.ok(report.ok);
  // Operations invoked in the degraded interval are not counted at all.
  const row = report.rows.find((entry) => entry.sizeClass === 'chunked');
  assert.is(row?.unavailable, 19); // 5.0-5.9 s and 16.1-16.9 s
});

test('refusals on the merits (absent key, failed precondition) are not unavailability', () => {
  const samples: AvailabilitySample[] = [];
  for (let at = 0; at < 20_000; at += 100) {
    const refused = at >= 2_000 && at < 15_000;
    samples.push(write(at, !refused, 'register', 'CAIRN_ERR_PRECONDITION_FAILED'));
  }
  const report = measureAvailability(samples, []);
  assert.ok(report.ok);
  assert.is(report.rows[0]?.unavailable, 0);
  assert.equal(report.errorCodes, []);
});

test('the recorder keeps every failed operation with its error code and size class', () => {
  const recorder = new HistoryRecorder(null, null);
  recorder.recordObject({
    clientId: 0,
    kind: 'put',
    key: 'o/1',
    invokedAt: 1,
    completedAt: 2,
    outcome: 'failed',
    size: 300_000,
    errorCode: 'CAIRN_ERR_UNAVAILABLE',
  });
  recorder.recordObject({
    clientId: 0,
    kind: 'get',
    key: 'o/1',
    invokedAt: 3,
    completedAt: 4,
    outcome: 'failed',
    errorCode: 'CAIRN_ERR_NOT_FOUND',
  });
  recorder.recordRegister(
    {
      clientId: 1,
      kind: 'put',
      key: 'r/0',
      input: { value: 'a' },
      invokedAt: 5,
      completedAt: 6,
      outcome: 'unknown',
    },
    'CAIRN_ERR_TIMEOUT',
  );
  assert.equal(
    recorder.samples.map((sample) => [sample.kind, sample.sizeClass, sample.errorCode]),
    [
      ['write', 'chunked', 'CAIRN_ERR_UNAVAILABLE'],
      ['read', 'chunked', 'CAIRN_ERR_NOT_FOUND'],
      ['write', 'register', 'CAIRN_ERR_TIMEOUT'],
    ],
  );
  assert.throws(() =>
    recorder.recordObject({
      clientId: 0,
      kind: 'put',
      key: 'o/2',
      invokedAt: 7,
      completedAt: 8,
      outcome: 'failed',
      size: 1,
    }),
  );
});

test.run();
