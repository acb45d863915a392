// The lock workload (issue 15): clients contend for a few locks. Each round a client
// takes a lease, waits for its lock (exclusive, or shared a quarter of the time), and
// an exclusive holder increments the lock's counter object: a linearizable read, then
// a put of count + 1 fenced with its token. Some exclusive holders stall on purpose
// after their read (keepalives stopped, as in a long GC pause) until their lease must
// be gone, then write anyway: a correct store refuses that write (412 FENCED), since
// the lock may have been granted again. The clients record what they believed they
// held and when (src/chaos/lock-check.ts checks it all).

import { randomUUID } from 'node:crypto';
import type { CairnClient } from '../../client/index.js';
import { CoordinationClient } from '../../client/index.js';
import { assert } from '../../util/assert.js';
import { CairnError } from '../../util/errors.js';
import { Prng } from '../../util/prng.js';
import { errorCodeOf, type HistoryRecorder, writeOutcomeOf } from '../history.js';
import type { CounterWrite, LockHold, LockHoldMode } from '../lock-check.js';

export interface LockWorkloadOptions {
  readonly clients: readonly CairnClient[];
  readonly locks: number;
  readonly seed: number;
  readonly recorder: HistoryRecorder;
  readonly stopped: () => boolean;
  readonly operationsPerClientMax: number;
  readonly ttlMilliseconds: number;
  /** Share of exclusive holds that stall past their lease before writing. */
  readonly staleShare: number;
}

export interface LockWorkloadReport {
  readonly holds: LockHold[];
  readonly writes: CounterWrite[];
  readonly acquires: { granted: number; notGranted: number; failed: number };
}

export const lockWorkloadPrefix = 'chaos/lock/';
export const workloadLockName = (index: number): string => `chaos-lock-${index}`;
export const counterKey = (lock: string): string => `${lockWorkloadPrefix}${lock}/counter`;

/** The client stops believing in its lease this long before last acknowledged send + TTL. */
const beliefMarginMilliseconds = 200;
const acquireWaitMilliseconds = 1_000;
const acquireGiveUpMilliseconds = 4_000;
/** A stalled holder writes this long after its lease could have expired (past TTL + 2 s). */
const stallBeyondMilliseconds = 2_500;
const sharedHoldMillisecondsMax = 300;
const quickMilliseconds = 2_000;

export async function runLockWorkload(options: LockWorkloadOptions): Promise<LockWorkloadReport> {
  assert(options.locks >= 1 && options.locks <= 64, 'the lock workload uses 1 to 64 locks');
  const report: LockWorkloadReport = {
    holds: [],
    writes: [],
    acquires: { granted: 0, notGranted: 0, failed: 0 },
  };
  const root = new Prng(options.seed * 7919 + 15);
  await Promise.all(
    options.clients.map((client, clientId) =>
      runClient(new CoordinationClient(client), client, clientId, root.fork(), options, report),
    ),
  );
  return report;
}

/** Keeps a lease alive; knows until when its holder may believe in it. */
class LeaseKeeper {
  private lastAcknowledgedSentAt: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  ended = false;

  constructor(
    private readonly coordination: CoordinationClient,
    readonly leaseId: number,
    private readonly ttlMilliseconds: number,
    private readonly recorder: HistoryRecorder,
    grantSentAt: number,
  ) {
    this.lastAcknowledgedSentAt = grantSentAt;
    this.schedule();
  }

  believedUntil(): number {
    return this.lastAcknowledgedSentAt + this.ttlMilliseconds - beliefMarginMilliseconds;
  }

  believes(): boolean {
    return !this.ended && this.recorder.now() < this.believedUntil();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), Math.floor(this.ttlMilliseconds / 4));
  }

  private async renew(): Promise<void> {
    const sentAt = this.recorder.now();
    try {
      const signal = AbortSignal.timeout(Math.floor(this.ttlMilliseconds / 2));
      await this.coordination.keepaliveLease(this.leaseId, { signal });
      if (!this.stopped)
        this.lastAcknowledgedSentAt = Math.max(this.lastAcknowledgedSentAt, sentAt);
    } catch (error) {
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND') this.ended = true;
    }
    this.schedule();
  }

  /** No more keepalives: the belief ends at the last acknowledged one's deadline. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

async function runClient(
  coordination: CoordinationClient,
  client: CairnClient,
  clientId: number,
  prng: Prng,
  options: LockWorkloadOptions,
  report: LockWorkloadReport,
): Promise<void> {
  for (let round = 0; round < options.operationsPerClientMax && !options.stopped(); round++) {
    const lock = workloadLockName(prng.nextIntegerInclusive(0, options.locks - 1));
    const mode: LockHoldMode = prng.nextFloat() < 0.25 ? 'shared' : 'exclusive';
    const stale = mode === 'exclusive' && prng.nextFloat() < options.staleShare;
    const sentAt = options.recorder.now();
    let keeper: LeaseKeeper;
    try {
      const lease = await coordination.grantLease(options.ttlMilliseconds);
      keeper = new LeaseKeeper(
        coordination,
        lease.id,
        options.ttlMilliseconds,
        options.recorder,
        sentAt,
      );
    } catch {
      options.recorder.counts.failed++;
      await sleep(100);
      continue;
    }
    try {
      const token = await acquire(coordination, keeper, lock, mode, options, report);
      if (token === undefined) continue;
      const hold = { clientId, lock, mode, token, grantedAt: options.recorder.now() };
      await holdAndWork(client, keeper, hold, stale, prng, options, report);
    } finally {
      keeper.stop();
      // The lease's end releases the lock in the same entry; best effort (it expires anyway).
      const signal = AbortSignal.timeout(quickMilliseconds);
      await coordination.revokeLease(keeper.leaseId, { signal }).catch(() => undefined);
    }
  }
}

/** The token, or undefined when not granted in time (or the lease ended meanwhile). */
async function acquire(
  coordination: CoordinationClient,
  keeper: LeaseKeeper,
  lock: string,
  mode: LockHoldMode,
  options: LockWorkloadOptions,
  report: LockWorkloadReport,
): Promise<number | undefined> {
  const requestId = randomUUID();
  const giveUpAt = options.recorder.now() + acquireGiveUpMilliseconds;
  for (let round = 0; round < 100 && keeper.believes(); round++) {
    const left = Math.floor(giveUpAt - options.recorder.now());
    if (left <= 0 || options.stopped()) break;
    const wait = Math.min(left, acquireWaitMilliseconds);
    try {
      const answer = await coordination.acquireLock(lock, {
        leaseId: keeper.leaseId,
        mode,
        requestId,
        waitMilliseconds: wait,
        signal: AbortSignal.timeout(wait + quickMilliseconds),
      });
      if (answer.granted) {
        report.acquires.granted++;
        options.recorder.counts.ok++;
        return answer.token;
      }
    } catch {
      report.acquires.failed++;
      await sleep(100);
    }
  }
  report.acquires.notGranted++;
  return undefined;
}

async function holdAndWork(
  client: CairnClient,
  keeper: LeaseKeeper,
  hold: Omit<LockHold, 'endedAt'>,
  stale: boolean,
  prng: Prng,
  options: LockWorkloadOptions,
  report: LockWorkloadReport,
): Promise<void> {
  const { recorder } = options;
  const finish = (): void => {
    const endedAt = Math.min(recorder.now(), keeper.believedUntil());
    if (endedAt > hold.grantedAt) report.holds.push({ ...hold, endedAt });
  };
  if (!keeper.believes()) return;
  let count: number;
  try {
    count = await readCount(client, hold.lock);
  } catch {
    return finish();
  }
  if (hold.mode === 'shared') {
    const until = Math.min(keeper.believedUntil(), recorder.now() + sharedHoldMillisecondsMax);
    await sleep(Math.max(0, Math.floor((until - recorder.now()) * prng.nextFloat())));
    return finish();
  }
  if (stale) {
    keeper.stop();
    finish(); // it believes until its deadline, then stalls past it
    const late = keeper.believedUntil() + beliefMarginMilliseconds + stallBeyondMilliseconds;
    await sleep(Math.max(0, Math.ceil(late - recorder.now())));
    await increment(client, hold, count, true, options, report);
    return;
  }
  if (keeper.believes()) await increment(client, hold, count, false, options, report);
  finish();
}

async function increment(
  client: CairnClient,
  hold: Omit<LockHold, 'endedAt'>,
  readCount: number,
  stale: boolean,
  options: LockWorkloadOptions,
  report: LockWorkloadReport,
): Promise<void> {
  const { recorder } = options;
  const invokedAt = recorder.now();
  const base = { clientId: hold.clientId, lock: hold.lock, token: hold.token, stale, invokedAt };
  const wroteCount = readCount + 1;
  const value = JSON.stringify({ count: wroteCount, token: hold.token, client: hold.clientId });
  try {
    const written = await client.putObject(counterKey(hold.lock), Buffer.from(value), {
      fence: `${hold.lock}=${hold.token}`,
    });
    recorder.counts.ok++;
    report.writes.push({
      ...base,
      readCount,
      wroteCount,
      completedAt: recorder.now(),
      outcome: 'ok',
      version: written.version,
    });
  } catch (error) {
    const outcome = writeOutcomeOf(error);
    recorder.counts[outcome]++;
    report.writes.push({
      ...base,
      readCount,
      wroteCount,
      completedAt: outcome === 'failed' ? recorder.now() : undefined,
      outcome,
      errorCode: errorCodeOf(error),
    });
  }
}

/** The counter's count by a linearizable read (0 while absent). */
export async function readCount(client: CairnClient, lock: string): Promise<number> {
  try {
    const result = await client.getObject(counterKey(lock));
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    const count = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { count?: unknown }).count;
    if (typeof count !== 'number' || !Number.isSafeInteger(count))
      throw new Error(`the counter of ${lock} holds no count`);
    return count;
  } catch (error) {
    if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND') return 0;
    throw error;
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
