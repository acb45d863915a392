// Which endpoint a request tries first, and how long to wait before a retry. Pure:
// all randomness comes from the injected Prng, so a seeded client is reproducible.

import { murmurHash3String } from '../placement/hash.js';
import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import type { Prng } from '../util/prng.js';

export type BalancingPolicy = 'round-robin' | 'random' | 'key-hash';

export const balancingPolicies: readonly BalancingPolicy[] = ['round-robin', 'random', 'key-hash'];

// A fixed seed so that key-hash is stable across processes and releases.
const keyHashSeed = 0x6361_6972; // "cair"

/**
 * Chooses the first endpoint index of each request. round-robin cycles through the
 * endpoints; random picks uniformly with the Prng; key-hash sends every request for
 * one key to the same endpoint (requests without a key fall back to round-robin).
 * Retries then walk the list from there (see nextEndpointIndex).
 */
export class EndpointSelector {
  private nextRoundRobinIndex = 0;

  constructor(
    private readonly endpointCount: number,
    private readonly policy: BalancingPolicy,
    private readonly prng: Prng,
  ) {
    assertInteger(endpointCount, 'endpointCount', 1, limits.clientEndpointsMax);
    assert(balancingPolicies.includes(policy), `known policy ${String(policy)}`);
  }

  firstIndex(key: string | undefined): number {
    let index: number;
    if (this.policy === 'random') {
      index = this.prng.nextIntegerInclusive(0, this.endpointCount - 1);
    } else if (this.policy === 'key-hash' && key !== undefined) {
      index = keyHashIndex(key, this.endpointCount);
    } else {
      index = this.nextRoundRobinIndex;
      this.nextRoundRobinIndex = (this.nextRoundRobinIndex + 1) % this.endpointCount;
    }
    assert(index >= 0 && index < this.endpointCount, 'endpoint index in range');
    return index;
  }
}

export function keyHashIndex(key: string, endpointCount: number): number {
  assertInteger(endpointCount, 'endpointCount', 1, limits.clientEndpointsMax);
  return murmurHash3String(key, keyHashSeed) % endpointCount;
}

export function nextEndpointIndex(index: number, endpointCount: number): number {
  assertInteger(endpointCount, 'endpointCount', 1, limits.clientEndpointsMax);
  assertInteger(index, 'index', 0, endpointCount - 1);
  return (index + 1) % endpointCount;
}

export interface BackoffOptions {
  readonly baseMilliseconds: number;
  readonly maxMilliseconds: number;
}

export function validateBackoff(backoff: BackoffOptions): void {
  assertInteger(
    backoff.baseMilliseconds,
    'backoff.baseMilliseconds',
    0,
    limits.clientBackoffMillisecondsMax,
  );
  assertInteger(
    backoff.maxMilliseconds,
    'backoff.maxMilliseconds',
    backoff.baseMilliseconds,
    limits.clientBackoffMillisecondsMax,
  );
}

/**
 * The wait before retry number `retryNumber` (1 for the first retry): exponential
 * growth from base, capped at max, with "equal jitter" — a uniform draw in
 * [ceiling / 2, ceiling] — so that clients retrying together spread out but every
 * retry still waits at least half the nominal delay.
 */
export function backoffDelayMilliseconds(
  retryNumber: number,
  backoff: BackoffOptions,
  prng: Prng,
): number {
  assertInteger(retryNumber, 'retryNumber', 1, limits.clientRetryAttemptsOptionMax);
  validateBackoff(backoff);
  const exponent = Math.min(retryNumber - 1, 30); // 2^30 * base already exceeds any max
  const ceiling = Math.min(backoff.maxMilliseconds, backoff.baseMilliseconds * 2 ** exponent);
  const half = Math.floor(ceiling / 2);
  const delay = half + prng.nextIntegerInclusive(0, ceiling - half);
  assert(
    delay >= half && delay <= ceiling && delay <= backoff.maxMilliseconds,
    'backoff delay within bounds',
  );
  return delay;
}
