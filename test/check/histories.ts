// Builders for hand-made histories and a generator of random valid histories.

import type { Operation } from '../../src/check/index.js';
import { Prng } from '../../src/util/prng.js';

type Interval = readonly [number, number | undefined];

export function put(
  clientId: number,
  key: string,
  value: string,
  [invokedAt, completedAt]: Interval,
  outcome: Operation['outcome'] = 'ok',
): Operation {
  return { clientId, kind: 'put', key, input: { value }, invokedAt, completedAt, outcome };
}

export function get(
  clientId: number,
  key: string,
  read: string | null,
  [invokedAt, completedAt]: Interval,
): Operation {
  return {
    clientId,
    kind: 'get',
    key,
    input: {},
    invokedAt,
    completedAt,
    outcome: 'ok',
    output: { value: read },
  };
}

export function remove(
  clientId: number,
  key: string,
  [invokedAt, completedAt]: Interval,
  outcome: Operation['outcome'] = 'ok',
): Operation {
  return { clientId, kind: 'delete', key, input: {}, invokedAt, completedAt, outcome };
}

export function cas(
  clientId: number,
  key: string,
  expected: string | null,
  value: string,
  success: boolean | undefined,
  [invokedAt, completedAt]: Interval,
  outcome: Operation['outcome'] = 'ok',
): Operation {
  return {
    clientId,
    kind: 'cas',
    key,
    input: { expected, value },
    invokedAt,
    completedAt,
    outcome,
    output: { success },
  };
}

export interface GeneratedHistory {
  readonly operations: Operation[];
}

/**
 * A valid history: operations are executed one after another on a sequential
 * register per key at linearization points 10 time units apart, then given
 * intervals that contain their point, jittered up to `jitterMax` on each side
 * (so up to ~2*jitterMax/10 operations overlap). Some operations fail (no
 * effect) or end unknown (effect or not, chosen at random).
 */
export function generateValidHistory(
  seed: number,
  operationCount: number,
  keyCount: number,
  clientCount: number,
  jitterMax: number,
  failedOrUnknownFraction = 0.02,
): Operation[] {
  const prng = new Prng(seed);
  const registers = new Map<string, string | null>();
  const operations: Operation[] = [];
  for (let index = 0; index < operationCount; index++) {
    const point = 10 * (index + 1);
    const interval: [number, number] = [
      point - prng.nextIntegerInclusive(0, jitterMax),
      point + prng.nextIntegerInclusive(0, jitterMax),
    ];
    const key = `k${prng.nextIntegerInclusive(0, keyCount - 1)}`;
    const clientId = prng.nextIntegerInclusive(0, clientCount - 1);
    const current = registers.get(key) ?? null;
    const value = `v${index}`;
    const roll = prng.nextFloat();
    if (roll < 0.4) {
      operations.push(get(clientId, key, current, interval));
    } else if (roll < 0.7 || roll >= 1 - failedOrUnknownFraction) {
      const outcome =
        roll >= 1 - failedOrUnknownFraction ? (prng.chance(0.5) ? 'failed' : 'unknown') : 'ok';
      const applied = outcome === 'ok' || (outcome === 'unknown' && prng.chance(0.5));
      if (applied) registers.set(key, value);
      operations.push(
        put(
          clientId,
          key,
          value,
          outcome === 'unknown' ? [interval[0], undefined] : interval,
          outcome,
        ),
      );
    } else if (roll < 0.75) {
      registers.set(key, null);
      operations.push(remove(clientId, key, interval));
    } else {
      const expected = prng.chance(0.7) ? current : `v${prng.nextIntegerInclusive(0, index)}`;
      const success = expected === current;
      if (success) registers.set(key, value);
      operations.push(cas(clientId, key, expected, value, success, interval));
    }
  }
  return operations;
}
