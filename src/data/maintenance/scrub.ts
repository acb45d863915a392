// Scrub: re-hash every local chunk at a bounded rate. A copy that fails is quarantined
// by the chunk store on the read itself; scrub collects which ones, so the caller can
// re-fetch them from a good replica. I/O is injected (the node passes its chunk store).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import type { TokenBucket } from './token-bucket.js';

export interface ScrubIo {
  readonly list: () => Promise<readonly string[]>;
  /** Bytes of the chunk file (for the rate limit); undefined if it vanished. */
  readonly sizeOf: (sha256: string) => Promise<number | undefined>;
  /** True if intact; false if it failed verification (and was quarantined). */
  readonly verify: (sha256: string) => Promise<boolean>;
}

export interface ScrubReport {
  readonly chunksChecked: number;
  readonly bytesChecked: number;
  readonly corrupt: string[];
  /** Chunks that vanished between the listing and the check (gc, surplus removal). */
  readonly vanished: number;
  readonly interrupted: boolean;
}

export interface ScrubOptions {
  readonly bucket: TokenBucket;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly shouldContinue: () => boolean;
  readonly onChecked?: (sha256: string, bytes: number) => void;
}

export async function scrubChunks(io: ScrubIo, options: ScrubOptions): Promise<ScrubReport> {
  const names = await io.list();
  assert(
    names.length <= limits.maintenanceChunksScanMax,
    'local chunks within maintenanceChunksScanMax',
  );
  const corrupt: string[] = [];
  let chunksChecked = 0;
  let bytesChecked = 0;
  let vanished = 0;
  for (const sha256 of names) {
    if (!options.shouldContinue())
      return { chunksChecked, bytesChecked, corrupt, vanished, interrupted: true };
    const bytes = await io.sizeOf(sha256);
    if (bytes === undefined) {
      vanished++;
      continue;
    }
    const wait = options.bucket.take(bytes, options.now());
    if (wait > 0) await options.sleep(wait);
    let intact: boolean;
    try {
      intact = await io.verify(sha256);
    } catch (error) {
      if ((error as { code?: string }).code !== 'CAIRN_ERR_NOT_FOUND') throw error;
      vanished++;
      continue;
    }
    chunksChecked++;
    bytesChecked += bytes;
    if (!intact) corrupt.push(sha256);
    options.onChecked?.(sha256, bytes);
  }
  return { chunksChecked, bytesChecked, corrupt, vanished, interrupted: false };
}
