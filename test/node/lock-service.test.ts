// LockService.list: pages of at most `limit` locks with `next` naming where the next page
// starts, and none on the last page; holders show their tokens, waiters none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyCommand, type MetaCommand } from '../../src/meta/index.js';
import { LockService } from '../../src/node/lock-service.js';
import { bootstrappedStore } from '../meta/helpers.js';

test('list pages through the locks with next', async () => {
  const store = bootstrappedStore();
  let index = 1;
  const apply = (command: MetaCommand) => applyCommand(command, ++index, store);
  apply({ type: 'grantLease', ttlMilliseconds: 5000 });
  const leaseId = index;
  const service = new LockService({
    group: {
      propose: async (command) => apply(command),
      reader: () => store,
      isLeader: () => true,
    },
    leasePast: () => false,
  });
  for (const name of ['a', 'b', 'c']) {
    const granted = await service.acquire(name, {
      leaseId,
      requestId: `r-${name}`,
      mode: 'exclusive',
      semaphoreLimit: 0,
      waitMilliseconds: 0,
    });
    assert.ok(granted.granted);
  }
  const first = service.list({ prefix: '', after: '', limit: 2 });
  assert.equal(
    first.items.map((lock) => lock.name),
    ['a', 'b'],
  );
  assert.is(first.next, 'b');
  assert.ok((first.items[0]?.holders[0]?.token ?? 0) > leaseId, 'holders show their tokens');
  const last = service.list({ prefix: '', after: first.next as string, limit: 2 });
  assert.equal(
    last.items.map((lock) => lock.name),
    ['c'],
  );
  assert.is(last.next, undefined);
  const whole = service.list({ prefix: '', after: '', limit: 3 });
  assert.is(whole.items.length, 3);
  assert.is(whole.next, undefined, 'a full last page has no next');
});

test.run();
