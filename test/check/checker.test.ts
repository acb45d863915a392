import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory, type CheckResult, type Operation } from '../../src/check/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { cas, generateValidHistory, get, put, remove } from './histories.js';

type Violation = Extract<CheckResult, { ok: false }>;

function violationOf(result: CheckResult, context: string): Violation {
  if (result.ok !== false) {
    assert.unreachable(
      `${context}: expected a violation, got ${JSON.stringify(result).slice(0, 500)}`,
    );
    throw new Error('unreachable');
  }
  return result;
}

function expectViolation(result: CheckResult, key: string): Violation {
  const violation = violationOf(result, `key ${key}`);
  assert.is(violation.key, key);
  assert.ok(violation.operations.length > 0);
  assert.ok(violation.explanation.length > 0);
  return violation;
}

// --- Rejected: each of these is a real consistency bug. ---

test('a stale read is rejected', () => {
  const history = [put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 3]), get(2, 'k', 'a', [4, 5])];
  const result = expectViolation(checkHistory(history), 'k');
  assert.equal(
    result.operations.length,
    3,
    'all three operations are needed to show the stale read',
  );
  assert.match(result.explanation, /read "a" but the register held "b"/);
});

test('a lost write is rejected (acknowledged put, later reads see the old value)', () => {
  const history = [
    put(1, 'k', 'a', [0, 1]),
    put(2, 'k', 'b', [2, 3]),
    get(3, 'k', 'b', [4, 5]),
    get(3, 'k', 'a', [6, 7]),
  ];
  expectViolation(checkHistory(history), 'k');
});

test('a read of the initial absence after an acknowledged write is rejected', () => {
  expectViolation(checkHistory([put(1, 'k', 'a', [0, 1]), get(2, 'k', null, [2, 3])]), 'k');
});

test('a lost compare-and-set is rejected', () => {
  const history = [
    put(1, 'k', 'a', [0, 1]),
    cas(2, 'k', 'a', 'b', true, [2, 3]),
    get(3, 'k', 'a', [4, 5]),
  ];
  expectViolation(checkHistory(history), 'k');
});

test('a read of a value never written is rejected, and minimised to that read', () => {
  const history = [
    put(1, 'k', 'a', [0, 10]),
    get(2, 'k', 'a', [1, 11]),
    get(3, 'k', 'zzz', [2, 12]),
    put(1, 'other', 'x', [0, 1]),
  ];
  const result = expectViolation(checkHistory(history), 'k');
  assert.equal(result.operations, [history[2]]);
});

test('a cas that succeeds twice on the same expected value is rejected', () => {
  const history = [
    put(1, 'k', 'a', [0, 1]),
    cas(2, 'k', 'a', 'b', true, [2, 10]),
    cas(3, 'k', 'a', 'c', true, [2, 10]),
  ];
  const result = expectViolation(checkHistory(history), 'k');
  assert.equal(result.operations.length, 3);
});

test('a cas that reports failure although the value matched is rejected', () => {
  expectViolation(
    checkHistory([put(1, 'k', 'a', [0, 1]), cas(2, 'k', 'a', 'b', false, [2, 3])]),
    'k',
  );
});

test('if-absent cas (expected null) succeeding on a present key is rejected', () => {
  expectViolation(
    checkHistory([put(1, 'k', 'a', [0, 1]), cas(2, 'k', null, 'b', true, [2, 3])]),
    'k',
  );
});

test('a read of a deleted key that returns the old value is rejected', () => {
  expectViolation(
    checkHistory([put(1, 'k', 'a', [0, 1]), remove(1, 'k', [2, 3]), get(2, 'k', 'a', [4, 5])]),
    'k',
  );
});

test('only the failing key is reported; other keys are independent', () => {
  const history = [
    put(1, 'x', 'a', [0, 1]),
    get(1, 'x', 'a', [2, 3]),
    put(1, 'y', 'a', [0, 1]),
    put(1, 'y', 'b', [2, 3]),
    get(2, 'y', 'a', [4, 5]),
  ];
  expectViolation(checkHistory(history), 'y');
});

// --- Accepted: legal concurrent behaviour. ---

test('an empty history and reads of absent keys are linearizable', () => {
  assert.equal(checkHistory([]).ok, true);
  assert.equal(checkHistory([get(1, 'k', null, [0, 1])]).ok, true);
});

test('overlapping operations may linearize in either order', () => {
  const history = [
    put(1, 'k', 'a', [0, 10]),
    put(2, 'k', 'b', [1, 11]),
    get(3, 'k', 'b', [2, 3]),
    get(4, 'k', 'a', [4, 12]),
  ];
  // b then a: get b in [2,3] after put b, get a at 12 after put a (at 10).
  assert.equal(checkHistory(history).ok, true);
});

test('operations that touch at one instant count as concurrent', () => {
  // The write completes at 5 and the read is invoked at 5: either order is allowed.
  assert.equal(checkHistory([put(1, 'k', 'a', [0, 5]), get(2, 'k', null, [5, 6])]).ok, true);
  // Strictly after is not.
  assert.equal(checkHistory([put(1, 'k', 'a', [0, 5]), get(2, 'k', null, [6, 7])]).ok, false);
});

test('an unknown-outcome write that took effect, even long after its invocation', () => {
  const history = [
    put(1, 'k', 'a', [0, undefined], 'unknown'),
    get(2, 'k', null, [5, 6]),
    get(2, 'k', 'a', [100, 101]),
  ];
  assert.equal(checkHistory(history).ok, true);
});

test('an unknown-outcome write that never took effect', () => {
  const history = [
    put(0, 'k', 'x', [0, 1]),
    put(1, 'k', 'a', [2, undefined], 'unknown'),
    get(2, 'k', 'x', [5, 6]),
    get(2, 'k', 'x', [100, 101]),
  ];
  assert.equal(checkHistory(history).ok, true);
});

test('an unknown-outcome write cannot take effect before it was invoked', () => {
  const history = [get(2, 'k', 'a', [0, 1]), put(1, 'k', 'a', [5, undefined], 'unknown')];
  assert.equal(checkHistory(history).ok, false);
});

test('an unknown-outcome write cannot take effect twice', () => {
  const history = [
    put(1, 'k', 'a', [0, undefined], 'unknown'),
    get(2, 'k', 'a', [1, 2]),
    put(3, 'k', 'b', [3, 4]),
    get(2, 'k', 'a', [5, 6]),
  ];
  assert.equal(checkHistory(history).ok, false);
});

test('a failed write had no effect and is ignored; reading its value is rejected', () => {
  assert.equal(
    checkHistory([put(1, 'k', 'a', [0, 1], 'failed'), get(2, 'k', null, [2, 3])]).ok,
    true,
  );
  assert.equal(
    checkHistory([put(1, 'k', 'a', [0, 1], 'failed'), get(2, 'k', 'a', [2, 3])]).ok,
    false,
  );
});

test('an unknown cas may or may not have swapped', () => {
  const swapped = [
    put(1, 'k', 'a', [0, 1]),
    cas(2, 'k', 'a', 'b', undefined, [2, undefined], 'unknown'),
    get(3, 'k', 'b', [10, 11]),
  ];
  const notSwapped = [
    put(1, 'k', 'a', [0, 1]),
    cas(2, 'k', 'a', 'b', undefined, [2, undefined], 'unknown'),
    get(3, 'k', 'a', [10, 11]),
  ];
  assert.equal(checkHistory(swapped).ok, true);
  assert.equal(checkHistory(notSwapped).ok, true);
});

test('malformed operations are refused with an InvalidArgumentError', () => {
  const bad: Operation = {
    clientId: 1,
    kind: 'put',
    key: 'k',
    input: {},
    invokedAt: 0,
    completedAt: 1,
    outcome: 'ok',
  };
  assert.throws(
    () => checkHistory([bad]),
    (error: unknown) => error instanceof InvalidArgumentError,
  );
  assert.throws(
    () => checkHistory([put(1, 'k', 'a', [5, 1])]),
    (error: unknown) => error instanceof InvalidArgumentError,
  );
});

test('the state bound yields unknown instead of running forever', () => {
  // Many concurrent unknown writes and no way to place the last read: the search
  // must explore many subsets before giving up.
  const history: Operation[] = [];
  for (let index = 0; index < 40; index++)
    history.push(put(index, 'k', `v${index}`, [0, undefined], 'unknown'));
  history.push(get(99, 'k', 'never', [1, 2]));
  for (let index = 0; index < 30; index++)
    history.push(get(100 + index, 'k', `v${index}`, [3 + 2 * index, 4 + 2 * index]));
  const result = checkHistory(history, { statesPerKeyMax: 1000, minimize: false });
  assert.is(result.ok, 'unknown');
});

// --- Randomized. ---

test('random valid histories are accepted; one corrupted read is rejected', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const history = generateValidHistory(seed, 400, 3, 5, 25);
    const result = checkHistory(history);
    assert.equal(result.ok, true, `seed ${seed}: ${JSON.stringify(result).slice(0, 2000)}`);

    const readIndex = history.findIndex(
      (operation, index) => index > 200 && operation.kind === 'get',
    );
    const corrupted = history.slice();
    const read = corrupted[readIndex] as Operation;
    corrupted[readIndex] = { ...read, output: { value: 'never-written' } };
    const rejected = violationOf(checkHistory(corrupted), `seed ${seed}`);
    assert.is(rejected.key, read.key);
    assert.ok(rejected.operations.includes(corrupted[readIndex] as Operation));
  }
});

test('random valid histories with one stale read are rejected', () => {
  let corruptedCount = 0;
  for (let seed = 100; seed < 110; seed++) {
    const history = generateValidHistory(seed, 300, 2, 5, 8);
    const stale = makeStaleRead(history);
    if (stale === null) continue;
    corruptedCount++;
    const result = violationOf(checkHistory(stale), `seed ${seed}`);
    // Minimised to the old write, the overwrite and the stale read.
    assert.is(result.operations.length, 3, `seed ${seed}`);
  }
  assert.ok(corruptedCount >= 5, 'most seeds offer a stale read to plant');
});

/** Rewrites a late get to read a value overwritten strictly before it began. */
function makeStaleRead(history: readonly Operation[]): Operation[] | null {
  const isWrite = (operation: Operation): boolean =>
    operation.outcome === 'ok' && operation.kind === 'put';
  for (let readIndex = history.length - 1; readIndex > history.length / 2; readIndex--) {
    const read = history[readIndex] as Operation;
    if (read.kind !== 'get') continue;
    const first = history.find((operation) => isWrite(operation) && operation.key === read.key);
    if (first === undefined) continue;
    const second = history.find(
      (operation) =>
        isWrite(operation) &&
        operation.key === read.key &&
        operation.invokedAt > (first.completedAt as number) &&
        (operation.completedAt as number) < read.invokedAt,
    );
    if (second === undefined) continue;
    const copy = history.slice();
    copy[readIndex] = { ...read, output: { value: first.input.value } };
    return copy;
  }
  return null;
}

test('a key history too long to shrink reports the operations involved, including the culprit', () => {
  // No unknown outcomes here: each pending-forever write multiplies the states of a
  // failing search (see the state-bound test), and this test is about reporting.
  const history = generateValidHistory(11, 1500, 1, 5, 25, 0);
  const readIndex = history.findIndex(
    (operation, index) => index > 1200 && operation.kind === 'get',
  );
  const read = history[readIndex] as Operation;
  history[readIndex] = { ...read, output: { value: 'never-written' } };
  const result = violationOf(checkHistory(history), 'long history');
  assert.is(result.operationsAre, 'involved');
  assert.ok(result.operations.includes(history[readIndex] as Operation));
  assert.ok(result.operations.length < 40, `${result.operations.length} operations reported`);
});

test('performance: 10,000 operations over 10 keys and 10 clients (figure printed, not asserted)', () => {
  const history = generateValidHistory(7, 10_000, 10, 10, 50);
  const started = performance.now();
  const result = checkHistory(history);
  const elapsed = performance.now() - started;
  assert.equal(result.ok, true);
  console.log(
    `  check: 10,000 ops / 10 keys / 10 clients in ${elapsed.toFixed(0)} ms, ${result.ok === true ? result.statesExplored : 0} states`,
  );
});

test.run();
