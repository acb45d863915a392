import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ObjectOperation } from '../../src/chaos/history.js';
import { allowedFinalStates, checkObjects } from '../../src/chaos/objects-check.js';

type Outcome = ObjectOperation['outcome'];

function put(
  sha256: string,
  invokedAt: number,
  completedAt: number | undefined,
  outcome: Outcome = 'ok',
): ObjectOperation {
  return { clientId: 0, kind: 'put', key: 'k', invokedAt, completedAt, outcome, sha256, size: 10 };
}

function remove(
  invokedAt: number,
  completedAt: number | undefined,
  outcome: Outcome = 'ok',
): ObjectOperation {
  return { clientId: 1, kind: 'delete', key: 'k', invokedAt, completedAt, outcome };
}

function get(
  sha256: string | null,
  invokedAt: number,
  outcome: Outcome = 'ok',
  error?: string,
): ObjectOperation {
  return {
    clientId: 2,
    kind: 'get',
    key: 'k',
    invokedAt,
    completedAt: invokedAt + 1,
    outcome,
    sha256,
    ...(error === undefined ? {} : { error }),
  };
}

const cases: { name: string; history: ObjectOperation[]; allowed: (string | null)[] }[] = [
  { name: 'nothing written: absent', history: [], allowed: [null] },
  { name: 'one acknowledged put', history: [put('a', 0, 5)], allowed: ['a'] },
  {
    name: 'a later acknowledged put replaces it',
    history: [put('a', 0, 5), put('b', 6, 9)],
    allowed: ['b'],
  },
  {
    name: 'concurrent acknowledged puts: either',
    history: [put('a', 0, 5), put('b', 4, 9)],
    allowed: ['a', 'b'],
  },
  {
    name: 'an unknown put may land at any time after its start',
    history: [put('a', 0, undefined, 'unknown'), put('b', 6, 9)],
    allowed: ['a', 'b'],
  },
  {
    name: 'an unknown put alone: it or absent',
    history: [put('a', 0, undefined, 'unknown')],
    allowed: [null, 'a'],
  },
  {
    name: 'a failed put never counts',
    history: [put('a', 0, 5), put('b', 6, 9, 'failed')],
    allowed: ['a'],
  },
  {
    name: 'an acknowledged delete after the put: absent',
    history: [put('a', 0, 5), remove(6, 7)],
    allowed: [null],
  },
  {
    name: 'an unknown delete: either',
    history: [put('a', 0, 5), remove(6, undefined, 'unknown')],
    allowed: ['a', null],
  },
];

for (const { name, history, allowed } of cases) {
  test(`allowed final states: ${name}`, () => {
    assert.equal([...allowedFinalStates(history)].sort(), [...allowed].sort());
  });
}

test('a final read of absence after an acknowledged put is a lost write', () => {
  const result = checkObjects([put('a', 0, 5)], [{ key: 'k', sha256: null }]);
  assert.is(result.problems.length, 1);
  assert.is(result.problems[0]?.kind, 'lost');
});

test('a final read of an overwritten version is a lost write; of unknown bytes, bytes that differ', () => {
  const history = [put('a', 0, 5), put('b', 6, 9)];
  assert.is(checkObjects(history, [{ key: 'k', sha256: 'a' }]).problems[0]?.kind, 'lost');
  assert.is(checkObjects(history, [{ key: 'k', sha256: 'zz' }]).problems[0]?.kind, 'bytes-differ');
  assert.is(checkObjects(history, [{ key: 'k', sha256: 'b' }]).problems.length, 0);
});

test('a final read that fails is unreadable unless the key may be absent', () => {
  assert.is(
    checkObjects(
      [put('a', 0, 5)],
      [{ key: 'k', sha256: undefined, error: 'CAIRN_ERR_CORRUPTION: x' }],
    ).problems[0]?.kind,
    'unreadable',
  );
  assert.is(
    checkObjects([put('a', 0, 5), remove(6, 7)], [{ key: 'k', sha256: undefined }]).problems.length,
    0,
  );
});

test('reads during the run: bytes no put wrote, or a corrupted stream, are bytes that differ', () => {
  const final = [{ key: 'k', sha256: 'a' }];
  assert.is(checkObjects([put('a', 0, 5), get('a', 6), get(null, 7)], final).problems.length, 0);
  assert.is(checkObjects([put('a', 0, 5), get('q', 6)], final).problems[0]?.kind, 'bytes-differ');
  assert.is(
    checkObjects(
      [put('a', 0, 5), get(null, 6, 'failed', 'CAIRN_ERR_CORRUPTION: sha mismatch')],
      final,
    ).problems[0]?.kind,
    'bytes-differ',
  );
  assert.is(
    checkObjects([put('a', 0, 5), get(null, 6, 'failed', 'CAIRN_ERR_TIMEOUT: slow')], final)
      .problems.length,
    0,
  );
});

test.run();
