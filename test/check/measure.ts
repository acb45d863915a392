// Measures the checker on a 10,000-operation history (10 keys, 10 clients). Not a test.
// Run: npx tsx test/check/measure.ts
import { checkHistory } from '../../src/check/index.js';
import { generateValidHistory } from './histories.js';

const samples: number[] = [];
for (let round = 0; round < 7; round++) {
  const history = generateValidHistory(100 + round, 10_000, 10, 10, 50);
  const started = performance.now();
  const result = checkHistory(history);
  samples.push(performance.now() - started);
  if (result.ok !== true)
    throw new Error(`round ${round}: ${JSON.stringify(result).slice(0, 300)}`);
}
samples.sort((a, b) => a - b);
console.log(
  `10,000 ops / 10 keys / 10 clients (overlap up to ~10 ops): median ${samples[3]?.toFixed(0)} ms, min ${samples[0]?.toFixed(0)} ms, max ${samples[6]?.toFixed(0)} ms`,
);
const wide = generateValidHistory(1, 10_000, 10, 10, 200);
const started = performance.now();
const result = checkHistory(wide);
console.log(
  `same with overlap up to ~40 ops: ${(performance.now() - started).toFixed(0)} ms, ok=${String(result.ok)}, states ${result.ok === true ? result.statesExplored : '-'}`,
);
const corrupted = generateValidHistory(2, 10_000, 10, 10, 50);
const index = corrupted.findIndex((operation, i) => i > 9000 && operation.kind === 'get');
corrupted[index] = {
  ...(corrupted[index] as (typeof corrupted)[number]),
  output: { value: 'never-written' },
};
const failStarted = performance.now();
const failing = checkHistory(corrupted);
console.log(
  `with one corrupted read (violation + minimisation): ${(performance.now() - failStarted).toFixed(0)} ms, ok=${String(failing.ok)}, reported ${failing.ok === false ? `${failing.operations.length} ops (${failing.operationsAre})` : '-'}`,
);
