// The locks family: exclusive, shared and semaphore locks, FIFO waiters served from the
// head only, idempotent acquires, fencing tokens (the granting revision), a lease's end
// releasing its locks, and fenced writes checked in the same entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyCommandReporting,
  decodeCommand,
  encodeCommand,
  getObject,
  listLocks,
  type LockMode,
  lockStanding,
  type MemoryMetaStore,
  type MetaCommand,
  readLease,
  readLock,
  readProgress,
} from '../../src/meta/index.js';
import { bootstrappedStore, dump, inline } from './helpers.js';

function setup() {
  const store = bootstrappedStore();
  let index = 1;
  const apply = (command: MetaCommand) => {
    index++;
    return applyCommandReporting(decodeCommand(encodeCommand(command)), index, store);
  };
  const lease = () => apply({ type: 'grantLease', ttlMilliseconds: 5000 }).revision;
  const acquire = (
    name: string,
    owner: string,
    leaseId: number,
    mode: LockMode = 'exclusive',
    limit = 0,
  ) => apply({ type: 'acquireLock', name, mode, semaphoreLimit: limit, leaseId, owner });
  const release = (name: string, owner: string) => apply({ type: 'releaseLock', name, owner });
  return { store, apply, lease, acquire, release };
}

function holders(store: MemoryMetaStore, name: string): string[] {
  return (readLock(store, name)?.holders ?? []).map((entry) => entry.owner);
}

test('exclusive: one holder, FIFO waiters, the token is the granting revision', () => {
  const { store, lease, acquire, release } = setup();
  const leaseId = lease();
  const first = acquire('deploy', 'a', leaseId);
  assert.equal(lockStanding(store, 'deploy', 'a'), { held: true, token: first.revision });
  acquire('deploy', 'b', leaseId);
  acquire('deploy', 'c', leaseId);
  assert.equal(lockStanding(store, 'deploy', 'c'), { held: false, position: 2 });
  const released = release('deploy', 'a');
  assert.equal(holders(store, 'deploy'), ['b']);
  const tokenB = (lockStanding(store, 'deploy', 'b') as { token: number }).token;
  assert.is(tokenB, released.revision);
  assert.ok(tokenB > first.revision, 'tokens increase');
  release('deploy', 'b');
  const tokenC = (lockStanding(store, 'deploy', 'c') as { token: number }).token;
  assert.ok(tokenC > tokenB);
  release('deploy', 'c');
  assert.is(readLock(store, 'deploy'), undefined);
  assert.equal(
    dump(store).filter(([key]) => key.startsWith('n/')),
    [],
  );
});

test('an acquire retried with its request id is the same entry and changes nothing', () => {
  const { store, lease, acquire } = setup();
  const leaseId = lease();
  const first = acquire('job', 'a', leaseId);
  const revision = readProgress(store).revision;
  const again = acquire('job', 'a', leaseId);
  assert.equal(again.result, { type: 'ok', version: first.revision });
  assert.equal(again.changes, []);
  assert.is(readProgress(store).revision, revision);
  assert.is(readLock(store, 'job')?.holders.length, 1);
  assert.is(acquire('job', 'a', leaseId, 'shared').result.type, 'rejected');
});

test('shared: readers together, a writer alone, a waiting writer is not overtaken', () => {
  const { store, lease, acquire, release } = setup();
  const leaseId = lease();
  acquire('table', 'r1', leaseId, 'shared');
  acquire('table', 'r2', leaseId, 'shared');
  assert.equal(holders(store, 'table'), ['r1', 'r2']);
  acquire('table', 'w', leaseId, 'exclusive');
  acquire('table', 'r3', leaseId, 'shared');
  assert.equal(holders(store, 'table'), ['r1', 'r2'], 'r3 waits behind the writer');
  release('table', 'r1');
  assert.equal(holders(store, 'table'), ['r2']);
  release('table', 'r2');
  assert.equal(holders(store, 'table'), ['w']);
  release('table', 'w');
  assert.equal(holders(store, 'table'), ['r3']);
});

test('semaphore: N holders; the limit must agree', () => {
  const { store, lease, acquire, release } = setup();
  const leaseId = lease();
  for (const owner of ['a', 'b', 'c']) acquire('pool', owner, leaseId, 'semaphore', 2);
  assert.equal(holders(store, 'pool'), ['a', 'b']);
  assert.is(acquire('pool', 'd', leaseId, 'semaphore', 3).result.type, 'rejected');
  assert.is(acquire('pool', 'e', leaseId, 'exclusive').result.type, 'rejected');
  release('pool', 'b');
  assert.equal(holders(store, 'pool'), ['a', 'c']);
});

test('a lease that ends releases its locks in the same entry and grants the next', () => {
  const { store, apply, lease, acquire } = setup();
  const one = lease();
  const two = lease();
  acquire('x', 'a', one);
  acquire('y', 'a2', one);
  acquire('x', 'b', two);
  assert.is(acquire('z', 'q', 999_999).result.type, 'notFound');
  const renewedIndex = readLease(store, one)?.renewedIndex as number;
  const expired = apply({ type: 'expireLease', id: one, renewedIndex });
  assert.is(expired.result.type, 'ok', JSON.stringify(expired.result));
  assert.equal(holders(store, 'x'), ['b']);
  assert.equal(lockStanding(store, 'x', 'b'), { held: true, token: expired.revision });
  assert.is(readLock(store, 'y'), undefined);
  apply({ type: 'revokeLease', id: two });
  assert.equal(
    dump(store).filter(([key]) => key.startsWith('n/')),
    [],
  );
});

test('a fenced write applies only while its token holds the lock; a stale one changes nothing', () => {
  const { store, apply, lease, acquire, release } = setup();
  const leaseId = lease();
  const token = acquire('counter', 'a', leaseId).revision;
  const fenced = (text: string, fenceToken: number) =>
    apply({
      type: 'batch',
      commands: [
        { type: 'checkFence', name: 'counter', token: fenceToken },
        { type: 'putObject', key: 'count', value: inline(text), requestId: '' },
      ],
    });
  assert.is(fenced('1', token).result.type, 'ok');
  acquire('counter', 'b', leaseId);
  release('counter', 'a');
  const before = dump(store);
  const stale = fenced('2', token);
  assert.is(stale.result.type, 'rejected');
  assert.match((stale.result as { message: string }).message, /fenced: token/);
  const after = dump(store).filter(([key]) => key !== 'c/progress');
  assert.equal(
    after,
    before.filter(([key]) => key !== 'c/progress'),
  );
  const info = getObject(store, 'count');
  assert.equal(
    new TextDecoder().decode((info?.body as { bytes: Uint8Array } | undefined)?.bytes),
    '1',
  );
  const tokenB = (lockStanding(store, 'counter', 'b') as { token: number }).token;
  assert.is(fenced('3', tokenB).result.type, 'ok');
});

test('a retry of a fenced write that applied gets its first answer after the lock moved', () => {
  const { store, apply, lease, acquire, release } = setup();
  const leaseId = lease();
  const token = acquire('counter', 'a', leaseId).revision;
  const fencedWrite: MetaCommand = {
    type: 'batch',
    commands: [
      { type: 'checkFence', name: 'counter', token },
      { type: 'putObject', key: 'count', value: inline('1'), requestId: 'retry-1' },
    ],
  };
  const first = apply(fencedWrite);
  assert.is(first.result.type, 'ok');
  const version = getObject(store, 'count')?.version;
  acquire('counter', 'b', leaseId);
  release('counter', 'a');
  const before = dump(store).filter(([key]) => key !== 'c/progress');
  // The client lost the first answer and retries with the same request id: it applied,
  // so the answer is the first one (not FENCED, which would say "not applied").
  const retry = apply(fencedWrite);
  assert.is(retry.result.type, 'ok', JSON.stringify(retry.result));
  assert.equal(
    dump(store).filter(([key]) => key !== 'c/progress'),
    before,
  );
  assert.is(getObject(store, 'count')?.version, version, 'applied once');
  // A different write under the stale token is still fenced.
  const other: MetaCommand = {
    type: 'batch',
    commands: [
      { type: 'checkFence', name: 'counter', token },
      { type: 'putObject', key: 'count', value: inline('2'), requestId: 'retry-2' },
    ],
  };
  assert.is(apply(other).result.type, 'rejected');
});

test('lock names and request ids are validated', () => {
  const bad: MetaCommand[] = [
    { type: 'acquireLock', name: '', mode: 'exclusive', semaphoreLimit: 0, leaseId: 1, owner: 'a' },
    {
      type: 'acquireLock',
      name: 'a b',
      mode: 'exclusive',
      semaphoreLimit: 0,
      leaseId: 1,
      owner: 'a',
    },
    {
      type: 'acquireLock',
      name: 'a',
      mode: 'exclusive',
      semaphoreLimit: 2,
      leaseId: 1,
      owner: 'a',
    },
    {
      type: 'acquireLock',
      name: 'a',
      mode: 'semaphore',
      semaphoreLimit: 0,
      leaseId: 1,
      owner: 'a',
    },
    { type: 'acquireLock', name: 'a', mode: 'exclusive', semaphoreLimit: 0, leaseId: 1, owner: '' },
    { type: 'checkFence', name: 'a', token: 0 },
  ];
  for (const command of bad)
    assert.throws(() => encodeCommand(command), undefined, JSON.stringify(command));
});

test('listLocks: locks with holders or waiters by name, from a prefix, after a name', () => {
  const { store, lease, acquire, release } = setup();
  const leaseId = lease();
  for (const name of ['deploy/b', 'deploy/a', 'build', 'deploy/c'])
    acquire(name, `o-${name}`, leaseId);
  acquire('deploy/a', 'waiter', leaseId);
  release('deploy/c', 'o-deploy/c');
  const names = (page: { name: string }[]) => page.map((lock) => lock.name);
  assert.equal(names(listLocks(store, '', '', 10)), ['build', 'deploy/a', 'deploy/b']);
  assert.equal(names(listLocks(store, 'deploy/', '', 1)), ['deploy/a']);
  assert.equal(names(listLocks(store, 'deploy/', 'deploy/a', 10)), ['deploy/b']);
  const first = listLocks(store, 'deploy/', '', 1)[0];
  assert.equal(
    first?.record.waiters.map((entry) => entry.owner),
    ['waiter'],
  );
});

test.run();
