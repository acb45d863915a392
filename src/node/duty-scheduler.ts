// Periodic work in one place, ticked by the meta group's driver tick: leader duties
// (record the cluster, promote learners, rebalance passes, garbage collection) and
// node duties (scrub). Each duty runs at most once at a time; a leader duty also runs
// as soon as this node becomes leader when it asks to.

import { assert } from '../util/assert.js';

export interface Duty {
  readonly name: string;
  /** Runs every this many ticks (at least 1). */
  readonly everyTicks: number;
  /** leader: only while this node leads the meta group; every: on every member. */
  readonly runsOn: 'leader' | 'every';
  /** Also run at once when this node becomes leader. */
  readonly onLeadership?: boolean;
  readonly run: () => Promise<void>;
}

/** Milliseconds to ticks, rounded up, at least one tick. */
export function ticksFor(milliseconds: number, tickMilliseconds: number): number {
  assert(milliseconds > 0 && tickMilliseconds > 0, 'positive durations');
  return Math.max(1, Math.ceil(milliseconds / tickMilliseconds));
}

const dutiesMax = 32;

export class DutyScheduler {
  private readonly duties: Duty[] = [];
  private readonly running = new Set<string>();
  private ticks = 0;
  private wasLeader = false;
  private stopped = false;

  constructor(private readonly onFailure: (duty: string, error: unknown) => void) {}

  add(duty: Duty): void {
    assert(duty.everyTicks >= 1 && Number.isSafeInteger(duty.everyTicks), 'every >= 1 tick');
    assert(!this.duties.some((other) => other.name === duty.name), `one duty ${duty.name}`);
    assert(this.duties.length < dutiesMax, 'duties are bounded');
    this.duties.push(duty);
  }

  /** One driver tick: starts every duty that is due (and not still running). */
  tick(isLeader: boolean): void {
    if (this.stopped) return;
    this.ticks++;
    const becameLeader = isLeader && !this.wasLeader;
    this.wasLeader = isLeader;
    for (const duty of this.duties) {
      if (duty.runsOn === 'leader' && !isLeader) continue;
      const due =
        this.ticks % duty.everyTicks === 0 || (becameLeader && duty.onLeadership === true);
      if (due) this.start(duty);
    }
  }

  /** Runs the leader duties that asked for it, now (this node just became leader). */
  onBecameLeader(): void {
    if (this.stopped) return;
    this.wasLeader = true;
    for (const duty of this.duties)
      if (duty.runsOn === 'leader' && duty.onLeadership === true) this.start(duty);
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  stop(): void {
    this.stopped = true;
  }

  private start(duty: Duty): void {
    if (this.running.has(duty.name)) return;
    this.running.add(duty.name);
    void duty
      .run()
      .catch((error: unknown) => this.onFailure(duty.name, error))
      .finally(() => this.running.delete(duty.name));
  }
}
