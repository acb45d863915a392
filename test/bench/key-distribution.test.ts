import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UniformKeyChooser, ZipfianKeyChooser, zeta } from '../../src/bench/key-distribution.js';
import { Prng } from '../../src/util/prng.js';

function histogram(next: () => number, itemCount: number, draws: number): number[] {
  const counts = new Array<number>(itemCount).fill(0);
  for (let draw = 0; draw < draws; draw++) {
    const index = next();
    assert.ok(
      Number.isInteger(index) && index >= 0 && index < itemCount,
      `index ${index} in range`,
    );
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

test('zeta sums 1/i^theta', () => {
  assert.is(zeta(1, 0.99), 1);
  assert.ok(Math.abs(zeta(2, 0.5) - (1 + 1 / Math.SQRT2)) < 1e-12);
  assert.ok(Math.abs(zeta(3, 0.99) - (1 + 2 ** -0.99 + 3 ** -0.99)) < 1e-12);
});

test('zipfian frequencies follow 1/(rank+1)^theta over 1000 keys', () => {
  const itemCount = 1000;
  const draws = 200_000;
  const chooser = new ZipfianKeyChooser(itemCount, new Prng(7));
  const counts = histogram(() => chooser.next(), itemCount, draws);
  // The exact generator is exact for ranks 0 and 1 and close for the rest (Gray et al.).
  for (const rank of [0, 1]) {
    const expected = chooser.probability(rank) * draws;
    const observed = counts[rank] ?? 0;
    assert.ok(
      Math.abs(observed - expected) < 5 * Math.sqrt(expected),
      `rank ${rank}: observed ${observed}, expected ${expected.toFixed(0)}`,
    );
  }
  // The head is hot: the 10 hottest keys of 1000 take about 39% of draws (uniform would give 1%).
  const headShare = counts.slice(0, 10).reduce((sum, count) => sum + count, 0) / draws;
  const expectedHeadShare = Array.from({ length: 10 }, (_, rank) =>
    chooser.probability(rank),
  ).reduce((sum, value) => sum + value, 0);
  assert.ok(
    Math.abs(headShare - expectedHeadShare) < 0.03,
    `head share ${headShare.toFixed(3)} vs ${expectedHeadShare.toFixed(3)}`,
  );
  // Skew order: rank 0 beats rank 1 beats rank 10 beats rank 500.
  assert.ok(
    (counts[0] ?? 0) > (counts[1] ?? 0) &&
      (counts[1] ?? 0) > (counts[10] ?? 0) &&
      (counts[10] ?? 0) > (counts[500] ?? 0),
  );
  assert.ok(counts.every((count) => count >= 0));
});

test('zipfian with one or two keys stays in range', () => {
  for (const itemCount of [1, 2]) {
    const chooser = new ZipfianKeyChooser(itemCount, new Prng(3));
    const counts = histogram(() => chooser.next(), itemCount, 1000);
    assert.is(
      counts.reduce((sum, count) => sum + count, 0),
      1000,
    );
  }
});

test('zipfian is deterministic for a seed and differs between seeds', () => {
  const draw = (seed: number): number[] => {
    const chooser = new ZipfianKeyChooser(100, new Prng(seed));
    return Array.from({ length: 50 }, () => chooser.next());
  };
  assert.equal(draw(11), draw(11));
  assert.not.equal(draw(11), draw(12));
});

test('uniform spreads evenly over every key', () => {
  const itemCount = 20;
  const draws = 100_000;
  const chooser = new UniformKeyChooser(itemCount, new Prng(5));
  const counts = histogram(() => chooser.next(), itemCount, draws);
  const expected = draws / itemCount;
  for (const count of counts)
    assert.ok(
      Math.abs(count - expected) < 5 * Math.sqrt(expected),
      `count ${count} near ${expected}`,
    );
});

test('choosers refuse an empty or oversized key space', () => {
  assert.throws(() => new ZipfianKeyChooser(0, new Prng(1)));
  assert.throws(() => new UniformKeyChooser(0, new Prng(1)));
  assert.throws(() => new ZipfianKeyChooser(10, new Prng(1), 1));
});

test.run();
