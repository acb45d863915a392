// One short real run: `cairn bench mixed --local 3` from the built CLI (npm test builds
// dist/ first). It starts three serve processes, preloads 50 keys, runs about 2 s of
// reads and writes, stops the cluster and deletes its directory; then a 1-node objects
// run. About 25 s in all on 2 cores (more when the machine is busy).
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BenchReport } from '../../src/bench/report.js';

const entry = new URL('../../bin/run.js', import.meta.url).pathname;
const runTimeoutMilliseconds = 120_000;

function cairn(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString('utf8');
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGINT'), runTimeoutMilliseconds);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('bench mixed --local 3: reads and writes succeed, every figure is reported', async () => {
  const result = await cairn([
    'bench',
    'mixed',
    '--local',
    '3',
    '--clients',
    '8',
    '--keys',
    '50',
    '--duration',
    '2s',
    '--read-ratio',
    '0.5',
    '--seed',
    '1',
    '--json',
  ]);
  assert.is(result.code, 0, `exit code; stderr: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as BenchReport;
  assert.is(report.workload, 'mixed');
  assert.is(report.phases.length, 1);
  const rows = report.phases[0]?.rows ?? [];
  assert.equal(
    rows.map((row) => row.operation),
    ['get', 'put'],
  );
  for (const row of rows) {
    assert.ok(row.operations > 0, `${row.operation} ran`);
    assert.is(row.failures, 0, `${row.operation} errors: ${JSON.stringify(row.errorsByCode)}`);
    assert.ok(
      row.operationsPerSecond > 0 &&
        row.p50Milliseconds > 0 &&
        row.maxMilliseconds >= row.p99Milliseconds,
    );
  }
  const getRow = rows.find((row) => row.operation === 'get');
  // Every get read a preloaded 256-byte value.
  assert.ok(
    getRow !== undefined &&
      Math.abs((getRow.mebibytesPerSecond * 1024 * 1024) / getRow.operationsPerSecond - 256) < 1,
  );
});

test('bench objects --local 1: chunked objects are written, read back and verified', async () => {
  // Sizes up to 6 MiB cross the 64 KiB inline limit and the 4 MiB chunk size.
  const result = await cairn([
    'bench',
    'objects',
    '--local',
    '1',
    '--clients',
    '2',
    '--sizes',
    '1KiB-6MiB',
    '--ops',
    '4',
    '--seed',
    '3',
    '--json',
  ]);
  assert.is(result.code, 0, `exit code; stderr: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as BenchReport;
  assert.equal(
    report.phases.map((phase) => phase.name),
    ['put', 'get'],
  );
  for (const phase of report.phases) {
    const row = phase.rows[0];
    assert.ok(row !== undefined && row.operations === 4, `${phase.name}: 4 operations`);
    assert.is(row.failures, 0, `${phase.name} errors: ${JSON.stringify(row.errorsByCode)}`);
    assert.ok(row.mebibytesPerSecond > 0);
  }
});

test('bench refuses bad input with exit code 2', async () => {
  const result = await cairn([
    'bench',
    'put',
    '--endpoints',
    '127.0.0.1:1',
    '--duration',
    '10 parsecs',
  ]);
  assert.is(result.code, 2, result.stderr);
  assert.match(result.stderr, /--duration/);
  const unknown = await cairn(['bench', 'scan']);
  assert.is(unknown.code, 2);
});

test.run();
