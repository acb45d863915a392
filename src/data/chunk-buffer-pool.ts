// Chunk buffers shared by every put on a node: at most `buffersMax` exist, each is
// reused once all copies of its chunk are stored. Reuse (not only a count) is what
// bounds memory: a put waiting for a buffer still references its previous chunk from
// the suspended async frame, so freshly allocated buffers would pile up, one per
// waiting put (measured: 64 puts of 64 MiB held ~350 MiB that way).

import { assert, assertInteger } from '../util/assert.js';
import { Semaphore } from '../util/semaphore.js';

export class ChunkBufferPool {
  private readonly permits: Semaphore;
  private readonly free: Uint8Array[] = [];
  private readonly owned = new Set<ArrayBufferLike>();

  constructor(
    readonly chunkSizeBytes: number,
    readonly buffersMax: number,
  ) {
    assertInteger(chunkSizeBytes, 'chunkSizeBytes', 1);
    this.permits = new Semaphore(buffersMax);
  }

  /** A buffer of chunkSizeBytes, waiting while all are in use; give it back with release(). */
  async acquire(): Promise<Uint8Array> {
    await this.permits.acquire();
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const buffer = new Uint8Array(this.chunkSizeBytes);
    this.owned.add(buffer.buffer);
    assert(this.owned.size <= this.buffersMax, 'never more buffers than buffersMax');
    return buffer;
  }

  /** Returns a buffer (or any view of it) taken with acquire(). */
  release(view: Uint8Array): void {
    assert(this.owned.has(view.buffer), 'released a buffer this pool did not hand out');
    const whole = new Uint8Array(view.buffer, 0, this.chunkSizeBytes);
    assert(
      !this.free.some((buffer) => buffer.buffer === whole.buffer),
      'a buffer was released twice',
    );
    this.free.push(whole);
    this.permits.release();
  }

  held(): number {
    return this.permits.held();
  }

  waiting(): number {
    return this.permits.waiting();
  }
}
