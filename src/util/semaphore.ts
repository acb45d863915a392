// A counting semaphore with a FIFO queue: bounds how many of a costly thing exist at
// once (node-wide chunk buffers, for one). Waiters are served in arrival order, so
// no caller starves while others keep taking permits.

import { assert, assertInteger } from './assert.js';

export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly permitsMax: number) {
    assertInteger(permitsMax, 'permitsMax', 1);
    this.available = permitsMax;
  }

  /** Resolves once a permit is held; the caller must release() it exactly once. */
  acquire(): Promise<void> {
    if (this.available > 0 && this.waiters.length === 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) {
      next(); // the permit passes straight to the next waiter
      return;
    }
    this.available++;
    assert(this.available <= this.permitsMax, 'a permit was released twice');
  }

  /** Permits held right now (for metrics and tests). */
  held(): number {
    return this.permitsMax - this.available;
  }

  waiting(): number {
    return this.waiters.length;
  }
}
