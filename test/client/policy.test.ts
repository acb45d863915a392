import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  backoffDelayMilliseconds,
  EndpointSelector,
  keyHashIndex,
  nextEndpointIndex,
} from '../../src/client/policy.js';
import { AssertionFailure } from '../../src/util/assert.js';
import { Prng } from '../../src/util/prng.js';

test('round-robin cycles through the endpoints in order, ignoring keys', () => {
  const selector = new EndpointSelector(3, 'round-robin', new Prng(1));
  const order = ['a', 'a', 'b', undefined, 'c', 'a', 'a'].map((key) => selector.firstIndex(key));
  assert.equal(order, [0, 1, 2, 0, 1, 2, 0]);
});

test('key-hash sends one key to one endpoint, and spreads keys over all of them', () => {
  const selector = new EndpointSelector(4, 'key-hash', new Prng(1));
  const seen = new Set<number>();
  for (let keyIndex = 0; keyIndex < 200; keyIndex++) {
    const key = `photos/${keyIndex}.jpg`;
    const first = selector.firstIndex(key);
    for (let repeat = 0; repeat < 3; repeat++) assert.is(selector.firstIndex(key), first, key);
    assert.is(first, keyHashIndex(key, 4));
    seen.add(first);
  }
  assert.equal([...seen].sort(), [0, 1, 2, 3]);
});

test('key-hash is stable across processes (golden values)', () => {
  // A change here silently moves every key to another endpoint: make it on purpose.
  const keys = ['a', 'b', 'photos/1.jpg', 'ключ', 'z/y/x'];
  assert.equal(
    keys.map((key) => keyHashIndex(key, 5)),
    [4, 4, 0, 3, 3],
  );
  assert.equal(
    keys.map((key) => keyHashIndex(key, 64)),
    [30, 39, 58, 24, 4],
  );
});

test('key-hash without a key falls back to round-robin', () => {
  const selector = new EndpointSelector(3, 'key-hash', new Prng(1));
  assert.equal(
    [0, 1, 2, 3].map(() => selector.firstIndex(undefined)),
    [0, 1, 2, 0],
  );
});

test('random draws from the injected Prng', () => {
  const selector = new EndpointSelector(5, 'random', new Prng(42));
  const expected = new Prng(42);
  const drawn: number[] = [];
  for (let request = 0; request < 50; request++) {
    const index = selector.firstIndex('same-key');
    assert.is(index, expected.nextIntegerInclusive(0, 4));
    drawn.push(index);
  }
  assert.ok(new Set(drawn).size >= 4, `random covers the endpoints: ${drawn.join(',')}`);
});

test('nextEndpointIndex walks the list and wraps', () => {
  assert.equal(
    [0, 1, 2].map((index) => nextEndpointIndex(index, 3)),
    [1, 2, 0],
  );
  assert.is(nextEndpointIndex(0, 1), 0);
  assert.throws(
    () => nextEndpointIndex(3, 3),
    (error: unknown) => error instanceof AssertionFailure,
  );
});

test('backoff grows exponentially, is capped, and jitters within [ceiling / 2, ceiling]', () => {
  const backoff = { baseMilliseconds: 10, maxMilliseconds: 100 };
  const prng = new Prng(7);
  const ceilings = [10, 20, 40, 80, 100, 100, 100];
  for (let round = 0; round < 50; round++) {
    ceilings.forEach((ceiling, retryIndex) => {
      const delay = backoffDelayMilliseconds(retryIndex + 1, backoff, prng);
      assert.ok(
        delay >= ceiling / 2 && delay <= ceiling,
        `retry ${retryIndex + 1}: ${delay} in [${ceiling / 2}, ${ceiling}]`,
      );
      assert.ok(Number.isInteger(delay));
    });
  }
  // Jitter: the same retry number does not always wait the same time.
  const delays = new Set(
    Array.from({ length: 20 }, () => backoffDelayMilliseconds(4, backoff, prng)),
  );
  assert.ok(delays.size > 1);
});

test('backoff is reproducible from the seed, and zero when base is zero', () => {
  const backoff = { baseMilliseconds: 50, maxMilliseconds: 2000 };
  const first = [1, 2, 3, 4, 5].map((retry) =>
    backoffDelayMilliseconds(retry, backoff, new Prng(9)),
  );
  const second = [1, 2, 3, 4, 5].map((retry) =>
    backoffDelayMilliseconds(retry, backoff, new Prng(9)),
  );
  assert.equal(first, second);
  assert.is(
    backoffDelayMilliseconds(5, { baseMilliseconds: 0, maxMilliseconds: 0 }, new Prng(1)),
    0,
  );
  assert.throws(() =>
    backoffDelayMilliseconds(1, { baseMilliseconds: 10, maxMilliseconds: 5 }, new Prng(1)),
  );
});

test.run();
