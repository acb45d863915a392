// Latencies in an HdrHistogram (hdr-histogram-js): microsecond resolution, 3
// significant digits, fixed memory whatever the run length.

import * as hdr from 'hdr-histogram-js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export interface LatencySummary {
  readonly count: number;
  readonly p50Milliseconds: number;
  readonly p90Milliseconds: number;
  readonly p99Milliseconds: number;
  readonly p999Milliseconds: number;
  readonly maxMilliseconds: number;
  readonly meanMilliseconds: number;
}

export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: limits.benchLatencyMicrosecondsMax,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  recordMilliseconds(milliseconds: number): void {
    assert(Number.isFinite(milliseconds), 'latency is finite');
    // A clock can step by a hair; a negative latency is recorded as the smallest value.
    const microseconds = Math.min(
      Math.max(1, Math.round(milliseconds * 1000)),
      limits.benchLatencyMicrosecondsMax,
    );
    this.histogram.recordValue(microseconds);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /**
   * The value at a percentile. HdrHistogram answers with the top of the value's bucket
   * (within 0.1%), which can exceed the exact maximum: clamp so p99 <= max always.
   */
  percentileMilliseconds(percentile: number): number {
    assert(percentile >= 0 && percentile <= 100, 'percentile in [0, 100]');
    if (this.histogram.totalCount === 0) return 0;
    return (
      Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue) / 1000
    );
  }

  summary(): LatencySummary {
    const empty = this.histogram.totalCount === 0;
    return {
      count: this.histogram.totalCount,
      p50Milliseconds: this.percentileMilliseconds(50),
      p90Milliseconds: this.percentileMilliseconds(90),
      p99Milliseconds: this.percentileMilliseconds(99),
      p999Milliseconds: this.percentileMilliseconds(99.9),
      maxMilliseconds: empty ? 0 : this.histogram.maxValue / 1000,
      meanMilliseconds: empty ? 0 : this.histogram.mean / 1000,
    };
  }
}
