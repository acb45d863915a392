import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEndpoint } from '../../src/client/endpoints.js';
import {
  classifyTransportError,
  errorFromResponse,
  leaderHintOf,
  serverErrorOutcome,
} from '../../src/client/response-errors.js';
import {
  type AttemptFailure,
  decideAfterFailure,
  exhaustedError,
  type RetryContext,
} from '../../src/client/retry.js';
import type { ErrorCode } from '../../src/util/errors.js';

const endpoint = parseEndpoint('10.0.0.1:7001');

function errorBody(code: string, message: string, details: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message, details } });
}

const mapping: readonly [status: number, body: string, code: ErrorCode, messageIncludes: string][] =
  [
    [404, errorBody('NOT_FOUND', 'key a not found'), 'CAIRN_ERR_NOT_FOUND', 'key a not found'],
    [400, errorBody('INVALID_KEY', 'bad key'), 'CAIRN_ERR_INVALID_KEY', 'bad key'],
    [409, errorBody('CONFLICT', 'busy'), 'CAIRN_ERR_CONFLICT', 'busy'],
    [
      412,
      errorBody('PRECONDITION_FAILED', 'version is 3'),
      'CAIRN_ERR_PRECONDITION_FAILED',
      'version is 3',
    ],
    [
      413,
      errorBody('LIMIT_EXCEEDED', 'keyLengthBytesMax'),
      'CAIRN_ERR_LIMIT_EXCEEDED',
      'keyLengthBytesMax',
    ],
    [421, errorBody('NOT_LEADER', 'not the leader'), 'CAIRN_ERR_NOT_LEADER', 'not the leader'],
    [503, errorBody('NOT_LEADER', 'no leader'), 'CAIRN_ERR_NOT_LEADER', 'no leader'],
    [503, errorBody('UNAVAILABLE', 'no quorum'), 'CAIRN_ERR_UNAVAILABLE', 'no quorum'],
    [503, errorBody('NOT_IN_CLUSTER', 'join first'), 'CAIRN_ERR_NOT_IN_CLUSTER', 'join first'],
    [
      403,
      errorBody('CLUSTER_MISMATCH', 'other cluster'),
      'CAIRN_ERR_CLUSTER_MISMATCH',
      'other cluster',
    ],
    [409, errorBody('ALREADY_IN_CLUSTER', 'already'), 'CAIRN_ERR_ALREADY_IN_CLUSTER', 'already'],
    [404, errorBody('CAIRN_ERR_NOT_FOUND', 'prefixed'), 'CAIRN_ERR_NOT_FOUND', 'prefixed'],
    // Unknown codes and non-JSON bodies fall back to the status.
    [412, errorBody('SOMETHING_NEW', 'new'), 'CAIRN_ERR_PRECONDITION_FAILED', 'new'],
    [
      502,
      '<html>Bad Gateway</html>',
      'CAIRN_ERR_INTERNAL',
      'HTTP 502 Bad Gateway from 10.0.0.1:7001: <html>Bad Gateway',
    ],
    [503, '', 'CAIRN_ERR_UNAVAILABLE', 'HTTP 503'],
    [504, '', 'CAIRN_ERR_TIMEOUT', 'HTTP 504'],
    [404, '', 'CAIRN_ERR_NOT_FOUND', 'HTTP 404 Not Found from 10.0.0.1:7001'],
    [418, '{"no":"error field"}', 'CAIRN_ERR_INVALID_ARGUMENT', 'HTTP 418'],
    [302, '', 'CAIRN_ERR_BAD_RESPONSE', 'HTTP 302'],
  ];

test('error responses map to CAIRN_ERR_<code>, falling back to the status', () => {
  for (const [status, body, code, messageIncludes] of mapping) {
    const error = errorFromResponse(status, body, endpoint);
    assert.is(error.code, code, `${status} ${body}`);
    assert.ok(error.message.includes(messageIncludes), `${status}: ${error.message}`);
    assert.is(error.details['status'], status);
    assert.is(error.details['endpoint'], '10.0.0.1:7001');
  }
});

test('server details are kept flat; an unknown code is kept as serverCode', () => {
  const error = errorFromResponse(
    412,
    errorBody('SOMETHING_NEW', 'x', {
      currentVersion: 3,
      nested: { a: [1, 2] },
      flag: true,
      none: null,
    }),
    endpoint,
  );
  assert.is(error.details['currentVersion'], 3);
  assert.is(error.details['nested'], '{"a":[1,2]}');
  assert.is(error.details['flag'], true);
  assert.is(error.details['none'], null);
  assert.is(error.details['serverCode'], 'SOMETHING_NEW');
  assert.is(
    errorFromResponse(404, errorBody('NOT_FOUND', 'x'), endpoint).details['serverCode'],
    undefined,
  );
  assert.is(errorFromResponse(400, errorBody('INVALID_ARGUMENT', 'x'), endpoint).exitCode, 2);
  assert.is(errorFromResponse(503, errorBody('UNAVAILABLE', 'x'), endpoint).exitCode, 1);
});

test('a NOT_LEADER hint is parsed; garbled or missing hints are ignored', () => {
  const hinted = errorFromResponse(
    421,
    errorBody('NOT_LEADER', 'x', { leaderClientAddress: 'http://10.0.0.2:7001' }),
    endpoint,
  );
  assert.is(leaderHintOf(hinted)?.name, '10.0.0.2:7001');
  const garbled = errorFromResponse(
    421,
    errorBody('NOT_LEADER', 'x', { leaderClientAddress: 'not an address' }),
    endpoint,
  );
  assert.is(leaderHintOf(garbled), undefined);
  assert.is(
    leaderHintOf(errorFromResponse(421, errorBody('NOT_LEADER', 'x'), endpoint)),
    undefined,
  );
  const other = errorFromResponse(
    503,
    errorBody('UNAVAILABLE', 'x', { leaderClientAddress: '10.0.0.2:7001' }),
    endpoint,
  );
  assert.is(leaderHintOf(other), undefined);
});

test('the outcome of a failed mutation: declared by the server, else by code', () => {
  const outcome = (status: number, code: string, details: Record<string, unknown> = {}): string =>
    serverErrorOutcome(errorFromResponse(status, errorBody(code, 'x', details), endpoint));
  assert.is(outcome(412, 'PRECONDITION_FAILED'), 'failed');
  assert.is(outcome(503, 'UNAVAILABLE'), 'failed');
  assert.is(outcome(503, 'UNAVAILABLE', { outcome: 'unknown' }), 'unknown');
  assert.is(outcome(504, 'TIMEOUT'), 'unknown');
  assert.is(outcome(500, 'INTERNAL'), 'unknown');
  assert.is(outcome(500, 'INTERNAL', { outcome: 'failed' }), 'failed');
});

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:7001`), { code });
}

test('transport errors: refused was never sent; reset and timeouts may have been', () => {
  const table: readonly [error: unknown, sent: string, timeout: boolean][] = [
    [systemError('ECONNREFUSED'), 'no', false],
    [systemError('ENOTFOUND'), 'no', false],
    [Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'no', true],
    [new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')]), 'no', false],
    [systemError('ECONNRESET'), 'maybe', false],
    [Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'maybe', false],
    [
      Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
      'maybe',
      true,
    ],
    [
      Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' }),
      'maybe',
      true,
    ],
    [new Error('something odd'), 'maybe', false],
    ['a string', 'maybe', false],
  ];
  for (const [error, sent, timeout] of table) {
    const failure = classifyTransportError(error);
    assert.is(failure.sent, sent, failure.description);
    assert.is(failure.timeout, timeout, failure.description);
  }
  assert.match(classifyTransportError(systemError('ECONNREFUSED')).description, /ECONNREFUSED/);
});

const refused: AttemptFailure = {
  kind: 'transport-error',
  failure: classifyTransportError(systemError('ECONNREFUSED')),
  cause: undefined,
};
const reset: AttemptFailure = {
  kind: 'transport-error',
  failure: classifyTransportError(systemError('ECONNRESET')),
  cause: undefined,
};
const serverFailure = (
  status: number,
  code: string,
  details: Record<string, unknown> = {},
): AttemptFailure => ({
  kind: 'server-error',
  error: errorFromResponse(status, errorBody(code, 'x', details), endpoint),
});
const context = (overrides: Partial<RetryContext>): RetryContext => ({
  endpoint,
  mutation: false,
  deduplicated: false,
  earlierOutcomeUnknown: false,
  bodyReplayable: true,
  attempt: 1,
  attemptsMax: 5,
  ...overrides,
});

test('retry decisions (table)', () => {
  const table: readonly [
    what: string,
    failure: AttemptFailure,
    context: RetryContext,
    decision: string,
    code?: ErrorCode,
  ][] = [
    ['refused read', refused, context({}), 'retry'],
    ['refused mutation', refused, context({ mutation: true }), 'retry'],
    ['reset read', reset, context({}), 'retry'],
    [
      'reset mutation: outcome unknown',
      reset,
      context({ mutation: true }),
      'give-up',
      'CAIRN_ERR_UNAVAILABLE',
    ],
    ['unavailable', serverFailure(503, 'UNAVAILABLE'), context({ mutation: true }), 'retry'],
    ['not leader', serverFailure(421, 'NOT_LEADER'), context({ mutation: true }), 'retry'],
    [
      'proposal dropped',
      serverFailure(503, 'PROPOSAL_DROPPED'),
      context({ mutation: true }),
      'retry',
    ],
    [
      'declared unknown, mutation',
      serverFailure(503, 'UNAVAILABLE', { outcome: 'unknown' }),
      context({ mutation: true }),
      'give-up',
      'CAIRN_ERR_UNAVAILABLE',
    ],
    [
      'declared unknown, read',
      serverFailure(503, 'UNAVAILABLE', { outcome: 'unknown' }),
      context({}),
      'retry',
    ],
    ['not found', serverFailure(404, 'NOT_FOUND'), context({}), 'give-up', 'CAIRN_ERR_NOT_FOUND'],
    [
      'precondition',
      serverFailure(412, 'PRECONDITION_FAILED'),
      context({ mutation: true }),
      'give-up',
      'CAIRN_ERR_PRECONDITION_FAILED',
    ],
    ['internal', serverFailure(500, 'INTERNAL'), context({}), 'give-up', 'CAIRN_ERR_INTERNAL'],
    [
      'body consumed',
      serverFailure(503, 'UNAVAILABLE'),
      context({ mutation: true, bodyReplayable: false }),
      'give-up',
      'CAIRN_ERR_UNAVAILABLE',
    ],
    [
      'refused, body consumed',
      refused,
      context({ mutation: true, bodyReplayable: false }),
      'give-up',
      'CAIRN_ERR_UNAVAILABLE',
    ],
    ['last attempt', serverFailure(503, 'UNAVAILABLE'), context({ attempt: 5 }), 'exhausted'],
    ['last attempt refused', refused, context({ attempt: 5 }), 'exhausted'],
    // A mutation with a request id is applied at most once: retried after an unknown outcome.
    [
      'reset mutation with request id',
      reset,
      context({ mutation: true, deduplicated: true }),
      'retry',
    ],
    [
      'declared unknown with request id',
      serverFailure(503, 'UNAVAILABLE', { outcome: 'unknown' }),
      context({ mutation: true, deduplicated: true }),
      'retry',
    ],
    [
      'server timeout with request id',
      serverFailure(504, 'TIMEOUT'),
      context({ mutation: true, deduplicated: true }),
      'give-up',
      'CAIRN_ERR_TIMEOUT',
    ],
    [
      'reset with request id, body consumed',
      reset,
      context({ mutation: true, deduplicated: true, bodyReplayable: false }),
      'give-up',
      'CAIRN_ERR_UNAVAILABLE',
    ],
  ];
  for (const [what, failure, retryContext, expected, code] of table) {
    const decision = decideAfterFailure(failure, retryContext);
    assert.is(decision.kind, expected, what);
    if (decision.kind === 'give-up') {
      assert.is(decision.error.code, code, what);
      if (retryContext.mutation)
        assert.ok(['failed', 'unknown'].includes(String(decision.error.details['outcome'])), what);
    }
  }
});

test('a mutation that may have been sent ends with outcome unknown; a rejected one with outcome failed', () => {
  const unknown = decideAfterFailure(reset, context({ mutation: true }));
  assert.is(unknown.kind === 'give-up' && unknown.error.details['outcome'], 'unknown');
  const rejected = decideAfterFailure(
    serverFailure(412, 'PRECONDITION_FAILED'),
    context({ mutation: true }),
  );
  assert.is(rejected.kind === 'give-up' && rejected.error.details['outcome'], 'failed');
  const read = decideAfterFailure(serverFailure(404, 'NOT_FOUND'), context({}));
  assert.is(read.kind === 'give-up' && read.error.details['outcome'], undefined);
});

test('after an unknown outcome, a later failure keeps the outcome unknown unless the server settles it', () => {
  const afterUnknown = context({ mutation: true, deduplicated: true, earlierOutcomeUnknown: true });
  const consumed = decideAfterFailure(refused, { ...afterUnknown, bodyReplayable: false });
  assert.is(consumed.kind === 'give-up' && consumed.error.details['outcome'], 'unknown');
  // PRECONDITION_FAILED for the same request id is the state machine's answer: settled.
  const settled = decideAfterFailure(serverFailure(412, 'PRECONDITION_FAILED'), afterUnknown);
  assert.is(settled.kind === 'give-up' && settled.error.details['outcome'], 'failed');
  assert.throws(
    () => decideAfterFailure(refused, context({ earlierOutcomeUnknown: true })),
    /deduplicated/,
  );
});

test('a leader hint is passed on with the retry', () => {
  const decision = decideAfterFailure(
    serverFailure(421, 'NOT_LEADER', { leaderClientAddress: '10.0.0.9:7001' }),
    context({}),
  );
  assert.is(decision.kind === 'retry' && decision.leaderHint?.name, '10.0.0.9:7001');
});

test('exhausted: NO_ENDPOINT lists every endpoint tried; TIMEOUT when all timed out; else the server error', () => {
  const tried = new Map([
    ['a:1', 'ECONNREFUSED'],
    ['b:2', 'ECONNRESET'],
    ['c:3', 'ECONNREFUSED'],
  ]);
  const noEndpoint = exhaustedError(refused, tried, 5, 'failed', false);
  assert.is(noEndpoint.code, 'CAIRN_ERR_NO_ENDPOINT');
  for (const name of ['a:1', 'b:2', 'c:3'])
    assert.ok(noEndpoint.message.includes(name), noEndpoint.message);
  assert.is(noEndpoint.details['endpointsTried'], 'a:1,b:2,c:3');
  assert.is(noEndpoint.details['attempts'], 5);
  assert.is(noEndpoint.details['outcome'], 'failed');
  assert.is(exhaustedError(refused, tried, 5, undefined, true).code, 'CAIRN_ERR_TIMEOUT');
  assert.is(exhaustedError(refused, tried, 5, 'unknown', false).details['outcome'], 'unknown');
  const server = exhaustedError(serverFailure(503, 'UNAVAILABLE'), tried, 5, undefined, false);
  assert.is(server.code, 'CAIRN_ERR_UNAVAILABLE');
  assert.is(server.details['attempts'], 5);
});

test.run();
