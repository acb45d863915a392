// Which key an operation touches: uniform, or zipfian (a few hot keys, a long tail),
// the skew YCSB and etcd's benchmark use. Deterministic from a seeded Prng.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import type { Prng } from '../util/prng.js';

export type KeyDistributionName = 'uniform' | 'zipfian';
export const keyDistributionNames: readonly KeyDistributionName[] = ['uniform', 'zipfian'];

export interface KeyChooser {
  /** A key index in [0, itemCount). */
  next(): number;
}

/** YCSB's default skew: item 0 is about 2^0.99 times as likely as item 1. */
export const zipfianThetaDefault = 0.99;

export class UniformKeyChooser implements KeyChooser {
  constructor(
    private readonly itemCount: number,
    private readonly prng: Prng,
  ) {
    assertInteger(itemCount, 'uniform item count', 1, limits.benchKeysMax);
  }

  next(): number {
    return this.prng.nextIntegerInclusive(0, this.itemCount - 1);
  }
}

/** zeta(n, theta) = sum over i in 1..n of 1 / i^theta. O(n), bounded by benchKeysMax. */
export function zeta(itemCount: number, theta: number): number {
  assertInteger(itemCount, 'zeta item count', 0, limits.benchKeysMax);
  let sum = 0;
  for (let rank = 1; rank <= itemCount; rank++) sum += 1 / rank ** theta;
  return sum;
}

/**
 * Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD 1994),
 * the generator YCSB uses: one uniform draw per item, no table of n probabilities.
 * Rank 0 is the hottest key.
 */
export class ZipfianKeyChooser implements KeyChooser {
  private readonly zetaItemCount: number;
  private readonly alpha: number;
  private readonly eta: number;
  private readonly secondThreshold: number;

  constructor(
    private readonly itemCount: number,
    private readonly prng: Prng,
    private readonly theta = zipfianThetaDefault,
  ) {
    assertInteger(itemCount, 'zipfian item count', 1, limits.benchKeysMax);
    assert(theta > 0 && theta < 1, 'zipfian theta is in (0, 1)');
    this.zetaItemCount = zeta(itemCount, theta);
    const zetaTwo = zeta(Math.min(2, itemCount), theta);
    this.alpha = 1 / (1 - theta);
    // With one item eta is never used (every draw lands below the first threshold).
    this.eta =
      itemCount < 2 ? 0 : (1 - (2 / itemCount) ** (1 - theta)) / (1 - zetaTwo / this.zetaItemCount);
    this.secondThreshold = 1 + 0.5 ** theta;
  }

  next(): number {
    const uniform = this.prng.nextFloat();
    const scaled = uniform * this.zetaItemCount;
    if (scaled < 1) return 0;
    if (scaled < this.secondThreshold) return Math.min(1, this.itemCount - 1);
    const rank = Math.floor(this.itemCount * (this.eta * uniform - this.eta + 1) ** this.alpha);
    const clamped = Math.min(Math.max(rank, 0), this.itemCount - 1);
    assert(clamped >= 0 && clamped < this.itemCount, 'zipfian rank in range');
    return clamped;
  }

  /** The exact probability of a rank, for tests and for documentation. */
  probability(rank: number): number {
    assertInteger(rank, 'zipfian rank', 0, this.itemCount - 1);
    return 1 / (rank + 1) ** this.theta / this.zetaItemCount;
  }
}

export function makeKeyChooser(
  name: KeyDistributionName,
  itemCount: number,
  prng: Prng,
): KeyChooser {
  if (name === 'uniform') return new UniformKeyChooser(itemCount, prng);
  return new ZipfianKeyChooser(itemCount, prng);
}
