import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Semaphore } from '../../src/util/semaphore.js';

test('permits are handed out up to the maximum, then to waiters in arrival order', async () => {
  const semaphore = new Semaphore(2);
  await semaphore.acquire();
  await semaphore.acquire();
  assert.is(semaphore.held(), 2);
  const order: string[] = [];
  const first = semaphore.acquire().then(() => order.push('first'));
  const second = semaphore.acquire().then(() => order.push('second'));
  assert.is(semaphore.waiting(), 2);
  semaphore.release();
  await first;
  assert.equal(order, ['first'], 'one release serves one waiter');
  semaphore.release();
  await second;
  assert.equal(order, ['first', 'second']);
  semaphore.release();
  semaphore.release();
  assert.is(semaphore.held(), 0);
});

test('a release without an acquire is an assertion failure; a zero-permit semaphore is refused', () => {
  const semaphore = new Semaphore(1);
  assert.throws(() => semaphore.release(), /released twice/);
  assert.throws(() => new Semaphore(0), /permitsMax/);
});

test.run();
