// The leases family (grant, keepalive, revoke, expire, checkpoint) and the pure lease
// clock (LeaseDeadlines) with time injected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyCommandReporting,
  decodeCommand,
  encodeCommand,
  getObject,
  LeaseDeadlines,
  listObjects,
  listLeases,
  type MemoryMetaStore,
  type MetaCommand,
  readLease,
  readProgress,
} from '../../src/meta/index.js';
import { limits } from '../../src/util/limits.js';
import { bootstrappedStore, dump, inline } from './helpers.js';

function applier(store: MemoryMetaStore) {
  let index = 1;
  return (command: MetaCommand) => {
    index++;
    // Through the wire form, as a committed entry is.
    return { index, ...applyCommandReporting(decodeCommand(encodeCommand(command)), index, store) };
  };
}

test('a grant names the lease by its revision; keepalive renews; revoke ends it', () => {
  const store = bootstrappedStore();
  const apply = applier(store);
  const granted = apply({ type: 'grantLease', ttlMilliseconds: 5000 });
  assert.is(granted.result.type, 'ok');
  const id = granted.revision;
  assert.equal(
    granted.changes.map((change) => change.key),
    [`l/${id.toString(16).padStart(16, '0')}`],
  );
  const record = readLease(store, id);
  assert.equal(record, {
    ttlMilliseconds: 5000,
    grantedRevision: id,
    renewedIndex: granted.index,
    remainingMilliseconds: 5000,
    remainingIndex: granted.index,
  });
  const renewed = apply({ type: 'keepaliveLease', id });
  assert.is(readLease(store, id)?.renewedIndex, renewed.index);
  assert.is(renewed.revision, id + 1);
  assert.equal(apply({ type: 'revokeLease', id }).result.type, 'ok');
  assert.is(readLease(store, id), undefined);
  assert.equal(listLeases(store), []);
  assert.equal(apply({ type: 'keepaliveLease', id }).result, { type: 'notFound' });
  assert.equal(apply({ type: 'revokeLease', id }).result, { type: 'notFound' });
});

test('lease ids continue above a raised revision base', () => {
  const store = bootstrappedStore();
  const apply = applier(store);
  apply({ type: 'raiseRevisionBase', revision: 1000 });
  const granted = apply({ type: 'grantLease', ttlMilliseconds: 3000 });
  assert.equal(granted.result, { type: 'ok', version: 1001 });
  assert.ok(readLease(store, 1001) !== undefined);
});

test('an expiry decided before a keepalive committed does not apply', () => {
  const store = bootstrappedStore();
  const apply = applier(store);
  const granted = apply({ type: 'grantLease', ttlMilliseconds: 3000 });
  const id = granted.revision;
  apply({ type: 'keepaliveLease', id });
  const stale = apply({ type: 'expireLease', id, renewedIndex: granted.index });
  assert.is(stale.result.type, 'conflict');
  assert.equal(stale.changes, []);
  assert.ok(readLease(store, id) !== undefined);
  const renewedIndex = readLease(store, id)?.renewedIndex as number;
  const expired = apply({ type: 'expireLease', id, renewedIndex });
  assert.is(expired.result.type, 'ok');
  assert.is(readLease(store, id), undefined);
});

test('a checkpoint lowers the time left of the renewal it measured, never raises it', () => {
  const store = bootstrappedStore();
  const apply = applier(store);
  const granted = apply({ type: 'grantLease', ttlMilliseconds: 3000 });
  const id = granted.revision;
  const renewedIndex = granted.index;
  const lowered = apply({
    type: 'checkpointLeases',
    checkpoints: [{ id, renewedIndex, remainingMilliseconds: 1200 }],
  });
  assert.is(readLease(store, id)?.remainingMilliseconds, 1200);
  assert.is(readLease(store, id)?.remainingIndex, lowered.index);
  apply({
    type: 'checkpointLeases',
    checkpoints: [{ id, renewedIndex, remainingMilliseconds: 2500 }],
  });
  assert.is(readLease(store, id)?.remainingMilliseconds, 1200);
  const renewed = apply({ type: 'keepaliveLease', id });
  // Measured before the keepalive: skipped, the renewal's full TTL stands.
  const late = apply({
    type: 'checkpointLeases',
    checkpoints: [{ id, renewedIndex, remainingMilliseconds: 100 }],
  });
  assert.equal(late.changes, []);
  assert.is(readLease(store, id)?.remainingMilliseconds, 3000);
  assert.is(readLease(store, id)?.renewedIndex, renewed.index);
});

test('TTLs below the floor or above the ceiling are refused; leasesMax is enforced', () => {
  assert.throws(
    () =>
      encodeCommand({ type: 'grantLease', ttlMilliseconds: limits.leaseTtlMillisecondsMin - 1 }),
    /leaseTtlMillisecondsMin/,
  );
  assert.throws(
    () =>
      encodeCommand({ type: 'grantLease', ttlMilliseconds: limits.leaseTtlMillisecondsMax + 1 }),
    /ttlMilliseconds/,
  );
  assert.throws(() => encodeCommand({ type: 'keepaliveLease', id: 0 }), /lease id/);
  const store = bootstrappedStore();
  const apply = applier(store);
  const before = readProgress(store).revision;
  for (let count = 0; count < limits.leasesMax; count++)
    apply({ type: 'grantLease', ttlMilliseconds: 2000 });
  const refused = apply({ type: 'grantLease', ttlMilliseconds: 2000 });
  assert.is(refused.result.type, 'rejected');
  assert.is(readProgress(store).revision, before + limits.leasesMax);
});

// ------------------------------------------------------------------ the lease clock

const renewal = (index: number, remaining: number, remainingIndex = index) => ({
  renewedIndex: index,
  remainingMilliseconds: remaining,
  remainingIndex,
});

test('deadlines: measured from the local apply, never before it', () => {
  const cases: {
    name: string;
    steps: [number, ReturnType<typeof renewal>][];
    at: number;
    remaining: number;
  }[] = [
    { name: 'grant', steps: [[100, renewal(5, 3000)]], at: 100, remaining: 3000 },
    { name: 'later', steps: [[100, renewal(5, 3000)]], at: 2600, remaining: 500 },
    { name: 'past', steps: [[100, renewal(5, 3000)]], at: 9000, remaining: 0 },
    {
      name: 'keepalive renews fully',
      steps: [
        [100, renewal(5, 3000)],
        [2000, renewal(9, 3000)],
      ],
      at: 2000,
      remaining: 3000,
    },
    {
      name: 'a checkpoint of the same renewal applied late never extends',
      steps: [
        [100, renewal(5, 3000)],
        [2500, renewal(5, 2000, 7)],
      ],
      at: 2500,
      remaining: 600,
    },
    {
      name: 'a checkpoint first seen after a restart counts from now',
      steps: [[50_000, renewal(5, 700, 7)]],
      at: 50_000,
      remaining: 700,
    },
    {
      name: 'an older record is ignored',
      steps: [
        [100, renewal(9, 3000)],
        [200, renewal(5, 3000)],
      ],
      at: 100,
      remaining: 3000,
    },
  ];
  for (const entry of cases) {
    const deadlines = new LeaseDeadlines();
    for (const [now, record] of entry.steps) deadlines.observe(42, record, now);
    assert.is(deadlines.remaining(42, entry.at), entry.remaining, entry.name);
  }
});

test('due lists past leases earliest first; checkpoints list the live ones', () => {
  const deadlines = new LeaseDeadlines();
  deadlines.observe(1, renewal(3, 3000), 0);
  deadlines.observe(2, renewal(4, 2000), 0);
  deadlines.observe(3, renewal(5, 9000), 0);
  assert.equal(deadlines.due(1999, 10), []);
  assert.equal(
    deadlines.due(3000, 10).map((lease) => lease.id),
    [2, 1],
  );
  assert.equal(
    deadlines.due(3000, 1).map((lease) => lease.id),
    [2],
  );
  assert.equal(deadlines.checkpoints(2500, 10), [
    { id: 1, renewedIndex: 3, remainingMilliseconds: 500 },
    { id: 3, renewedIndex: 5, remainingMilliseconds: 6500 },
  ]);
  assert.ok(deadlines.isPast(2, 2000));
  assert.not.ok(deadlines.isPast(99, 2000));
  deadlines.retainOnly(new Set([3]));
  assert.is(deadlines.size, 1);
  assert.is(deadlines.remaining(1, 0), undefined);
});

test('objects put with a lease go when it ends, in as many entries as they need', () => {
  const store = bootstrappedStore();
  const apply = applier(store);
  const id = apply({ type: 'grantLease', ttlMilliseconds: 3000 }).revision;
  const count = limits.leaseObjectDeletionsPerEntryMax + 3;
  for (let index = 0; index < count; index++) {
    const key = `leased/${index}`;
    const put = apply({
      type: 'batch',
      commands: [
        { type: 'putObject', key, value: inline('x'), requestId: '' },
        { type: 'attachObject', leaseId: id, key },
      ],
    });
    assert.is(put.result.type, 'ok');
  }
  // Overwritten without the lease: it stays.
  apply({ type: 'putObject', key: 'leased/0', value: inline('kept'), requestId: '' });
  const missing = apply({
    type: 'batch',
    commands: [
      { type: 'putObject', key: 'other', value: inline('x'), requestId: '' },
      { type: 'attachObject', leaseId: 999_999, key: 'other' },
    ],
  });
  assert.is(missing.result.type, 'rejected');
  assert.is(getObject(store, 'other'), undefined, 'a put with an unknown lease changes nothing');
  assert.is(apply({ type: 'deleteLeaseObjects', id }).result.type, 'rejected', 'alive');
  apply({ type: 'revokeLease', id });
  const left = () => listObjects(store, { prefix: 'leased/', limit: 1000 }).items.length;
  // The first entry looks at 64 attachments, leased/0 (kept) among them.
  assert.is(left(), count - limits.leaseObjectDeletionsPerEntryMax + 1);
  apply({ type: 'deleteLeaseObjects', id });
  assert.is(left(), 1);
  assert.ok(getObject(store, 'leased/0') !== undefined);
  assert.equal(
    dump(store).filter(([key]) => key.startsWith('l/')),
    [],
  );
});

test.run();
