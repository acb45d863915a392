// Transactions in the meta state machine: every compare target and operator (absent
// keys included), every operation, limits, duplicate keys, exactly-once replay, the
// outcome window and EXPIRED, staged uploads and their chunk references.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCommand } from '../../src/meta/commands.js';
import type {
  MetaCommand,
  MetaResult,
  TxnCompare,
  TxnOperation,
  TxnOutcome,
} from '../../src/meta/index.js';
import {
  applyEntryDataReporting,
  chunkReferenceCount,
  getObject,
  lookUpTxnOutcome,
  readLock,
  readProgress,
  readStagedUpload,
  transactionProblem,
  txnRetention,
} from '../../src/meta/index.js';
import type { MemoryMetaStore } from '../../src/meta/store.js';
import { limits } from '../../src/util/limits.js';
import { bootstrappedStore, manifest, sha256Of } from './helpers.js';

const text = (value: string) => new TextEncoder().encode(value);

interface TxnBody {
  compare?: TxnCompare[];
  success?: TxnOperation[];
  failure?: TxnOperation[];
  fence?: { name: string; token: number };
}

class Harness {
  readonly store: MemoryMetaStore = bootstrappedStore();
  private index = 1;
  clock = 1_000;

  /** Applies through the wire form, as a replica does. */
  apply(command: MetaCommand): MetaResult {
    this.index++;
    return applyEntryDataReporting(encodeCommand(command), this.index, this.store).result;
  }

  txn(body: TxnBody, requestId = ''): TxnOutcome {
    const result = this.txnResult(body, requestId);
    if (result.type !== 'transaction')
      throw new Error(`not a txn result: ${JSON.stringify(result)}`);
    return result.outcome;
  }

  txnResult(body: TxnBody, requestId = ''): MetaResult {
    return this.apply({
      type: 'transaction',
      requestId,
      proposedAtMilliseconds: this.clock,
      compare: body.compare ?? [],
      success: body.success ?? [],
      failure: body.failure ?? [],
      ...(body.fence === undefined ? {} : { fence: body.fence }),
    });
  }

  /** A lease and an exclusive lock on it for `owner`: the lock's token. */
  lock(name: string, owner: string): { token: number; leaseId: number } {
    const granted = this.apply({ type: 'grantLease', ttlMilliseconds: 5000 });
    assert.is(granted.type, 'ok');
    const leaseId = this.revision();
    const acquired = this.apply({
      type: 'acquireLock',
      name,
      owner,
      leaseId,
      mode: 'exclusive',
      semaphoreLimit: 0,
    });
    assert.is(acquired.type, 'ok');
    const token = readLock(this.store, name)?.holders.find((e) => e.owner === owner)?.token;
    assert.ok(token !== undefined, `${owner} holds ${name}`);
    return { token, leaseId };
  }

  put(key: string, value = 'v'): number {
    const outcome = this.txn({ success: [{ type: 'put', key, value: text(value) }] });
    const first = outcome.results[0];
    if (first?.type !== 'put') throw new Error('put result');
    return first.version;
  }

  revision(): number {
    return readProgress(this.store).revision;
  }
}

const compare = (
  key: string,
  target: TxnCompare['target'],
  operator: TxnCompare['operator'],
  value: TxnCompare['value'],
): TxnCompare => ({ key, target, operator, value });

test('every compare target and operator on a present and an absent key', () => {
  const harness = new Harness();
  const version = harness.put('a', 'hello');
  const object = getObject(harness.store, 'a');
  assert.ok(object);
  const cases: [TxnCompare, boolean][] = [
    [compare('a', 'exists', '=', true), true],
    [compare('a', 'exists', '!=', true), false],
    [compare('absent', 'exists', '=', false), true],
    [compare('absent', 'exists', '=', true), false],
    [compare('a', 'version', '=', version), true],
    [compare('a', 'version', '!=', version), false],
    [compare('a', 'version', '<', version + 1), true],
    [compare('a', 'version', '<', version), false],
    [compare('a', 'version', '>', version - 1), true],
    [compare('a', 'version', '>', version), false],
    [compare('a', 'version', '>', null), true],
    [compare('a', 'version', '=', null), false],
    [compare('absent', 'version', '=', 0), true],
    [compare('absent', 'version', '=', null), true],
    [compare('absent', 'version', '<', 1), true],
    [compare('absent', 'version', '>', 0), false],
    [compare('absent', 'version', '<', null), false],
    [compare('a', 'createdRevision', '=', object.createdRevision), true],
    [compare('absent', 'createdRevision', '=', 0), true],
    [compare('a', 'size', '=', 5), true],
    [compare('a', 'size', '<', 5), false],
    [compare('a', 'size', '>', 4), true],
    [compare('absent', 'size', '<', 0), true], // absent sorts below an empty object
    [compare('absent', 'size', '=', 0), false],
    [compare('absent', 'size', '=', null), true],
    [compare('a', 'sha256', '=', sha256Of('hello')), true],
    [compare('a', 'sha256', '!=', sha256Of('hello')), false],
    [compare('absent', 'sha256', '=', null), true],
    [compare('absent', 'sha256', '<', sha256Of('x')), true],
    [compare('a', 'lease', '=', null), true], // no lease attached
    [compare('a', 'lease', '>', 0), false],
  ];
  for (const [each, holds] of cases) {
    const outcome = harness.txn({ compare: [each] });
    assert.is(outcome.succeeded, holds, JSON.stringify(each));
    assert.is(outcome.failedCompares.length, holds ? 0 : 1, JSON.stringify(each));
  }
});

test('a failed txn names every failed compare with the current state and runs failure', () => {
  const harness = new Harness();
  const version = harness.put('a');
  const outcome = harness.txn({
    compare: [
      compare('a', 'version', '=', version + 5),
      compare('a', 'exists', '=', true),
      compare('b', 'exists', '=', true),
    ],
    success: [{ type: 'put', key: 'won', value: text('1') }],
    failure: [
      { type: 'put', key: 'lost', value: text('1') },
      { type: 'get', key: 'a' },
    ],
  });
  assert.is(outcome.succeeded, false);
  assert.equal(
    outcome.failedCompares.map((failed) => [
      failed.index,
      failed.current.exists,
      failed.current.version,
    ]),
    [
      [0, true, version],
      [2, false, null],
    ],
  );
  assert.ok(getObject(harness.store, 'lost'));
  assert.not.ok(getObject(harness.store, 'won'));
  const read = outcome.results[1];
  assert.ok(read?.type === 'get' && read.found === true && read.object?.version === version);
});

test('operations: put, delete, deletePrefix, get, list apply in order at one revision', () => {
  const harness = new Harness();
  for (const key of ['p/1', 'p/2', 'p/3', 'q']) harness.put(key);
  const before = harness.revision();
  const outcome = harness.txn({
    success: [
      { type: 'put', key: 'new', value: text('n') },
      { type: 'delete', key: 'q' },
      { type: 'delete', key: 'never' },
      { type: 'deletePrefix', prefix: 'p/' },
      { type: 'get', key: 'new' },
      { type: 'list', prefix: '', after: '', limit: 10 },
    ],
  });
  assert.is(outcome.revision, before + 1, 'one entry, one revision');
  assert.is(harness.revision(), before + 1);
  assert.equal(outcome.results.slice(0, 4), [
    { type: 'put', key: 'new', version: before + 1 },
    { type: 'delete', key: 'q', deleted: true },
    { type: 'delete', key: 'never', deleted: false },
    { type: 'deletePrefix', prefix: 'p/', deleted: 3 },
  ]);
  const read = outcome.results[4];
  assert.ok(read?.type === 'get' && read.object?.value !== undefined);
  assert.is(new TextDecoder().decode(read.object.value), 'n', 'a read sees the writes before it');
  const listed = outcome.results[5];
  assert.ok(listed?.type === 'list');
  assert.equal(
    listed.items?.map((item) => item.key),
    ['new'],
  );
});

test('a txn that writes nothing does not advance the revision', () => {
  const harness = new Harness();
  harness.put('a');
  const before = harness.revision();
  const outcome = harness.txn({ success: [{ type: 'get', key: 'a' }] }, 'read-only');
  assert.is(outcome.revision, before);
  assert.is(harness.revision(), before);
});

test('deletePrefix beyond txnDeletePrefixKeysMax rejects the whole txn, deleting nothing', () => {
  const harness = new Harness();
  const keys = limits.txnDeletePrefixKeysMax + 1;
  for (let start = 0; start < keys; start += 500) {
    const success: TxnOperation[] = [];
    for (let index = start; index < Math.min(keys, start + 500); index++)
      success.push({ type: 'put', key: `big/${index}`, value: text('x') });
    harness.txn({ success });
  }
  const result = harness.apply({
    type: 'transaction',
    requestId: 'too-many',
    proposedAtMilliseconds: 1,
    compare: [],
    success: [
      { type: 'put', key: 'other', value: text('x') },
      { type: 'deletePrefix', prefix: 'big/' },
    ],
    failure: [],
  });
  assert.is(result.type, 'rejected');
  assert.match(
    result.type === 'rejected' ? result.message : '',
    /success\[1\]: txnDeletePrefixKeysMax/,
  );
  assert.ok(getObject(harness.store, 'big/0'));
  assert.not.ok(getObject(harness.store, 'other'));
});

test('problems name the path of the bad field: duplicates, limits, bad compares', () => {
  const base = {
    type: 'transaction' as const,
    requestId: 'r',
    proposedAtMilliseconds: 0,
    compare: [] as TxnCompare[],
    success: [] as TxnOperation[],
    failure: [] as TxnOperation[],
  };
  const put = (key: string): TxnOperation => ({ type: 'put', key, value: text('') });
  assert.match(
    transactionProblem({ ...base, success: [put('a'), put('b'), put('a')] }) ?? '',
    /^success\[2\]\.key: the key "a" is written twice in one txn \(also success\[0\]\)/,
  );
  assert.match(
    transactionProblem({
      ...base,
      success: [put('p/a'), { type: 'deletePrefix', prefix: 'p/' }],
    }) ?? '',
    /^success\[0\]\.key: .*deleted by the prefix of success\[1\]/,
  );
  assert.is(transactionProblem({ ...base, success: [put('a')], failure: [put('a')] }), undefined);
  assert.match(transactionProblem({ ...base, failure: [put('')] }) ?? '', /^failure\[0\]\.key:/);
  assert.match(
    transactionProblem({ ...base, compare: [compare('a', 'exists', '<', true)] }) ?? '',
    /^compare\[0\]\.operator/,
  );
  assert.match(
    transactionProblem({ ...base, compare: [compare('a', 'sha256', '=', 'xyz')] }) ?? '',
    /^compare\[0\]\.value/,
  );
  assert.is(
    transactionProblem({ ...base, compare: [compare('a/b', 'lockToken', '=', 1)] }),
    undefined,
  );
  assert.match(
    transactionProblem({ ...base, compare: [compare('a', 'lockToken', '<', 1)] }) ?? '',
    /^compare\[0\]\.operator: a lockToken compare takes = or !=/,
  );
  assert.match(
    transactionProblem({ ...base, compare: [compare('a', 'lockToken', '=', 0)] }) ?? '',
    /^compare\[0\]\.value/,
  );
  assert.match(
    transactionProblem({ ...base, compare: [compare('a b', 'lockToken', '=', 1)] }) ?? '',
    /^compare\[0\]\.key: a lock name/,
  );
  assert.match(transactionProblem({ ...base, fence: { name: 'x', token: 0 } }) ?? '', /^fence: /);
  assert.match(
    transactionProblem({ ...base, fence: { name: '', token: 3 } }) ?? '',
    /^fence: a lock name/,
  );
  const many = Array.from({ length: limits.txnOperationsMax + 1 }, (_, index) => put(`k${index}`));
  assert.match(transactionProblem({ ...base, success: many }) ?? '', /txnOperationsMax/);
  assert.ok(limits.txnOperationsMax >= 1024);
  const lists = Array.from(
    { length: 11 },
    (): TxnOperation => ({ type: 'list', prefix: '', after: '', limit: 1000 }),
  );
  assert.match(transactionProblem({ ...base, success: lists }) ?? '', /txnReadKeysMax/);
});

test('a txn of txnOperationsMax small puts fits one entry under txnBytesMax', () => {
  const success = Array.from(
    { length: limits.txnOperationsMax },
    (_, index): TxnOperation => ({
      type: 'put',
      key: `account/${index}`,
      value: text('100'),
    }),
  );
  const bytes = encodeCommand({
    type: 'transaction',
    requestId: 'r',
    proposedAtMilliseconds: Date.now(),
    compare: [],
    success,
    failure: [],
  });
  assert.ok(bytes.length < limits.txnBytesMax && limits.txnBytesMax < limits.raftEntryBytesMax);
});

test('exactly once: a retry returns the first outcome and applies nothing', () => {
  const harness = new Harness();
  harness.put('a', '1');
  const body = {
    compare: [compare('a', 'exists', '=', true)],
    success: [
      { type: 'put' as const, key: 'a', value: text('2') },
      { type: 'get' as const, key: 'a' },
    ],
  };
  const first = harness.txn(body, 'req-1');
  const revision = harness.revision();
  harness.put('a', '3'); // the compare would still hold, the put would apply again
  const retry = harness.txn(body, 'req-1');
  assert.is(retry.replayed, true);
  assert.is(retry.revision, first.revision);
  assert.equal(retry.results[0], first.results[0]);
  assert.equal(retry.results[1], { type: 'get', key: 'a', replayed: true });
  assert.is(harness.revision(), revision + 1, 'only the plain put advanced the revision');
  const stored = getObject(harness.store, 'a');
  assert.ok(stored?.body.kind === 'inline');
  assert.is(new TextDecoder().decode(stored.body.bytes), '3', 'the retry wrote nothing');
  const reused = harness.apply({
    type: 'transaction',
    requestId: 'req-1',
    proposedAtMilliseconds: 1,
    compare: [],
    success: [{ type: 'delete', key: 'a' }],
    failure: [],
  });
  assert.is(reused.type, 'rejected', 'a request id reused for another body is refused');
  const failedFirst = harness.txn({ compare: [compare('zz', 'exists', '=', true)] }, 'req-2');
  harness.put('zz');
  const failedRetry = harness.txn({ compare: [compare('zz', 'exists', '=', true)] }, 'req-2');
  assert.is(failedRetry.succeeded, false, 'a failed outcome is kept too');
  assert.equal(failedRetry.failedCompares, failedFirst.failedCompares);
});

test('look-up by request id: found, not applied, expired past the window', () => {
  const harness = new Harness();
  const outcome = harness.txn({ success: [{ type: 'put', key: 'a', value: text('1') }] }, 'old');
  assert.is(lookUpTxnOutcome(harness.store, 'old', 0).state, 'found');
  assert.is(lookUpTxnOutcome(harness.store, 'never', 0).state, 'notApplied');
  // Within the time window, many revisions later: still kept (either window keeps it).
  harness.clock += limits.txnOutcomesRetainedMilliseconds - 1000;
  harness.txn({ success: [{ type: 'put', key: 'b', value: text('1') }] }, 'next');
  assert.is(lookUpTxnOutcome(harness.store, 'old', 0).state, 'found');
  // Past the time window but within the revision window: kept.
  harness.clock += 2000;
  harness.txn({ success: [{ type: 'put', key: 'c', value: text('1') }] });
  assert.is(
    lookUpTxnOutcome(harness.store, 'old', 0).state,
    'found',
    'the revision window holds it',
  );
  assert.is(txnRetention(harness.store).outcomeCount, 2);
  assert.ok(outcome.revision < harness.revision());
});

test('outcomes past both windows expire; a look-up then answers expired, not notApplied', () => {
  const harness = new Harness();
  const original = limits.txnOutcomesRetainedRevisions;
  (limits as { txnOutcomesRetainedRevisions: number }).txnOutcomesRetainedRevisions = 2;
  try {
    const sentAfter = harness.revision();
    harness.txn({ success: [{ type: 'put', key: 'a', value: text('1') }] }, 'gone');
    harness.clock += limits.txnOutcomesRetainedMilliseconds + 1;
    for (let index = 0; index < 3; index++) harness.put(`filler${index}`);
    const lookup = lookUpTxnOutcome(harness.store, 'gone', sentAfter);
    assert.is(lookup.state, 'expired');
    assert.is(lookUpTxnOutcome(harness.store, 'other', sentAfter).state, 'expired');
    assert.is(lookUpTxnOutcome(harness.store, 'other', harness.revision()).state, 'notApplied');
    const retry = harness.txn({ success: [{ type: 'put', key: 'a', value: text('1') }] }, 'gone');
    assert.not.ok(retry.replayed, 'past the window a retry is a new txn (documented)');
  } finally {
    (limits as { txnOutcomesRetainedRevisions: number }).txnOutcomesRetainedRevisions = original;
  }
});

test('staged uploads hold their chunks until committed or expired; a txn commits two at once', () => {
  const harness = new Harness();
  const value = (names: string[]) =>
    manifest(names) as Extract<ReturnType<typeof manifest>, { kind: 'manifest' }>;
  const stage = (handle: string, names: string[], lifetime = 60_000) =>
    harness.apply({
      type: 'stageObject',
      handle,
      proposedAtMilliseconds: harness.clock,
      lifetimeMilliseconds: lifetime,
      value: value(names),
      writeStartIndex: 1,
    });
  const h1 = 'a'.repeat(32);
  const h2 = 'b'.repeat(32);
  const h3 = 'c'.repeat(32);
  assert.is(stage(h1, ['c1', 'c2']).type, 'ok');
  assert.is(stage(h2, ['c3']).type, 'ok');
  assert.is(stage(h3, ['c4'], 1000).type, 'ok');
  assert.is(stage(h1, ['c9']).type, 'rejected', 'a handle in use');
  assert.is(chunkReferenceCount(harness.store, sha256Of('c1')), 1, 'staged chunks are referenced');
  const outcome = harness.txn({
    success: [
      { type: 'putStaged', key: 'big/1', handle: h1 },
      { type: 'putStaged', key: 'big/2', handle: h2 },
    ],
  });
  assert.is(outcome.succeeded, true);
  assert.is(getObject(harness.store, 'big/1')?.version, getObject(harness.store, 'big/2')?.version);
  assert.is(chunkReferenceCount(harness.store, sha256Of('c1')), 1, 'now the object references it');
  assert.is(readStagedUpload(harness.store, h1), undefined, 'a committed handle is gone');
  const again = harness.apply({
    type: 'transaction',
    requestId: '',
    proposedAtMilliseconds: harness.clock,
    compare: [],
    success: [{ type: 'putStaged', key: 'big/3', handle: h1 }],
    failure: [],
  });
  assert.is(again.type, 'rejected', 'a handle commits once');
  assert.is(chunkReferenceCount(harness.store, sha256Of('c4')), 1);
  harness.clock += 1001;
  assert.is(harness.apply({ type: 'expireStaging', nowMilliseconds: harness.clock }).type, 'ok');
  assert.is(readStagedUpload(harness.store, h3), undefined, 'expired');
  assert.is(chunkReferenceCount(harness.store, sha256Of('c4')), 0, 'its chunks are garbage now');
});

test('lockToken compares: = a holder token, = null when not held; a lock and an object apart', () => {
  const harness = new Harness();
  harness.put('deploy', 'an object of the same name');
  const { token } = harness.lock('deploy', 'a');
  const cases: [TxnCompare, boolean][] = [
    [compare('deploy', 'lockToken', '=', token), true],
    [compare('deploy', 'lockToken', '!=', token), false],
    [compare('deploy', 'lockToken', '=', token + 1), false],
    [compare('deploy', 'lockToken', '=', null), false],
    [compare('free', 'lockToken', '=', null), true],
    [compare('free', 'lockToken', '=', token), false],
    [compare('free', 'lockToken', '!=', token), true],
  ];
  for (const [each, holds] of cases) {
    // The object compare of the same name first: each is read from its own family.
    const outcome = harness.txn({ compare: [compare('deploy', 'exists', '=', true), each] });
    assert.is(outcome.succeeded, holds, JSON.stringify(each));
  }
  const failed = harness.txn({ compare: [compare('deploy', 'lockToken', '=', token + 1)] });
  assert.equal(failed.failedCompares[0]?.current.lockTokens, [token]);
  assert.is(failed.failedCompares[0]?.current.exists, true, 'exists: somebody holds it');
});

test('a fenced txn applies only while its token holds, in the same entry; a retry replays', () => {
  const harness = new Harness();
  const first = harness.lock('jobs', 'a');
  const fence = { name: 'jobs', token: first.token };
  const put = (key: string): TxnOperation => ({ type: 'put', key, value: text('1') });
  const held = harness.txn({ success: [put('step/1')], fence }, 'fenced-1');
  assert.ok(held.succeeded);
  assert.ok(getObject(harness.store, 'step/1'));
  // The lock moves on: a's lease ends, b is granted with a newer token.
  assert.is(harness.apply({ type: 'revokeLease', id: first.leaseId }).type, 'ok');
  const second = harness.lock('jobs', 'b');
  assert.ok(second.token > first.token);
  const before = harness.revision();
  const fenced = harness.txnResult({ success: [put('step/2')], fence }, 'fenced-2');
  assert.is(fenced.type, 'rejected');
  assert.match(
    (fenced as { message: string }).message,
    /^fenced: token \d+ no longer holds lock jobs; it is held with token/,
  );
  assert.not.ok(getObject(harness.store, 'step/2'), 'nothing of a fenced txn applies');
  assert.is(harness.revision(), before, 'a fenced txn changes nothing');
  assert.is(lookUpTxnOutcome(harness.store, 'fenced-2', before).state, 'notApplied');
  // The failure branch does not run either: the fence is not a compare.
  const withFailure = harness.txnResult({ failure: [put('step/3')], fence }, 'fenced-3');
  assert.is(withFailure.type, 'rejected');
  assert.not.ok(getObject(harness.store, 'step/3'));
  // A retry of the txn that applied while its token held answers its first outcome.
  const retry = harness.txn({ success: [put('step/1')], fence }, 'fenced-1');
  assert.ok(retry.replayed);
  assert.is(retry.revision, held.revision);
  // The same body under another fence is another body.
  const other = harness.txnResult(
    { success: [put('step/1')], fence: { name: 'jobs', token: second.token } },
    'fenced-1',
  );
  assert.is(other.type, 'rejected');
  assert.ok(
    harness.txn({ success: [put('step/4')], fence: { name: 'jobs', token: second.token } })
      .succeeded,
  );
});

test('past txnOutcomesBytesMax the oldest outcomes go first, inside both windows: EXPIRED', () => {
  const harness = new Harness();
  const put = (key: string): TxnOperation => ({ type: 'put', key, value: text('1') });
  const id = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  const sentAfter = harness.revision();
  harness.txn({ success: [put('a0'), put('b0')] }, id(0));
  const perOutcome = txnRetention(harness.store).outcomeBytesTotal;
  assert.ok(perOutcome > 100 && perOutcome < 1000, `${perOutcome} bytes per 2-put outcome`);
  const original = limits.txnOutcomesBytesMax;
  (limits as { txnOutcomesBytesMax: number }).txnOutcomesBytesMax = perOutcome * 3;
  try {
    for (let index = 1; index <= 8; index++)
      harness.txn({ success: [put(`a${index}`), put(`b${index}`)] }, id(index));
    const retention = txnRetention(harness.store);
    // Checked before each new outcome is kept: at most one record over the cap.
    assert.ok(retention.outcomeBytesTotal <= perOutcome * 4.5, JSON.stringify(retention));
    assert.ok(retention.outcomeCount >= 3 && retention.outcomeCount <= 4);
    const oldest = lookUpTxnOutcome(harness.store, id(0), sentAfter);
    assert.is(oldest.state, 'expired', 'dropped by bytes although both windows still hold it');
    assert.ok(
      oldest.state === 'expired' && oldest.droppedThroughRevision >= sentAfter,
      'it names how far outcomes were dropped',
    );
    assert.is(lookUpTxnOutcome(harness.store, id(8), sentAfter).state, 'found');
    // Past the window a retry is a new txn: it applies again (documented in API.md).
    const retry = harness.txn({ success: [put('a0'), put('b0')] }, id(0));
    assert.not.ok(retry.replayed);
  } finally {
    (limits as { txnOutcomesBytesMax: number }).txnOutcomesBytesMax = original;
  }
});

test('lease compares: the lease an object was put with, until a put without it or its end', () => {
  const harness = new Harness();
  const granted = harness.apply({ type: 'grantLease', ttlMilliseconds: 5000 });
  assert.is(granted.type, 'ok');
  const leaseId = harness.revision();
  const putWithLease = (key: string) =>
    harness.apply({
      type: 'batch',
      commands: [
        { type: 'putObject', key, value: { kind: 'inline', bytes: text('v') }, requestId: '' },
        { type: 'attachObject', leaseId, key },
      ],
    });
  assert.is(putWithLease('leased').type, 'ok');
  assert.is(putWithLease('later-plain').type, 'ok');
  harness.put('plain');
  const holds = (key: string, operator: TxnCompare['operator'], value: number | null) =>
    harness.txn({ compare: [compare(key, 'lease', operator, value)] }).succeeded;
  assert.ok(holds('leased', '=', leaseId));
  assert.ok(holds('leased', '>', null));
  assert.not.ok(holds('leased', '=', null));
  assert.not.ok(holds('leased', '=', leaseId + 1));
  assert.ok(holds('plain', '=', null));
  assert.ok(holds('absent', '=', null));
  const failed = harness.txn({ compare: [compare('leased', 'lease', '=', null)] });
  assert.is(failed.failedCompares[0]?.current.lease, leaseId);
  // A later put without the lease detaches it (its end no longer deletes the object).
  harness.put('later-plain', 'again');
  assert.ok(holds('later-plain', '=', null));
  assert.is(harness.apply({ type: 'revokeLease', id: leaseId }).type, 'ok');
  assert.not.ok(getObject(harness.store, 'leased'), 'the lease took its object');
  assert.ok(getObject(harness.store, 'later-plain'));
  assert.ok(holds('later-plain', '=', null));
  const leftovers = harness.store.rangeEntries('l/k/', undefined, 10);
  assert.equal(
    leftovers.map((entry) => entry.key),
    [],
    'the lease end drops its object-to-lease entries',
  );
});

test.run();
