// The driver's linearizable reads (ReadIndex): reads queued since the last loop share
// one round; a round's answer gives the index local state must reach; a round lost (a
// dropped message, a partition, a leader change) fails so the client can retry.

import type { ReadState } from '../raft/index.js';
import { CairnError } from '../util/errors.js';

/** Two election timeouts of the default configuration. */
const readRoundTimeoutTicks = 20;

interface ReadWaiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class ReadRounds {
  /** Reads waiting for their round: all of them share the next ReadIndex request. */
  private queued: ReadWaiter[] = [];
  private readonly rounds = new Map<string, { waiters: ReadWaiter[]; startedTick: number }>();
  private roundCounter = 0;
  /** Reads whose index is known, waiting for apply to reach it. */
  private readonly awaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];

  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  enqueue(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.queued.push({ resolve, reject }));
  }

  /** Starts one round for every queued read; true when a round started. */
  start(readIndex: (context: Uint8Array) => void, tick: number): boolean {
    if (this.queued.length === 0) return false;
    const key = `r${++this.roundCounter}`;
    const waiters = this.queued;
    this.queued = [];
    try {
      readIndex(new TextEncoder().encode(key));
      this.rounds.set(key, { waiters, startedTick: tick });
      return true;
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      return false;
    }
  }

  onReadState(readState: ReadState): void {
    const key = new TextDecoder().decode(readState.requestContext);
    const round = this.rounds.get(key);
    if (round === undefined) return;
    this.rounds.delete(key);
    this.awaitingApply.push({ index: readState.index, waiters: round.waiters });
  }

  release(appliedIndex: number): void {
    for (let position = this.awaitingApply.length - 1; position >= 0; position--) {
      const pending = this.awaitingApply[position] as { index: number; waiters: ReadWaiter[] };
      if (pending.index > appliedIndex) continue;
      this.awaitingApply.splice(position, 1);
      for (const waiter of pending.waiters) waiter.resolve();
    }
  }

  /** Rounds of a former leader may never be answered. */
  leadershipLost(): void {
    this.rejectRounds(
      () => true,
      new CairnError('CAIRN_ERR_NOT_LEADER', 'leadership changed during a read; retry'),
    );
  }

  expire(tick: number): void {
    this.rejectRounds(
      (round) => tick - round.startedTick >= readRoundTimeoutTicks,
      new CairnError('CAIRN_ERR_TIMEOUT', 'the leader did not confirm the read in time; retry'),
    );
  }

  rejectAll(reason: unknown): void {
    for (const waiter of this.queued) waiter.reject(reason);
    this.queued = [];
    this.rejectRounds(() => true, reason);
    for (const pending of this.awaitingApply)
      for (const waiter of pending.waiters) waiter.reject(reason);
    this.awaitingApply.length = 0;
  }

  private rejectRounds(
    which: (round: { waiters: ReadWaiter[]; startedTick: number }) => boolean,
    reason: unknown,
  ): void {
    for (const [key, round] of this.rounds) {
      if (!which(round)) continue;
      this.rounds.delete(key);
      for (const waiter of round.waiters) waiter.reject(reason);
    }
  }
}
