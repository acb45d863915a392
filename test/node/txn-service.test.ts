// The txn service over the real state machine (a fake group applying proposals to a
// MemoryMetaStore): limits answered as 413 naming them, problems as 400 with the path,
// outcomes by request id (found, NOT_APPLIED), staged uploads and their expiry duty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyCommand,
  chunkReferenceCount,
  type MetaCommand,
  MemoryMetaStore,
} from '../../src/meta/index.js';
import { referencedChunks } from '../../src/data/maintenance/index.js';
import { TxnService } from '../../src/node/txn-service.js';
import { CairnError, errorRow } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';
import { bootstrapThree, manifest, sha256Of } from '../meta/helpers.js';

function service(clock: { now: number }) {
  const store = new MemoryMetaStore();
  let index = 1;
  applyCommand(bootstrapThree, index, store);
  const value = manifest(['s1', 's2']);
  assert.ok(value.kind === 'manifest');
  const txn = new TxnService({
    group: {
      propose: async (command: MetaCommand) => applyCommand(command, ++index, store),
      readBarrier: async () => {},
      reader: () => store,
      requireMember: () => {},
      isLeader: () => true,
    },
    chunks: {
      writeChunkedValue: async () => ({
        value,
        size: value.size,
        sha256: value.sha256,
        writeStartIndex: 1,
      }),
    },
    now: () => clock.now,
  });
  return { txn, store };
}

async function codeOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, CairnError);
    const cairn = error as CairnError;
    return { code: cairn.code, message: cairn.message, details: { ...cairn.details } };
  }
  throw new Error('expected an error');
}

test('a txn over txnBytesMax is 413 naming it; a duplicate key is 400 with its path', async () => {
  const { txn } = service({ now: 1 });
  const big = new Uint8Array(limits.objectInlineBytesMax);
  for (const count of [limits.txnBytesMax / big.length, limits.txnBytesMax / big.length + 2]) {
    const success = Array.from({ length: count }, (_, index) => ({
      type: 'put' as const,
      key: `k${index}`,
      value: big,
    }));
    const tooBig = await codeOf(txn.txn({ requestId: 'r', compare: [], success, failure: [] }));
    assert.is(tooBig.code, 'CAIRN_ERR_LIMIT_EXCEEDED');
    assert.match(tooBig.message, /^txnBytesMax is/);
  }
  const duplicate = await codeOf(
    txn.txn({
      requestId: 'r',
      compare: [],
      success: [
        { type: 'delete', key: 'a' },
        { type: 'delete', key: 'a' },
      ],
      failure: [],
    }),
  );
  assert.is(duplicate.code, 'CAIRN_ERR_INVALID_ARGUMENT');
  assert.is(duplicate.details['path'], 'success[1].key');
});

test('outcomes by request id: found (replayed), NOT_APPLIED', async () => {
  const { txn } = service({ now: 1 });
  const answer = await txn.txn({
    requestId: 'one',
    compare: [],
    success: [
      { type: 'put', key: 'a', value: new TextEncoder().encode('1') },
      { type: 'get', key: 'a' },
    ],
    failure: [],
  });
  const read = answer.results[1] as { object?: { valueText?: string; value?: string } };
  assert.is(read.object?.valueText, '1');
  assert.is(read.object?.value, Buffer.from('1').toString('base64'));
  const found = await txn.outcome('one', 0);
  assert.is(found.replayed, true);
  assert.is(found.revision, answer.revision);
  const missing = await codeOf(txn.outcome('two', 0));
  assert.is(missing.code, 'CAIRN_ERR_NOT_APPLIED');
});

test('a staged upload references its chunks until the expiry duty drops it', async () => {
  const clock = { now: 10_000 };
  const { txn, store } = service(clock);
  const staged = await txn.stage((async function* () {})(), { lifetimeMilliseconds: 5_000 });
  assert.is(staged.expiresAtMilliseconds, 15_000);
  assert.is(chunkReferenceCount(store, sha256Of('s1')), 1);
  const placed = () => referencedChunks(store).map((chunk) => chunk.sha256);
  assert.ok(placed().includes(sha256Of('s2')), 'rebalance and repair see staged chunks');
  await txn.expireStagingDuty();
  assert.is(chunkReferenceCount(store, sha256Of('s1')), 1, 'not yet due');
  clock.now = 15_000;
  await txn.expireStagingDuty();
  assert.is(chunkReferenceCount(store, sha256Of('s1')), 0, 'expired: its chunks are garbage');
  assert.not.ok(placed().includes(sha256Of('s2')));
  const late = await codeOf(
    txn.txn({
      requestId: '',
      compare: [],
      success: [{ type: 'putStaged', key: 'x', handle: staged.handle }],
      failure: [],
    }),
  );
  assert.match(late.message, /unknown, expired or already committed/);
});

test('a fenced txn whose token does not hold is FENCED (412), nothing applied', async () => {
  const { txn, store } = service({ now: 1 });
  const body = {
    requestId: 'f',
    compare: [],
    success: [{ type: 'put' as const, key: 'k', value: new Uint8Array(1) }],
    failure: [],
  };
  const fenced = await codeOf(txn.txn(body, { name: 'nobody-holds', token: 5 }));
  assert.is(fenced.code, 'CAIRN_ERR_FENCED');
  assert.equal(fenced.details, { lock: 'nobody-holds', token: 5 });
  assert.is(store.get('o/k'), undefined);
  const badName = await codeOf(txn.txn(body, { name: 'a b', token: 5 }));
  assert.is(badName.code, 'CAIRN_ERR_INVALID_ARGUMENT');
  assert.match(badName.message, /^fence: a lock name/);
});

test('an outcome past the window is EXPIRED (410), distinct from NOT_APPLIED', async () => {
  const clock = { now: 1 };
  const { txn } = service(clock);
  const original = limits.txnOutcomesRetainedRevisions;
  (limits as { txnOutcomesRetainedRevisions: number }).txnOutcomesRetainedRevisions = 2;
  try {
    const put = (key: string) => ({ type: 'put' as const, key, value: new Uint8Array(1) });
    const first = await txn.txn({
      requestId: 'old',
      compare: [],
      success: [put('a')],
      failure: [],
    });
    clock.now += limits.txnOutcomesRetainedMilliseconds + 1;
    for (let index = 0; index < 4; index++)
      await txn.txn({
        requestId: `n${index}`,
        compare: [],
        success: [put(`b${index}`)],
        failure: [],
      });
    const expired = await codeOf(txn.outcome('old', first.revision - 1));
    assert.is(expired.code, 'CAIRN_ERR_EXPIRED');
    assert.is(errorRow('CAIRN_ERR_EXPIRED').status, 410);
    assert.ok((expired.details['droppedThroughRevision'] as number) >= first.revision);
    assert.match(expired.message, /may or may not have applied/);
    const later = await codeOf(txn.outcome('never', first.revision + 10));
    assert.is(later.code, 'CAIRN_ERR_NOT_APPLIED', 'sent after the dropped range: exact');
  } finally {
    (limits as { txnOutcomesRetainedRevisions: number }).txnOutcomesRetainedRevisions = original;
  }
});

test.run();
