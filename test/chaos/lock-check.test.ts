// The lock workload's checker on built histories: a clean one passes (shared holders
// together, unknown outcomes that did or did not apply); the history a store that does
// not check fences produces (a stalled holder's write accepted after the next holder's)
// fails, and so do a lost increment, an increment applied twice, overlapping holders,
// a token that went back and a cairn lock child alive at the next grant.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkLocks,
  type CounterWrite,
  type LockCheckInput,
  type LockHold,
} from '../../src/chaos/lock-check.js';

const lock = 'chaos-lock-0';

function hold(clientId: number, token: number, from: number, to: number, shared = false): LockHold {
  return {
    clientId,
    lock,
    mode: shared ? 'shared' : 'exclusive',
    token,
    grantedAt: from,
    endedAt: to,
  };
}

function write(
  clientId: number,
  token: number,
  readCount: number,
  version: number | undefined,
  outcome: CounterWrite['outcome'] = 'ok',
  stale = false,
): CounterWrite {
  return {
    clientId,
    lock,
    token,
    readCount,
    wroteCount: readCount + 1,
    invokedAt: version ?? 0,
    completedAt: outcome === 'ok' ? (version ?? 0) + 1 : undefined,
    outcome,
    stale,
    ...(version === undefined ? {} : { version }),
    ...(outcome === 'failed' ? { errorCode: 'CAIRN_ERR_FENCED' } : {}),
  };
}

function clean(): LockCheckInput {
  return {
    holds: [
      hold(1, 10, 0, 100),
      hold(2, 20, 120, 200, true),
      hold(3, 20, 130, 190, true),
      hold(4, 30, 210, 300),
      hold(5, 40, 310, 400),
      hold(6, 50, 410, 500),
    ],
    writes: [
      write(1, 10, 0, 11),
      write(4, 30, 1, undefined, 'unknown'), // applied: the next holder read 2
      write(5, 40, 2, 41),
      write(6, 50, 3, undefined, 'unknown'), // not applied: the final count is 3
      // A stalled holder's late write, refused as it must be.
      write(1, 10, 0, undefined, 'failed', true),
    ],
    finalCounts: new Map([[lock, 3]]),
    cliChildren: [{ lock: 'chaos-lock-cli', pid: 5, aliveAtStart: [] }],
  };
}

test('a clean history passes', () => {
  assert.equal(checkLocks(clean()), []);
});

test('the planted bug (fence not checked): a stalled holder’s late write accepted is caught', () => {
  const input = clean();
  // Holder 1 (token 10) read 0 and stalled; holder 4 (token 30) was granted, read 1 and
  // wrote 2; then holder 1's write of 1 was accepted at revision 45, after token 40.
  const writes = input.writes.map((entry) =>
    entry.stale ? { ...write(1, 10, 2, 45, 'ok', true) } : entry,
  );
  const problems = checkLocks({ ...input, writes, finalCounts: new Map([[lock, 3]]) });
  assert.ok(
    problems.some((problem) => problem.includes('out of token order')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((problem) => problem.includes('increment was lost')),
    problems.join('\n'),
  );
});

test('a lost acknowledged increment and an increment applied twice are caught', () => {
  const lost = checkLocks({ ...clean(), finalCounts: new Map([[lock, 2]]) });
  assert.ok(
    lost.some((problem) => problem.includes('acknowledged increment was lost')),
    lost.join('\n'),
  );
  const twice = checkLocks({ ...clean(), finalCounts: new Map([[lock, 5]]) });
  assert.ok(
    twice.some((problem) => problem.includes('no increment wrote 5')),
    twice.join('\n'),
  );
});

test('overlapping holders are caught unless both are shared', () => {
  const input = clean();
  const overlapping = [...input.holds, hold(7, 60, 150, 160)];
  const problems = checkLocks({ ...input, holds: overlapping });
  assert.ok(
    problems.some((problem) => problem.includes('holders overlap')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((problem) => problem.includes('client 7')),
    problems.join('\n'),
  );
});

test('a token smaller than one that already ended is caught', () => {
  const input = clean();
  const problems = checkLocks({ ...input, holds: [...input.holds, hold(8, 35, 600, 700)] });
  assert.ok(
    problems.some((problem) => problem.includes('tokens must increase')),
    problems.join('\n'),
  );
  const reused = checkLocks({ ...input, holds: [...input.holds, hold(9, 50, 600, 700)] });
  assert.ok(
    reused.some((problem) => problem.includes('tokens must increase')),
    reused.join('\n'),
  );
});

test('a cairn lock child alive at the next grant is caught', () => {
  const input = clean();
  const problems = checkLocks({
    ...input,
    cliChildren: [{ lock: 'chaos-lock-cli', pid: 6, aliveAtStart: [5] }],
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0] as string, /child 6 started while earlier children 5/);
});

test.run();
