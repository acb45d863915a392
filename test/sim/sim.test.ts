// The simulator inside `npm test`: a fixed range of seeds (the same every run, so a
// failure replays with `npm run sim -- --seed S`), determinism, and proof that
// the harness catches known bugs. Runtime: 30 to 60 s on the shared 2-core machine.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { knownBugs, type BugName } from './bugs.js';
import { runSimulation, type SimResult } from './simulator.js';

const seedsFrom = 1;
const seedCount = 500;

test(`${seedCount} seeds pass every safety, liveness and linearizability check`, async () => {
  const failures: string[] = [];
  let operations = 0;
  let leaders = 0;
  let crashes = 0;
  for (let seed = seedsFrom; seed < seedsFrom + seedCount; seed++) {
    const result = await runSimulation(seed);
    operations += (result.stats['ok'] ?? 0) + (result.stats['unknown'] ?? 0);
    leaders += result.stats['leadersObserved'] ?? 0;
    crashes += result.stats['crashes'] ?? 0;
    if (!result.ok)
      failures.push(
        `seed ${seed}: ${result.property}: ${result.message?.slice(0, 400)}\n  replay: npm run sim -- --seed ${seed}`,
      );
  }
  assert.ok(failures.length === 0, `${failures.length} seeds failed:\n${failures.join('\n')}`);
  // The runs did something: clients got answers, leaders changed, nodes crashed.
  assert.ok(operations > seedCount * 10, `only ${operations} client operations completed`);
  assert.ok(leaders > seedCount, `only ${leaders} leaders observed`);
  assert.ok(crashes > seedCount, `only ${crashes} crashes`);
});

test('one seed run twice gives the same trace; other seeds give other traces', async () => {
  const digests = new Set<string>();
  for (const seed of [5, 42, 4242]) {
    const first = await runSimulation(seed);
    const second = await runSimulation(seed);
    assert.is(first.traceHash, second.traceHash, `seed ${seed} is deterministic`);
    assert.is(first.traceEvents, second.traceEvents);
    assert.equal(first.stats, second.stats);
    assert.ok(first.traceEvents > 100, 'the trace records events');
    digests.add(first.traceHash);
  }
  assert.is(digests.size, 3);
});

/** Seeds run until the bug is caught; undefined when 300 seeds miss it. */
async function seedsToCatch(
  bug: BugName,
): Promise<{ seeds: number; result: SimResult } | undefined> {
  for (let seed = 1; seed <= 300; seed++) {
    const result = await runSimulation(seed, { bugs: new Set([bug]) });
    if (!result.ok) return { seeds: seed, result };
  }
  return undefined;
}

for (const bug of Object.keys(knownBugs) as BugName[]) {
  test(`an injected bug is caught: ${bug}`, async () => {
    const caught = await seedsToCatch(bug);
    assert.ok(caught !== undefined, `${bug} survived 300 seeds`);
  });
}

test.run();
