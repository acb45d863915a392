// The simulated network: every message is delivered at a tick chosen at send
// time, or dropped, or delivered twice. Links can be cut in one direction
// (partitions of any shape are sets of cut directed links). Deterministic: the
// delivery order is (tick, send sequence).

import type { Message, NodeId } from '../../src/raft/types.js';
import { assert } from '../../src/util/assert.js';
import type { Prng } from '../../src/util/prng.js';

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  /** Extra delay in ticks, uniform in [0, delayTicksMax]; without reordering a link stays FIFO. */
  delayTicksMax: number;
  reorder: boolean;
}

export const reliableNetwork: NetworkFaults = {
  dropProbability: 0,
  duplicateProbability: 0,
  delayTicksMax: 0,
  reorder: false,
};

interface InFlight {
  readonly message: Message;
  readonly deliverAt: number;
  readonly sequence: number;
  readonly duplicate: boolean;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

export class SimNetwork {
  faults: NetworkFaults = reliableNetwork;
  private readonly cut = new Set<string>();
  private inFlight: InFlight[] = [];
  private sequence = 0;
  private readonly linkLastDelivery = new Map<string, number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(private readonly prng: Prng) {}

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Cut every link between the two groups, in both directions. */
  separate(groupA: readonly NodeId[], groupB: readonly NodeId[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** Queue a message; false when it was dropped at once (a cut link or a random loss). */
  send(message: Message, now: number): boolean {
    this.stats.sent++;
    if (this.isCut(message.from, message.to) || this.prng.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return false;
    }
    this.enqueue(message, now, false);
    if (this.prng.chance(this.faults.duplicateProbability)) {
      this.stats.duplicated++;
      this.enqueue(message, now, true);
    }
    return true;
  }

  private enqueue(message: Message, now: number, duplicate: boolean): void {
    const link = `${message.from}>${message.to}`;
    let deliverAt =
      now +
      1 +
      (this.faults.delayTicksMax > 0
        ? this.prng.nextIntegerInclusive(0, this.faults.delayTicksMax)
        : 0);
    if (!this.faults.reorder) deliverAt = Math.max(deliverAt, this.linkLastDelivery.get(link) ?? 0);
    this.linkLastDelivery.set(link, deliverAt);
    this.sequence++;
    this.inFlight.push({ message, deliverAt, sequence: this.sequence, duplicate });
  }

  /** Messages due at `now` and not held, in delivery order; those on links cut meanwhile are dropped. */
  takeDue(
    now: number,
    isHeld: (message: Message) => boolean = () => false,
  ): { message: Message; duplicate: boolean }[] {
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const item of this.inFlight)
      (item.deliverAt <= now && !isHeld(item.message) ? due : later).push(item);
    this.inFlight = later;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.sequence - b.sequence);
    const result: { message: Message; duplicate: boolean }[] = [];
    for (const item of due) {
      if (this.isCut(item.message.from, item.message.to)) {
        this.stats.dropped++;
        continue;
      }
      this.stats.delivered++;
      result.push({ message: item.message, duplicate: item.duplicate });
    }
    return result;
  }

  inFlightCount(): number {
    return this.inFlight.length;
  }

  /** Drop everything addressed to `nodeId` (its process died: connections reset). */
  dropTo(nodeId: NodeId): void {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((item) => item.message.to !== nodeId);
    this.stats.dropped += before - this.inFlight.length;
    assert(this.inFlight.length <= before, 'dropping never adds');
  }
}
