// A seeded pseudo-random generator: same seed, same sequence, on every machine.
// xoshiro128** over 32-bit integers (Math.imul keeps everything exact), seeded
// through splitmix32 so that nearby seeds give unrelated streams.

import { assert, assertInteger } from './assert.js';

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    assertInteger(seed, 'seed', 0, 0xffff_ffff_ffff);
    let state = (seed ^ (Math.floor(seed / 0x1_0000_0000) * 0x9e37)) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [minimum, maximum], both inclusive. */
  nextIntegerInclusive(minimum: number, maximum: number): number {
    assert(Number.isSafeInteger(minimum) && Number.isSafeInteger(maximum), 'bounds are integers');
    assert(minimum <= maximum, 'minimum <= maximum');
    const range = maximum - minimum + 1;
    assert(range <= 0x1_0000_0000, 'range fits 32 bits');
    return minimum + Math.floor(this.nextFloat() * range);
  }

  /** True with the given probability. */
  chance(probability: number): boolean {
    assert(probability >= 0 && probability <= 1, 'probability in [0, 1]');
    return this.nextFloat() < probability;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from a non-empty list');
    return items[this.nextIntegerInclusive(0, items.length - 1)] as T;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextIntegerInclusive(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A fresh generator whose stream is derived from this one (for sub-components). */
  fork(): Prng {
    return new Prng(this.nextUint32());
  }
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}
