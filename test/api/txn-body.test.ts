// The POST /v1/txn body parser: values base64 or UTF-8 text, and every malformed field
// named by its path (what `cairn txn` prints before exiting 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTxnRequest, routes, txnRequestJson } from '../../src/api/index.js';
import { CairnError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';

function problemOf(body: unknown): { code: string; message: string; path: unknown } {
  try {
    parseTxnRequest(body);
  } catch (error) {
    assert.instance(error, CairnError);
    const cairn = error as CairnError;
    return { code: cairn.code, message: cairn.message, path: cairn.details['path'] };
  }
  throw new Error('expected a problem');
}

test('a full body parses; value and valueText give the same bytes; JSON round trip', () => {
  const body = {
    requestId: 'r1',
    compare: [
      { key: 'a', target: 'version', operator: '<', value: 3 },
      { key: 'b', target: 'exists', value: false },
    ],
    success: [
      { type: 'put', key: 'a', valueText: 'héllo' },
      { type: 'put', key: 'b', value: Buffer.from('héllo').toString('base64') },
      { type: 'putStaged', key: 'c', handle: 'f'.repeat(32) },
      { type: 'delete', key: 'd' },
      { type: 'deletePrefix', prefix: 'tmp/' },
      { type: 'get', key: 'a' },
      { type: 'list', prefix: 'x/' },
    ],
    failure: [{ type: 'get', key: 'a' }],
  };
  const parsed = parseTxnRequest(body);
  assert.is(parsed.compare[1]?.operator, '=', 'the operator defaults to =');
  const [first, second] = parsed.success;
  assert.ok(first?.type === 'put' && second?.type === 'put');
  assert.equal([...first.value], [...second.value]);
  const listed = parsed.success[6];
  assert.ok(
    listed?.type === 'list' && listed.limit === limits.listPageKeysMax && listed.after === '',
  );
  assert.equal(parseTxnRequest(txnRequestJson(parsed)), parsed);
});

test('malformed fields are named by their path', () => {
  const cases: [unknown, string][] = [
    [[], 'body'],
    [{ success: [{ type: 'put', key: 'a', valueText: 'x' }, { type: 'put' }] }, 'success[1].key'],
    [{ success: [{ type: 'put', key: 'a' }] }, 'success[0]'],
    [{ success: [{ type: 'put', key: 'a', value: 'x', valueText: 'y' }] }, 'success[0]'],
    [{ success: [{ type: 'put', key: 'a', value: '!!!!' }] }, 'success[0].value'],
    [{ failure: [{ type: 'rename', key: 'a' }] }, 'failure[0].type'],
    [{ compare: [{ key: 'a', target: 'colour', value: 1 }] }, 'compare[0].target'],
    [
      { compare: [{ key: 'a', target: 'version', operator: '>=', value: 1 }] },
      'compare[0].operator',
    ],
    [{ compare: [{ key: 'a', target: 'version' }] }, 'compare[0].value'],
    [{ compare: [{ key: 'a', target: 'version', value: [1] }] }, 'compare[0].value'],
    [{ success: [{ type: 'list', limit: 0 }] }, 'success[0].limit'],
    [{ success: 'put' }, 'success'],
    [{ sucess: [] }, 'sucess'],
  ];
  for (const [body, path] of cases) {
    const problem = problemOf(body);
    assert.is(problem.code, 'CAIRN_ERR_INVALID_ARGUMENT', JSON.stringify(body));
    assert.is(problem.path, path, JSON.stringify(body));
    assert.ok(problem.message.startsWith(`${path}: `), problem.message);
  }
});

test('more operations than txnOperationsMax is 413 naming the limit', () => {
  const success = Array.from({ length: limits.txnOperationsMax + 1 }, (_, index) => ({
    type: 'get',
    key: `k${index}`,
  }));
  const problem = problemOf({ success });
  assert.is(problem.code, 'CAIRN_ERR_LIMIT_EXCEEDED');
  assert.match(problem.message, /txnOperationsMax/);
});

test('POST /v1/txn reads x-cairn-fence (forwarded with the request); watch reads values', () => {
  assert.ok(routes.txn.headers.includes('x-cairn-fence'), 'a follower forwards the fence');
  assert.equal(routes.txn.query({}, { 'x-cairn-fence': 'jobs/leader=42' }), {
    fence: { name: 'jobs/leader', token: 42 },
  });
  assert.equal(routes.txn.query({}, {}), {});
  assert.throws(() => routes.txn.query({}, { 'x-cairn-fence': 'jobs' }), /NAME=TOKEN/);
  assert.equal(routes.watch.query({ prefix: 'c/', values: 'true' }, {}), {
    prefix: 'c/',
    values: true,
  });
  assert.throws(() => routes.watch.query({ values: 'yes' }, {}), /values must be true or false/);
});

test.run();
