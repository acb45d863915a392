// The access guard over a real auth service on an in-memory meta state: token checks
// (malformed, unknown, wrong secret, expired by the injected clock, removed user, no
// leader known), route checks by key, by prefix and per txn operation, the filtered
// listing, and a txn outcome naming a key the caller may not read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { routes, type Route, type TxnAnswer } from '../../src/api/index.js';
import {
  applyCommand,
  type MemoryMetaStore,
  type MetaCommand,
  type MetaResult,
} from '../../src/meta/index.js';
import { AuthService } from '../../src/node/auth-service.js';
import { accessGuard, type GuardInput } from '../../src/server/access.js';
import { CairnError } from '../../src/util/errors.js';
import { bootstrappedStore } from '../meta/helpers.js';

function setup() {
  const store: MemoryMetaStore = bootstrappedStore();
  let index = 1;
  let now = 1_000_000;
  let leader: string | null = 'n1';
  const group = {
    propose: async (command: MetaCommand): Promise<MetaResult> =>
      applyCommand(command, ++index, store),
    reader: () => store,
    isLeader: () => false,
    leaderId: () => leader,
    readBarrier: async () => undefined,
  };
  const service = new AuthService(group, () => now);
  return {
    store,
    service,
    guard: accessGuard(service),
    setNow: (value: number) => {
      now = value;
    },
    setLeader: (value: string | null) => {
      leader = value;
    },
    apply: (command: MetaCommand) => applyCommand(command, ++index, store),
  };
}

async function enabled() {
  const context = setup();
  const { rootToken } = await context.service.enable();
  for (const command of [
    { type: 'addRole', name: 'logs' },
    { type: 'grantPermission', role: 'logs', permission: { verbs: 1 | 2 | 4, prefix: 'logs/' } },
    { type: 'addUser', name: 'alice' },
    { type: 'grantRole', user: 'alice', role: 'logs' },
  ] as MetaCommand[])
    assert.is(context.apply(command).type, 'ok');
  const alice = await context.service.createToken({ user: 'alice', expiresInMilliseconds: 60_000 });
  return { ...context, root: rootToken.token, alice: alice.token };
}

const input = (token: string | undefined, extra: Partial<GuardInput> = {}): GuardInput => ({
  params: {},
  query: {},
  body: undefined,
  headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  ...extra,
});

function refusal(run: () => unknown): CairnError {
  try {
    run();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

test('while authentication is off every route is open', () => {
  const { guard } = setup();
  assert.is(
    guard.check(routes.deleteObject as Route, input(undefined, { params: { key: 'a' } })),
    undefined,
  );
});

test('tokens: missing, malformed, wrong secret, expired, removed user, no leader', async () => {
  const context = await enabled();
  const { guard, alice } = context;
  const get = routes.getObject as Route;
  const at = (token: string | undefined) => () =>
    guard.check(get, input(token, { params: { key: 'logs/a' } }));
  assert.is(guard.check(get, input(alice, { params: { key: 'logs/a' } }))?.user, 'alice');
  assert.is(refusal(at(undefined)).code, 'CAIRN_ERR_UNAUTHENTICATED');
  assert.is(refusal(at('nonsense')).code, 'CAIRN_ERR_UNAUTHENTICATED');
  const wrongSecret = `${alice.slice(0, 23)}${'x'.repeat(43)}`;
  assert.match(refusal(at(wrongSecret)).message, /unknown, expired or revoked/);
  context.setNow(1_000_000 + 60_000);
  assert.match(refusal(at(alice)).message, /expired at/);
  context.setNow(1_000_000);
  context.setLeader(null);
  assert.is(refusal(at(alice)).code, 'CAIRN_ERR_UNAVAILABLE');
  context.setLeader('n1');
  context.apply({ type: 'removeUser', name: 'alice' });
  assert.is(refusal(at(alice)).code, 'CAIRN_ERR_UNAUTHENTICATED');
});

test('routes: key, prefix, admin, monitor, and each txn operation and compare', async () => {
  const { guard, alice, root } = await enabled();
  const denied = (route: Route, extra: Partial<GuardInput>) =>
    refusal(() => guard.check(route, input(alice, extra)));
  assert.match(
    denied(routes.deleteObject as Route, { params: { key: 'logs/a' } }).message,
    /delete on "logs\/a"/,
  );
  assert.match(
    denied(routes.putObject as Route, { params: { key: 'logsX' } }).message,
    /write on "logsX"/,
  );
  assert.match(
    denied(routes.watch as Route, { query: { prefix: 'log' } }).message,
    /read on every key under "log"/,
  );
  assert.match(denied(routes.removeMember as Route, {}).message, /admin on every key/);
  assert.match(denied(routes.metrics as Route, {}).message, /monitor on every key/);
  const txn = (compareKey: string, operation: object) => ({
    body: {
      requestId: '',
      compare: [{ key: compareKey, target: 'exists', operator: '=', value: true }],
      success: [operation],
      failure: [],
    },
  });
  assert.match(
    denied(
      routes.txn as Route,
      txn('secret/x', { type: 'put', key: 'logs/a', value: new Uint8Array() }),
    ).message,
    /read on "secret\/x"/,
  );
  assert.match(
    denied(routes.txn as Route, txn('logs/a', { type: 'deletePrefix', prefix: 'logs/' })).message,
    /delete on every key under "logs\/"/,
  );
  assert.match(
    denied(routes.txn as Route, txn('logs/a', { type: 'list', prefix: '', after: '', limit: 10 }))
      .message,
    /list on every key/,
  );
  assert.ok(
    guard.check(
      routes.txn as Route,
      input(alice, txn('logs/a', { type: 'put', key: 'logs/b', value: new Uint8Array() })),
    ),
  );
  assert.ok(guard.check(routes.removeMember as Route, input(root)));
});

test('a listing is filtered; a txn outcome naming a key outside is refused without naming it', async () => {
  const { guard, alice } = await enabled();
  const list = routes.listObjects as Route;
  const caller = guard.check(list, input(alice, { query: { prefix: '' } }));
  const page = {
    items: ['logs/a', 'secret/x', 'logs/b'].map((key) => ({
      key,
      version: 1,
      size: 1,
      sha256: '',
    })),
    nextAfter: null,
    revision: 9,
  };
  const shown = guard.filter(list, caller, page) as typeof page;
  assert.equal(
    shown.items.map((item) => item.key),
    ['logs/a', 'logs/b'],
  );
  assert.is(
    refusal(() => guard.check(list, input(alice, { query: { prefix: 'secret/' } }))).code,
    'CAIRN_ERR_PERMISSION_DENIED',
  );
  const outcome: TxnAnswer = {
    requestId: 'r',
    succeeded: false,
    replayed: false,
    revision: 3,
    results: [],
    failedCompares: [
      {
        index: 0,
        target: 'exists',
        operator: '=',
        value: true,
        current: { key: 'secret/x', exists: true, version: 2 },
      } as never,
    ],
  };
  const route = routes.txnOutcome as Route;
  const error = refusal(() => guard.filter(route, guard.check(route, input(alice)), outcome));
  assert.is(error.code, 'CAIRN_ERR_PERMISSION_DENIED');
  assert.not.match(error.message, /secret/);
});

test.run();
