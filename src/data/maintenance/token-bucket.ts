// A token bucket in bytes: bounds the rate of rebalance, repair and scrub traffic.
// Pure: the caller passes the clock. A chunk larger than the burst is allowed through
// by going into debt, so the long-run rate still holds (chunks are up to 4 MiB and a
// rate may be lower than that per second).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';

export class TokenBucket {
  private tokensBytes: number;
  private lastMilliseconds: number;

  /** rateBytesPerSecond 0 = unlimited. The burst defaults to one second of rate. */
  constructor(
    private rateBytesPerSecond: number,
    nowMilliseconds: number,
    private readonly burstBytes: number = Math.max(rateBytesPerSecond, 1),
  ) {
    assertRate(rateBytesPerSecond);
    assert(burstBytes > 0, 'a positive burst');
    this.tokensBytes = Math.min(this.burstBytes, Math.max(rateBytesPerSecond, 0));
    this.lastMilliseconds = nowMilliseconds;
  }

  get rate(): number {
    return this.rateBytesPerSecond;
  }

  setRate(rateBytesPerSecond: number, nowMilliseconds: number): void {
    assertRate(rateBytesPerSecond);
    this.refill(nowMilliseconds);
    this.rateBytesPerSecond = rateBytesPerSecond;
    if (rateBytesPerSecond === 0) this.tokensBytes = 0;
  }

  /** Takes `bytes` now; returns how long (ms) the caller must wait before sending them. */
  take(bytes: number, nowMilliseconds: number): number {
    assert(Number.isSafeInteger(bytes) && bytes >= 0, 'bytes to take is a non-negative integer');
    if (this.rateBytesPerSecond === 0) return 0;
    this.refill(nowMilliseconds);
    this.tokensBytes -= bytes;
    const waitMilliseconds =
      this.tokensBytes >= 0 ? 0 : (-this.tokensBytes / this.rateBytesPerSecond) * 1000;
    assert(waitMilliseconds >= 0 && Number.isFinite(waitMilliseconds), 'a finite wait');
    return waitMilliseconds;
  }

  private refill(nowMilliseconds: number): void {
    const elapsed = Math.max(0, nowMilliseconds - this.lastMilliseconds);
    this.lastMilliseconds = Math.max(this.lastMilliseconds, nowMilliseconds);
    if (this.rateBytesPerSecond === 0) return;
    this.tokensBytes = Math.min(
      this.burstBytes,
      this.tokensBytes + (elapsed / 1000) * this.rateBytesPerSecond,
    );
  }
}

function assertRate(rateBytesPerSecond: number): void {
  assert(
    Number.isSafeInteger(rateBytesPerSecond) &&
      rateBytesPerSecond >= 0 &&
      rateBytesPerSecond <= limits.maintenanceRateBytesPerSecondMax,
    `rate within [0, maintenanceRateBytesPerSecondMax], got ${rateBytesPerSecond}`,
  );
}
