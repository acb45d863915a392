// cairn lock: hold a lock through a lease and run a command under it. The safety rule:
// the child's whole process group is dead before the server could grant the lock to
// anyone else. The server never expires a lease before TTL has passed since the
// commit of its last keepalive, and that commit came after this process sent it, so
// `sent + TTL` (our monotonic clock) is a time the lock is surely still ours. The
// child gets SIGTERM at `sent + TTL - margin` and SIGKILL at `sent + TTL - margin/2`.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { LockModeName } from '../api/index.js';
import type { CoordinationClient } from '../client/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export const lockExitCodes = { notAcquired: 75, lost: 76 } as const;

export interface LockRunOptions {
  readonly name: string;
  readonly mode: LockModeName;
  readonly semaphoreLimit?: number;
  readonly ttlMilliseconds: number;
  readonly timeoutMilliseconds: number;
  /** The command and its arguments (no shell); none: hold until SIGINT or SIGTERM. */
  readonly command: readonly string[];
  /** Prints what a user reads (the token line, the reason of a loss). */
  readonly report: (event: LockEvent) => void;
  /**
   * Runs once the lock is granted, before the command (cairn elect writes its value);
   * `deadline` is when the lease may be gone at the earliest (performance.now()).
   * Resolves to a reason when the lock was lost meanwhile.
   */
  readonly announce?: (grant: LockGrant, deadline: () => number) => Promise<string | undefined>;
}

export interface LockGrant {
  readonly token: number;
  readonly fence: string;
  readonly leaseId: number;
}

export type LockEvent =
  | {
      readonly event: 'acquired';
      readonly name: string;
      readonly token: number;
      readonly fence: string;
      readonly leaseId: number;
    }
  | { readonly event: 'not-acquired'; readonly name: string; readonly reason: string }
  | {
      readonly event: 'lost';
      readonly name: string;
      readonly token: number;
      readonly reason: string;
    }
  | {
      readonly event: 'released';
      readonly name: string;
      readonly token: number;
      readonly exitCode: number;
    };

/** The margin before the deadline at which the child is stopped: a fifth of the TTL, at least 1 s. */
export function stopMarginMilliseconds(ttlMilliseconds: number): number {
  return Math.min(Math.max(1000, Math.floor(ttlMilliseconds / 5)), Math.floor(ttlMilliseconds / 2));
}

const now = () => performance.now();

/** Keeps a lease alive; `lost` settles (with a reason) once it can no longer be sure of it. */
class LeaseKeeper {
  private lastSent: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly controller = new AbortController();
  readonly lost: Promise<string>;
  private declareLost: (reason: string) => void = () => {};

  constructor(
    private readonly coordination: CoordinationClient,
    readonly leaseId: number,
    private readonly ttlMilliseconds: number,
    grantSent: number,
  ) {
    this.lastSent = grantSent;
    this.lost = new Promise((resolve) => {
      this.declareLost = resolve;
    });
    void this.loop();
  }

  /** When the lease may be gone at the earliest (our clock): last acknowledged send + TTL. */
  deadline(): number {
    return this.lastSent + this.ttlMilliseconds;
  }

  private async loop(): Promise<void> {
    const period = Math.max(100, Math.floor(this.ttlMilliseconds / 4));
    let failed = false;
    for (let round = 0; round < Number.MAX_SAFE_INTEGER && !this.stopped; round++) {
      // After a failure, try again soon: the deadline does not wait.
      await sleep(failed ? Math.min(period, 250) : period, (timer) => {
        this.timer = timer;
      });
      if (this.stopped) return;
      const sent = now();
      const left = this.deadline() - sent;
      if (left <= 0) return this.declareLost('no keepalive was acknowledged within the TTL');
      const attempt = AbortSignal.any([
        this.controller.signal,
        AbortSignal.timeout(Math.max(50, Math.floor(left))),
      ]);
      try {
        await this.coordination.keepaliveLease(this.leaseId, { signal: attempt });
        this.lastSent = Math.max(this.lastSent, sent);
        failed = false;
      } catch (error) {
        if (this.stopped) return;
        failed = true;
        if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND')
          return this.declareLost(`the lease ended: ${error.message}`);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller.abort();
  }
}

function sleep(milliseconds: number, onTimer?: (timer: NodeJS.Timeout) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    onTimer?.(timer);
  });
}

/** Runs `cairn lock`; resolves to the exit code. */
export async function runLock(
  coordination: CoordinationClient,
  options: LockRunOptions,
): Promise<number> {
  const granted = await grantLease(coordination, options);
  if (typeof granted === 'string') {
    options.report({ event: 'not-acquired', name: options.name, reason: granted });
    return lockExitCodes.notAcquired;
  }
  const { lease, grantSent } = granted;
  const keeper = new LeaseKeeper(coordination, lease.id, options.ttlMilliseconds, grantSent);
  const requestId = randomUUID();
  try {
    const acquired = await acquire(coordination, options, keeper, requestId);
    if (typeof acquired === 'string') {
      options.report({ event: 'not-acquired', name: options.name, reason: acquired });
      return lockExitCodes.notAcquired;
    }
    const fence = `${options.name}=${acquired}`;
    const grant = { token: acquired, fence, leaseId: lease.id };
    const announceLost = await options.announce?.(grant, () => keeper.deadline());
    if (announceLost !== undefined) {
      options.report({ event: 'lost', name: options.name, token: acquired, reason: announceLost });
      return lockExitCodes.lost;
    }
    options.report({
      event: 'acquired',
      name: options.name,
      token: acquired,
      fence,
      leaseId: lease.id,
    });
    const outcome = await hold(options, keeper, acquired, fence);
    if (outcome.lost !== undefined) {
      options.report({ event: 'lost', name: options.name, token: acquired, reason: outcome.lost });
      return lockExitCodes.lost;
    }
    options.report({
      event: 'released',
      name: options.name,
      token: acquired,
      exitCode: outcome.exitCode,
    });
    return outcome.exitCode;
  } finally {
    keeper.stop();
    // Best effort: the lease's end releases the lock too (or its expiry, if we cannot reach anyone).
    const quick = { signal: AbortSignal.timeout(Math.min(5000, options.ttlMilliseconds)) };
    await coordination.revokeLease(lease.id, { ...quick, idempotent: true }).catch(() => undefined);
  }
}

/** A lease grant's answer lost to these is asked again: an orphan lease only expires. */
const grantRetryCodes: ReadonlySet<string> = new Set([
  'CAIRN_ERR_UNAVAILABLE',
  'CAIRN_ERR_TIMEOUT',
  'CAIRN_ERR_NOT_LEADER',
]);

/**
 * A lease, asked again while --timeout lasts when the cluster cannot answer (a lease
 * granted for an answer that was lost just expires); or why there is none.
 */
async function grantLease(
  coordination: CoordinationClient,
  options: LockRunOptions,
): Promise<{ lease: { id: number }; grantSent: number } | string> {
  const giveUp = now() + options.timeoutMilliseconds;
  let lastError = '';
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const grantSent = now();
    try {
      const lease = await coordination.grantLease(options.ttlMilliseconds);
      return { lease, grantSent };
    } catch (error) {
      if (!(error instanceof CairnError) || !grantRetryCodes.has(error.code)) throw error;
      lastError = error.message;
    }
    if (now() >= giveUp) break;
    await sleep(Math.min(500, Math.max(0, giveUp - now())));
  }
  return `no lease was granted within ${options.timeoutMilliseconds} ms: ${lastError}`;
}

/** The token, or why it was not acquired. */
async function acquire(
  coordination: CoordinationClient,
  options: LockRunOptions,
  keeper: LeaseKeeper,
  requestId: string,
): Promise<number | string> {
  const giveUp = now() + options.timeoutMilliseconds;
  let lostReason: string | undefined;
  void keeper.lost.then((reason) => {
    lostReason = reason;
  });
  for (let round = 0; round < 1_000_000; round++) {
    const left = giveUp - now();
    if (lostReason !== undefined) return `the lease was lost while waiting: ${lostReason}`;
    if (left <= 0) break;
    const wait = Math.min(Math.floor(left), limits.lockWaitMillisecondsMax);
    try {
      const answer = await coordination.acquireLock(options.name, {
        leaseId: keeper.leaseId,
        mode: options.mode,
        requestId,
        waitMilliseconds: wait,
        signal: AbortSignal.timeout(wait + 5000),
        ...(options.semaphoreLimit === undefined ? {} : { semaphoreLimit: options.semaphoreLimit }),
      });
      if (answer.granted) return answer.token;
    } catch (error) {
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_INVALID_ARGUMENT') throw error;
      await sleep(Math.min(500, Math.max(0, giveUp - now())));
    }
  }
  const quick = { signal: AbortSignal.timeout(5000) };
  await coordination.releaseLock(options.name, requestId, quick).catch(() => undefined);
  return `lock ${options.name} was not acquired within ${options.timeoutMilliseconds} ms`;
}

type HoldOutcome = { readonly lost?: string; readonly exitCode: number };

async function hold(
  options: LockRunOptions,
  keeper: LeaseKeeper,
  token: number,
  fence: string,
): Promise<HoldOutcome> {
  if (options.command.length === 0) return holdUntilSignal(keeper, options.ttlMilliseconds);
  const [file, ...args] = options.command as [string, ...string[]];
  const child = spawn(file, args, {
    detached: true, // its own process group: a loss stops the whole group
    stdio: 'inherit',
    env: {
      ...process.env,
      CAIRN_LOCK_NAME: options.name,
      CAIRN_LOCK_TOKEN: String(token),
      CAIRN_FENCE: fence,
    },
  });
  const exited = childExit(child);
  const forward = (signal: NodeJS.Signals) => signalGroup(child, signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const watchdog = lossWatchdog(keeper, options.ttlMilliseconds);
    const first = await Promise.race([exited.then((code) => ({ code })), watchdog.fired]);
    if ('code' in first) {
      watchdog.cancel();
      return { exitCode: first.code };
    }
    // Lost: stop the group before anyone else can be granted the lock.
    signalGroup(child, 'SIGTERM');
    const killAt = keeper.deadline() - stopMarginMilliseconds(options.ttlMilliseconds) / 2;
    const graceful = await Promise.race([
      exited.then(() => true),
      sleep(Math.max(0, killAt - now())).then(() => false),
    ]);
    if (!graceful) signalGroup(child, 'SIGKILL');
    signalGroup(child, 'SIGKILL'); // the rest of the group, whatever the leader did
    await exited;
    return { lost: first.reason, exitCode: lockExitCodes.lost };
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** Fires at deadline - margin (checked on a short period), or when the lease is surely gone. */
function lossWatchdog(keeper: LeaseKeeper, ttlMilliseconds: number) {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const margin = stopMarginMilliseconds(ttlMilliseconds);
  const fired = new Promise<{ reason: string }>((resolve) => {
    void keeper.lost.then((reason) => resolve({ reason }));
    const check = () => {
      if (cancelled) return;
      const left = keeper.deadline() - margin - now();
      if (left <= 0) {
        const since = Math.round(now() - (keeper.deadline() - ttlMilliseconds));
        resolve({
          reason: `no keepalive acknowledged for ${since} ms (TTL ${ttlMilliseconds} ms)`,
        });
        return;
      }
      timer = setTimeout(check, Math.min(left, 100));
    };
    check();
  });
  return {
    fired,
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

async function holdUntilSignal(keeper: LeaseKeeper, ttlMilliseconds: number): Promise<HoldOutcome> {
  const watchdog = lossWatchdog(keeper, ttlMilliseconds);
  let onSignal: () => void = () => {};
  const signalled = new Promise<void>((resolve) => {
    onSignal = resolve;
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const first = await Promise.race([signalled.then(() => undefined), watchdog.fired]);
    watchdog.cancel();
    return first === undefined
      ? { exitCode: 0 }
      : { lost: first.reason, exitCode: lockExitCodes.lost };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`cairn lock: cannot run ${child.spawnfile}: ${error.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(128 + signalNumber(signal));
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGHUP: 1,
  };
  return (signal === null ? undefined : numbers[signal]) ?? 1;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
