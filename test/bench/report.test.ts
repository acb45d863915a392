import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type BenchReport,
  errorRows,
  formatNumber,
  phaseReport,
  summaryLine,
  throughputRows,
} from '../../src/bench/report.js';
import type { PhaseResult } from '../../src/bench/runner.js';

const latency = {
  count: 0,
  p50Milliseconds: 1.234,
  p90Milliseconds: 2.5,
  p99Milliseconds: 12.34,
  p999Milliseconds: 123.4,
  maxMilliseconds: 1234.5,
  meanMilliseconds: 1.5,
};

function report(phases: PhaseResult[]): BenchReport {
  return {
    workload: 'objects',
    target: 'local 3-node cluster',
    clients: 4,
    seed: 9,
    rateOperationsPerSecond: null,
    startedAt: '2026-11-23T00:00:00.000Z',
    phases: phases.map(phaseReport),
  };
}

test('formatNumber: three significant figures, thousands separators, no exponent', () => {
  assert.is(formatNumber(0), '0');
  assert.is(formatNumber(0.01234), '0.012');
  assert.is(formatNumber(1.234), '1.23');
  assert.is(formatNumber(12.34), '12.3');
  assert.is(formatNumber(1234.5), '1,235');
  assert.is(formatNumber(Number.NaN), '-');
});

test('rows: ops/s and MiB/s over the phase time, percentiles, phase names when operations repeat', () => {
  const put: PhaseResult = {
    name: 'put',
    elapsedMilliseconds: 2000,
    stoppedEarly: false,
    operations: [
      {
        operation: 'put',
        operations: 100,
        bytes: 200 * 1024 * 1024,
        failures: 3,
        errorsByCode: { CAIRN_ERR_TIMEOUT: 2, ECONNRESET: 1 },
        latency,
      },
    ],
  };
  const get: PhaseResult = {
    name: 'get',
    elapsedMilliseconds: 1000,
    stoppedEarly: true,
    operations: [
      { operation: 'get', operations: 50, bytes: 0, failures: 0, errorsByCode: {}, latency },
    ],
  };
  const full = report([put, get]);
  const rows = throughputRows(full);
  assert.equal(rows[0], ['put', '100', '50.0', '100', '1.23', '2.50', '12.3', '123', '1,235', '3']);
  assert.equal(rows[1]?.slice(0, 4), ['get', '50', '50.0', '0']);
  assert.equal(errorRows(full), [
    ['put', 'CAIRN_ERR_TIMEOUT', '2'],
    ['put', 'ECONNRESET', '1'],
  ]);
  assert.match(
    summaryLine(full),
    /objects against local 3-node cluster: 4 clients, closed loop, seed 9; put 2\.0 s, get 1\.0 s \(stopped early/,
  );
  const repeated = report([
    { ...put, name: 'first' },
    { ...put, name: 'second' },
  ]);
  assert.equal(
    throughputRows(repeated).map((row) => row[0]),
    ['first:put', 'second:put'],
  );
});

test('the JSON report carries every figure a CI job compares', () => {
  const put: PhaseResult = {
    name: 'put',
    elapsedMilliseconds: 500,
    stoppedEarly: false,
    operations: [
      {
        operation: 'put',
        operations: 10,
        bytes: 1024 * 1024,
        failures: 0,
        errorsByCode: {},
        latency,
      },
    ],
  };
  const json = JSON.parse(JSON.stringify(report([put]))) as BenchReport;
  const row = json.phases[0]?.rows[0];
  assert.ok(row !== undefined);
  assert.is(row.operationsPerSecond, 20);
  assert.is(row.mebibytesPerSecond, 2);
  assert.is(row.p999Milliseconds, 123.4);
});

test.run();
