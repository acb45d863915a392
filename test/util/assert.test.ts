import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AssertionFailure,
  assert as check,
  assertEqual,
  assertInteger,
} from '../../src/util/assert.js';
import {
  CairnError,
  InvalidArgumentError,
  LimitExceededError,
  NotFoundError,
} from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';

test('assert throws an AssertionFailure with the message', () => {
  check(true);
  const error = (() => {
    try {
      check(false, 'term never decreases');
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  assert.instance(error, AssertionFailure);
  assert.match((error as Error).message, /term never decreases/);
});

test('assertEqual and assertInteger reject wrong values', () => {
  assertEqual(3, 3, 'x');
  assert.throws(() => assertEqual(3, 4, 'index'), /index: expected 4, got 3/);
  assertInteger(5, 'n', 0, 10);
  assert.throws(() => assertInteger(11, 'n', 0, 10), /n must be an integer/);
  assert.throws(() => assertInteger(Number.NaN, 'n'), /n must be an integer/);
});

test('errors carry stable codes and exit codes', () => {
  const notFound = new NotFoundError('object "a"');
  assert.is(notFound.code, 'CAIRN_ERR_NOT_FOUND');
  assert.is(notFound.exitCode, 1);
  assert.instance(notFound, CairnError);
  const usage = new InvalidArgumentError('bad key');
  assert.is(usage.exitCode, 2);
  const limit = new LimitExceededError('keyLengthBytesMax', 1024, 2000, 'bytes');
  assert.is(limit.code, 'CAIRN_ERR_LIMIT_EXCEEDED');
  assert.match(limit.message, /keyLengthBytesMax is 1024 bytes, got 2000 bytes/);
  assert.equal(limit.toJSON().details, {
    limit: 'keyLengthBytesMax',
    limitValue: 1024,
    actualValue: 2000,
  });
});

test('limits hold the design figures', () => {
  assert.is(limits.keyLengthBytesMax, 1024);
  assert.is(limits.objectInlineBytesMax, 64 * 1024);
  assert.is(limits.chunkSizeBytes, 4 * 1024 * 1024);
  assert.is(limits.raftEntryBytesMax, 1024 * 1024);
  assert.is(limits.raftMessageBatchBytesMax, 4 * 1024 * 1024);
  assert.is(limits.raftInflightAppendsPerFollowerMax, 256);
  assert.is(limits.listPageKeysMax, 1000);
  for (const [name, value] of Object.entries(limits))
    assert.ok(Number.isSafeInteger(value) && value > 0, name);
});

test.run();
