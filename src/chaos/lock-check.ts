// The lock workload's checker (pure). Input: the holds the clients believed they had
// (from the grant's answer to the end of their belief: the release they sent, or the
// last acknowledged keepalive's send time + TTL - margin), every fenced increment of a
// counter, the final counters read after recovery, and the reports of `cairn lock`
// children. Requires, per lock:
// * accepted fenced writes, in commit order (their revisions), carry strictly
//   increasing tokens (one increment per hold);
// * no increment lost or applied twice: the accepted writes' counts are distinct, none
//   is above the final count, and every count up to the final one was written by an
//   accepted increment or by one whose outcome is unknown;
// * holds never overlap unless both are shared, and a hold that ended before another
//   began has the smaller token;
// * every `cairn lock` child found the earlier children of its lock dead when it started.

import { assert } from '../util/assert.js';

export type LockHoldMode = 'exclusive' | 'shared';

export interface LockHold {
  readonly clientId: number;
  readonly lock: string;
  readonly mode: LockHoldMode;
  readonly token: number;
  /** Run time (ms) the grant's answer arrived. */
  readonly grantedAt: number;
  /** Run time (ms) the client stopped believing it held the lock. */
  readonly endedAt: number;
}

export interface CounterWrite {
  readonly clientId: number;
  readonly lock: string;
  readonly token: number;
  readonly readCount: number;
  readonly wroteCount: number;
  readonly invokedAt: number;
  readonly completedAt: number | undefined;
  readonly outcome: 'ok' | 'failed' | 'unknown';
  /** The revision that committed it (ok only). */
  readonly version?: number | undefined;
  /** Sent on purpose after the writer's lease could have expired (a paused holder). */
  readonly stale: boolean;
  readonly errorCode?: string | undefined;
}

export interface CliChildReport {
  readonly lock: string;
  readonly pid: number;
  /** Pids of earlier children of the same lock still alive (not zombies) when it started. */
  readonly aliveAtStart: readonly number[];
}

export interface LockCheckInput {
  readonly holds: readonly LockHold[];
  readonly writes: readonly CounterWrite[];
  /** Lock name -> the counter's count after recovery (undefined: unreadable). */
  readonly finalCounts: ReadonlyMap<string, number | undefined>;
  readonly cliChildren: readonly CliChildReport[];
}

const problemsPerCheckMax = 5;

export function checkLocks(input: LockCheckInput): string[] {
  const problems: string[] = [];
  const locks = new Set([...input.holds.map((hold) => hold.lock), ...input.finalCounts.keys()]);
  for (const write of input.writes) locks.add(write.lock);
  for (const lock of [...locks].sort()) {
    const writes = input.writes.filter((write) => write.lock === lock);
    problems.push(...checkTokenOrder(lock, writes));
    problems.push(...checkIncrements(lock, writes, input.finalCounts.get(lock)));
    problems.push(
      ...checkHolds(
        lock,
        input.holds.filter((hold) => hold.lock === lock),
      ),
    );
  }
  for (const child of input.cliChildren)
    if (child.aliveAtStart.length > 0)
      problems.push(
        `lock ${child.lock}: the cairn lock child ${child.pid} started while earlier children ${child.aliveAtStart.join(', ')} of its lock were alive`,
      );
  return problems;
}

function describe(write: CounterWrite): string {
  return `client ${write.clientId} token ${write.token} count ${write.readCount}->${write.wroteCount}${write.version === undefined ? '' : ` at revision ${write.version}`}${write.stale ? ' (sent after its lease could have expired)' : ''}`;
}

function checkTokenOrder(lock: string, writes: readonly CounterWrite[]): string[] {
  const accepted = writes
    .filter((write) => write.outcome === 'ok')
    .sort((left, right) => (left.version ?? 0) - (right.version ?? 0));
  const problems: string[] = [];
  for (let index = 1; index < accepted.length; index++) {
    const before = accepted[index - 1] as CounterWrite;
    const write = accepted[index] as CounterWrite;
    assert(write.version !== undefined, 'an accepted write has its revision');
    if (write.token > before.token) continue;
    if (problems.length < problemsPerCheckMax)
      problems.push(
        `lock ${lock}: fenced writes accepted out of token order (a fence that no longer held was accepted): ${describe(before)}, then ${describe(write)}`,
      );
  }
  return problems;
}

function checkIncrements(
  lock: string,
  writes: readonly CounterWrite[],
  finalCount: number | undefined,
): string[] {
  const problems: string[] = [];
  const acceptedByCount = new Map<number, CounterWrite>();
  for (const write of writes.filter((candidate) => candidate.outcome === 'ok')) {
    const earlier = acceptedByCount.get(write.wroteCount);
    if (earlier === undefined) acceptedByCount.set(write.wroteCount, write);
    else if (problems.length < problemsPerCheckMax)
      problems.push(
        `lock ${lock}: an increment was lost: two accepted writes both wrote count ${write.wroteCount}: ${describe(earlier)}; ${describe(write)}`,
      );
  }
  if (finalCount === undefined) {
    if (acceptedByCount.size > 0) problems.push(`lock ${lock}: the final counter was not read`);
    return problems;
  }
  const unknownCounts = new Set(
    writes.filter((write) => write.outcome === 'unknown').map((write) => write.wroteCount),
  );
  for (const [count, write] of acceptedByCount)
    if (count > finalCount && problems.length < problemsPerCheckMax)
      problems.push(
        `lock ${lock}: an acknowledged increment was lost: the final count is ${finalCount}, ${describe(write)}`,
      );
  const missing: number[] = [];
  for (let count = 1; count <= finalCount; count++)
    if (!acceptedByCount.has(count) && !unknownCounts.has(count)) missing.push(count);
  if (missing.length > 0)
    problems.push(
      `lock ${lock}: the final count is ${finalCount} but no increment wrote ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} (an increment applied twice, or a write from nowhere)`,
    );
  return problems;
}

function checkHolds(lock: string, holds: readonly LockHold[]): string[] {
  const problems: string[] = [];
  const byStart = [...holds].sort((left, right) => left.grantedAt - right.grantedAt);
  const byEnd = [...holds].sort((left, right) => left.endedAt - right.endedAt);
  let ended = 0;
  let largestEndedToken = 0;
  let endedHolder: LockHold | undefined;
  const active: LockHold[] = [];
  for (const hold of byStart) {
    // Holds that ended before this one began: their tokens must be smaller.
    while (ended < byEnd.length && (byEnd[ended] as LockHold).endedAt <= hold.grantedAt) {
      const done = byEnd[ended++] as LockHold;
      if (done.token > largestEndedToken) {
        largestEndedToken = done.token;
        endedHolder = done;
      }
    }
    // Shared holders granted in one entry share its token.
    const sharedTogether = hold.mode === 'shared' && endedHolder?.mode === 'shared';
    const reused = hold.token === largestEndedToken && !sharedTogether;
    if ((hold.token < largestEndedToken || reused) && problems.length < problemsPerCheckMax)
      problems.push(
        `lock ${lock}: client ${hold.clientId} was granted token ${hold.token} at ${hold.grantedAt} ms, after client ${endedHolder?.clientId} had held token ${largestEndedToken} until ${endedHolder?.endedAt} ms (tokens must increase)`,
      );
    for (let index = active.length - 1; index >= 0; index--)
      if ((active[index] as LockHold).endedAt <= hold.grantedAt) active.splice(index, 1);
    for (const other of active) {
      if (other.mode === 'shared' && hold.mode === 'shared') continue;
      if (problems.length >= problemsPerCheckMax) break;
      problems.push(
        `lock ${lock}: holders overlap: client ${other.clientId} (${other.mode}, token ${other.token}, ${other.grantedAt}-${other.endedAt} ms) and client ${hold.clientId} (${hold.mode}, token ${hold.token}, ${hold.grantedAt}-${hold.endedAt} ms)`,
      );
    }
    active.push(hold);
  }
  return problems;
}
