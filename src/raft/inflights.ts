// The appends sent to one follower and not yet acknowledged, bounded by message count
// AND bytes (flow control). A fixed ring: `add` at the tail, `freeLE` from the head.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';

export class Inflights {
  readonly messagesMax: number;
  readonly bytesMax: number;
  private readonly lastIndexes: number[];
  private readonly sizesBytes: number[];
  private start = 0;
  private countValue = 0;
  private bytesValue = 0;

  constructor(messagesMax: number, bytesMax: number) {
    assertInteger(
      messagesMax,
      'inflight messages max',
      1,
      limits.raftInflightAppendsPerFollowerMax,
    );
    assertInteger(bytesMax, 'inflight bytes max', 1, limits.raftInflightBytesPerFollowerMax);
    this.messagesMax = messagesMax;
    this.bytesMax = bytesMax;
    this.lastIndexes = new Array<number>(messagesMax).fill(0);
    this.sizesBytes = new Array<number>(messagesMax).fill(0);
  }

  get count(): number {
    return this.countValue;
  }

  get bytes(): number {
    return this.bytesValue;
  }

  /** Full when either bound is reached; the leader then pauses sending appends. */
  full(): boolean {
    return this.countValue === this.messagesMax || this.bytesValue >= this.bytesMax;
  }

  /** Record an append whose last entry is `lastIndex`. Indexes must increase. */
  add(lastIndex: number, sizeBytes: number): void {
    assert(!this.full(), 'cannot add to full inflights');
    assertInteger(sizeBytes, 'inflight size bytes');
    if (this.countValue > 0) {
      const newest = this.lastIndexes[(this.start + this.countValue - 1) % this.messagesMax];
      assert(newest !== undefined && lastIndex > newest, 'inflight indexes increase');
    }
    const slot = (this.start + this.countValue) % this.messagesMax;
    this.lastIndexes[slot] = lastIndex;
    this.sizesBytes[slot] = sizeBytes;
    this.countValue++;
    this.bytesValue += sizeBytes;
  }

  /** Free every append whose last index is <= `index` (acknowledged). */
  freeLE(index: number): void {
    let freed = 0;
    while (freed < this.countValue) {
      const slot = (this.start + freed) % this.messagesMax;
      const lastIndex = this.lastIndexes[slot];
      assert(lastIndex !== undefined, 'slot in range');
      if (lastIndex > index) break;
      this.bytesValue -= this.sizesBytes[slot] ?? 0;
      freed++;
    }
    this.start = (this.start + freed) % this.messagesMax;
    this.countValue -= freed;
    assert(this.bytesValue >= 0, 'inflight bytes never negative');
    if (this.countValue === 0) {
      this.start = 0;
      this.bytesValue = 0;
    }
  }

  /** Free the oldest append (used when a heartbeat response shows the follower alive but acks were lost). */
  freeFirstOne(): void {
    if (this.countValue === 0) return;
    const oldest = this.lastIndexes[this.start];
    assert(oldest !== undefined, 'oldest slot in range');
    this.freeLE(oldest);
  }

  reset(): void {
    this.start = 0;
    this.countValue = 0;
    this.bytesValue = 0;
  }
}
