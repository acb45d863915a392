// The chunks of this node's puts and staged uploads still in flight (stored, not yet
// committed or failed): what the leader's garbage collection leaves out of a collection,
// so a long put is not refused at its commit over and over (liveness only: safety comes
// from the commit check in apply, src/meta/garbage, which needs no memory of the put).
// In memory: a restarted node has no puts in flight.

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export class InFlightChunks {
  private readonly counts = new Map<string, number>();

  /** Registers a chunk before its first copy is stored. */
  add(sha256: string): void {
    this.counts.set(sha256, (this.counts.get(sha256) ?? 0) + 1);
  }

  /** Forgets the chunks of one put once it committed or failed. */
  release(sha256s: readonly string[]): void {
    for (const sha256 of sha256s) {
      const count = this.counts.get(sha256);
      assert(count !== undefined && count >= 1, 'a released chunk was registered');
      if (count === 1) this.counts.delete(sha256);
      else this.counts.set(sha256, count - 1);
    }
  }

  /** At most garbageInFlightChunksReportedMax chunks; complete says whether that was all. */
  report(): { chunks: string[]; complete: boolean } {
    const max = limits.garbageInFlightChunksReportedMax;
    const chunks: string[] = [];
    for (const sha256 of this.counts.keys()) {
      if (chunks.length >= max) return { chunks, complete: false };
      chunks.push(sha256);
    }
    return { chunks, complete: true };
  }
}
