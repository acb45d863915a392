// The chaos watch workload can fail: a consumer that drops one event on each
// resumption (watch-drop-on-resume, client side) is caught as a gap against the
// committed history, and the same run without it passes. Real `cairn serve` processes
// (the built CLI: npm run build first). About 1 minute on 2 cores.

import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChaosOptions, runChaos, watchDropOnResumeBug } from '../../src/chaos/runner.js';
import type { Verdict } from '../../src/chaos/verdict.js';

async function runOnce(options: ChaosOptions): Promise<Verdict> {
  const verdict = await runChaos(options);
  if (verdict.runDirectory !== null && process.env['CAIRN_KEEP_TEST_DATA'] === undefined)
    rmSync(verdict.runDirectory, { recursive: true, force: true });
  return verdict;
}

const base: ChaosOptions = {
  nodes: 3,
  durationMilliseconds: 15_000,
  seed: 5,
  faults: ['kill', 'pause', 'partition'],
  workload: 'watch',
  keep: false,
};

test('a watcher that drops an event on a reconnect is caught', async () => {
  const verdict = await runOnce({ ...base, injectBug: watchDropOnResumeBug });
  assert.not.ok(verdict.ok, 'the planted bug fails the run');
  assert.ok(verdict.watchProblems.length > 0, 'as a watch problem');
  assert.match(verdict.watchProblems[0] as string, /expected .* received/);
});

test('without the planted bug the same run passes', async () => {
  const verdict = await runOnce(base);
  assert.ok(verdict.ok, `${verdict.watchProblems.join('; ')} ${verdict.recoveryProblem}`);
  assert.ok(
    verdict.notes.some((note) => /watchers received [1-9]\d* events/.test(note)),
    'the watchers received events',
  );
});

test.run();
