// A reconcile pass that left copies undone comes back by itself, sooner than the
// 10-minute background repair, with a bounded backoff; a complete pass ends the retries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassRetry } from '../../src/node/pass-retry.js';
import { limits } from '../../src/util/limits.js';

test('an incomplete pass is retried after the first delay, then with a doubling backoff', () => {
  const retry = new PassRetry();
  assert.not.ok(retry.due(0), 'nothing is due before any pass');
  retry.record(false, 0);
  const first = limits.maintenanceRetryMillisecondsMin;
  assert.not.ok(retry.due(first - 1));
  assert.ok(retry.due(first));
  assert.not.ok(retry.due(first + 1), 'due once');
  retry.record(false, first);
  assert.is(retry.delay, 2 * first);
  for (let pass = 0; pass < 20; pass++) retry.record(false, 0);
  assert.is(retry.delay, limits.maintenanceRetryMillisecondsMax, 'the backoff is bounded');
  assert.ok(limits.maintenanceRetryMillisecondsMax < limits.maintenanceRepairIntervalMilliseconds);
});

test('a complete pass clears the retry and its backoff', () => {
  const retry = new PassRetry();
  retry.record(false, 0);
  retry.record(true, 10);
  assert.not.ok(retry.due(10 * limits.maintenanceRetryMillisecondsMax));
  retry.record(false, 0);
  assert.is(retry.delay, limits.maintenanceRetryMillisecondsMin, 'the backoff starts over');
});

test.run();
