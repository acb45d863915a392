// Proof that `cairn chaos` can fail: nodes started with a planted bug
// (CAIRN_TEST_INJECT_BUG) must be caught within a few short runs, and the same runs
// without the bug must pass. Real `cairn serve` processes (the built CLI: npm run
// build first; npm test does). About 1 to 2 minutes in all on 2 cores.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { runChaos, type ChaosOptions } from '../../src/chaos/runner.js';
import type { Verdict } from '../../src/chaos/verdict.js';

const runsMax = 3;

async function runOnce(options: ChaosOptions): Promise<Verdict> {
  const verdict = await runChaos(options);
  if (verdict.runDirectory !== null && process.env['CAIRN_KEEP_TEST_DATA'] === undefined)
    rmSync(verdict.runDirectory, { recursive: true, force: true });
  return verdict;
}

/** Runs seeds 1..runsMax until `caught` holds; returns the runs made. */
async function runUntilCaught(
  options: Omit<ChaosOptions, 'seed'>,
  caught: (verdict: Verdict) => boolean,
): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (let seed = 1; seed <= runsMax; seed++) {
    const verdict = await runOnce({ ...options, seed });
    verdicts.push(verdict);
    if (caught(verdict)) break;
  }
  return verdicts;
}

function summary(verdicts: readonly Verdict[]): string {
  return verdicts
    .map(
      (verdict) =>
        `seed ${verdict.settings.seed}: ${verdict.ok ? 'pass' : 'fail'}, ${verdict.anomalies.length} anomalies, ${verdict.lostWrites.length} lost, ${verdict.objectsDiffering.length} differ, faults ${JSON.stringify(verdict.faultsInjected)}`,
    )
    .join('; ');
}

test('stale-reads (reads skip ReadIndex) is caught as a linearizability anomaly under partitions and pauses', async () => {
  const verdicts = await runUntilCaught(
    {
      nodes: 3,
      durationMilliseconds: 15_000,
      faults: ['partition', 'pause'],
      workload: 'register',
      keep: false,
      injectBug: 'stale-reads',
    },
    (verdict) => verdict.anomalies.length > 0,
  );
  const last = verdicts[verdicts.length - 1] as Verdict;
  assert.ok(
    last.anomalies.length > 0 && !last.ok,
    `not caught in ${runsMax} runs: ${summary(verdicts)}`,
  );
  assert.ok(
    (last.anomalies[0]?.operations.length ?? 0) > 0,
    'the verdict shows the failing sub-history',
  );
  console.log(`  stale-reads caught in run ${verdicts.length}: ${summary(verdicts.slice(-1))}`);
});

test('early-put-ack (one chunk copy only) is caught as lost or corrupted objects when chunk files are damaged', async () => {
  const verdicts = await runUntilCaught(
    {
      nodes: 3,
      durationMilliseconds: 20_000,
      faults: ['disk'],
      workload: 'objects',
      keep: false,
      injectBug: 'early-put-ack',
      objectBytesMax: 2_000_000,
    },
    (verdict) => verdict.lostWrites.length + verdict.objectsDiffering.length > 0,
  );
  const last = verdicts[verdicts.length - 1] as Verdict;
  assert.ok(
    last.lostWrites.length + last.objectsDiffering.length > 0 && !last.ok,
    `not caught in ${runsMax} runs: ${summary(verdicts)}`,
  );
  console.log(`  early-put-ack caught in run ${verdicts.length}: ${summary(verdicts.slice(-1))}`);
});

test('bank-skip-compare (a transfer leaves out one compare) is caught; the clean bank passes', async () => {
  const options = {
    nodes: 3,
    durationMilliseconds: 15_000,
    faults: ['kill', 'pause', 'partition'] as const,
    workload: 'bank' as const,
    keep: false,
  };
  const verdicts = await runUntilCaught(
    { ...options, faults: [...options.faults], injectBug: 'bank-skip-compare' },
    (verdict) => verdict.anomalies.length > 0,
  );
  const last = verdicts[verdicts.length - 1] as Verdict;
  assert.ok(!last.ok && last.anomalies.length > 0, `not caught: ${summary(verdicts)}`);
  const clean = await runOnce({ ...options, faults: [...options.faults], seed: 1 });
  assert.ok(
    clean.ok,
    `the clean bank failed: ${clean.anomalies[0]?.explanation ?? ''} ${clean.recoveryProblem}`,
  );
  assert.ok(
    clean.notes.some((note) => /bank: \d+ reads .* \((?!0 applied)/.test(note)),
    clean.notes.join('; '),
  );
  console.log(
    `  bank-skip-compare caught in run ${verdicts.length}: ${last.anomalies[0]?.explanation}`,
  );
});

test('wait-all-copies (no write quorum) makes chunked writes visibly less available', async () => {
  const options: ChaosOptions = {
    nodes: 3,
    durationMilliseconds: 25_000,
    seed: 301,
    faults: ['kill'],
    workload: 'objects',
    keep: false,
    objectBytesMax: 2_000_000,
  };
  const chunkedWriteShare = (verdict: Verdict): number =>
    verdict.availability.rows.find((row) => row.kind === 'write' && row.sizeClass === 'chunked')
      ?.unavailableShare ?? 0;
  const clean = await runOnce(options);
  const planted = await runOnce({ ...options, injectBug: 'wait-all-copies' });
  const figures = `clean ${chunkedWriteShare(clean)}, planted ${chunkedWriteShare(planted)}`;
  assert.ok(clean.ok, `the clean run failed: ${summary([clean])}`);
  // While one of three nodes is down, every chunked put of the planted bug fails.
  assert.ok(chunkedWriteShare(planted) >= 0.15, figures);
  assert.ok(chunkedWriteShare(planted) >= 3 * chunkedWriteShare(clean), figures);
  console.log(`  chunked writes unavailable: ${figures}`);
});

test('fence-unchecked (fenced writes applied without the lock check) is caught by the lock workload', async () => {
  const verdicts = await runUntilCaught(
    {
      nodes: 3,
      durationMilliseconds: 15_000,
      faults: ['kill', 'pause', 'partition'],
      workload: 'lock',
      keep: false,
      injectBug: 'fence-unchecked',
    },
    (verdict) => verdict.anomalies.length > 0,
  );
  const last = verdicts[verdicts.length - 1] as Verdict;
  assert.ok(!last.ok && last.anomalies.length > 0, `not caught: ${summary(verdicts)}`);
  assert.ok(
    last.anomalies.some((anomaly) => /token order|increment was lost/.test(anomaly.explanation)),
    last.anomalies.map((anomaly) => anomaly.explanation).join('\n'),
  );
  console.log(
    `  fence-unchecked caught in run ${verdicts.length}: ${last.anomalies[0]?.explanation}`,
  );
});

test('without a planted bug the same kinds of runs pass', async () => {
  const verdict = await runOnce({
    nodes: 3,
    durationMilliseconds: 15_000,
    seed: 1,
    faults: ['partition', 'pause', 'kill', 'disk'],
    workload: 'mixed',
    keep: false,
    objectBytesMax: 2_000_000,
  });
  assert.ok(
    verdict.ok,
    `a correct cluster failed: ${summary([verdict])}; ${verdict.anomalies[0]?.explanation ?? ''} ${verdict.lostWrites[0]?.detail ?? ''} ${verdict.objectsDiffering[0]?.detail ?? ''} ${verdict.recoveryProblem}`,
  );
  assert.ok(verdict.operations.ok > 0, 'the workloads made progress');
  assert.ok(
    Object.values(verdict.faultsInjected).reduce((sum, count) => sum + count, 0) > 0,
    'faults were injected',
  );
});

test.run();
