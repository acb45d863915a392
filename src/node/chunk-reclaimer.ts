// Every node's half of garbage collection (issue 13; src/meta/garbage): once it applied
// a collection, it deletes its copies of the chunks the collection took that are still
// unreferenced in its state, in index order, and records durably how far it got
// ("reclaimed through"). No clock decides: a chunk file stays while a reference holds it,
// and a put in flight is protected by two checks that need no memory of the put:
//
// * its commit is refused in apply when a collection after its start took one of its
//   chunks (chunksCollectedProblem): the put's chunks may be gone, the client writes again;
// * a chunk write waits here until this node reclaimed every collection its writer had
//   applied (the writer's index, x-cairn-collected-through) and every one this node
//   applied. So no copy written for a put can be deleted by a collection at or before the
//   put's start, the ones the commit check lets through.
//
// "Reclaimed through" is persisted (write, fsync, rename, fsync the directory) before a
// write waiting on it is let in: a restart never replays a collection over copies
// written after it was reclaimed.

import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  chunkRetainedReferenceCount,
  type MetaReader,
  nextCollection,
  readGarbageState,
} from '../meta/index.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { chunkWriteMayBeStored, collectedCopyMayBeRemoved } from './chunk-removal-rules.js';

export interface ChunkReclaimerOptions {
  readonly reader: () => MetaReader;
  readonly store: { remove(sha256: string): Promise<boolean> };
  /** The file holding "reclaimed through" (in the data directory). */
  readonly progressPath: string;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

const waitPollMilliseconds = 20;

export class ChunkReclaimer {
  private running: Promise<void> | undefined;
  private removedTotal = 0;

  private constructor(
    private readonly options: ChunkReclaimerOptions,
    private reclaimedThrough: number,
  ) {}

  /** Reads the persisted progress (0 when the node never reclaimed). */
  static load(options: ChunkReclaimerOptions): ChunkReclaimer {
    let through = 0;
    try {
      through = Number(readFileSync(options.progressPath, 'utf8').trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    assert(Number.isSafeInteger(through) && through >= 0, 'reclaimed-through is an index');
    return new ChunkReclaimer(options, through);
  }

  /** The last collection whose chunks this node deleted (persisted). */
  get through(): number {
    return this.reclaimedThrough;
  }

  get removed(): number {
    return this.removedTotal;
  }

  /** The last collection this node applied: what its own outgoing chunk writes carry. */
  appliedCollectionIndex(): number {
    return readGarbageState(this.options.reader()).lastCollectionIndex;
  }

  /**
   * Resolves once this node reclaimed every collection through the writer's and its own
   * applied one; a node too far behind refuses (UNAVAILABLE: the writer uses another).
   */
  async admit(writerCollectionIndex: number): Promise<void> {
    assert(
      Number.isSafeInteger(writerCollectionIndex) && writerCollectionIndex >= 0,
      'a writer names a collection index',
    );
    const deadline = performance.now() + limits.garbageChunkWriteWaitMillisecondsMax;
    const pollsMax = Math.ceil(limits.garbageChunkWriteWaitMillisecondsMax / waitPollMilliseconds);
    const mayStore = (): boolean =>
      chunkWriteMayBeStored({
        writerCollectionIndex,
        appliedCollectionIndex: this.appliedCollectionIndex(),
        reclaimedThroughIndex: this.reclaimedThrough,
      });
    for (let poll = 0; poll <= pollsMax; poll++) {
      if (mayStore()) return;
      await this.catchUp();
      if (mayStore()) return;
      if (performance.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, waitPollMilliseconds));
    }
    throw new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `this node has not applied the garbage collection at index ${writerCollectionIndex} yet (reclaimed through ${this.reclaimedThrough}); the chunk goes elsewhere`,
    );
  }

  /** Deletes the chunks of every collection applied here and not yet reclaimed (one run at a time). */
  catchUp(): Promise<void> {
    if (this.running !== undefined) return this.running;
    const running = this.reclaim().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** The duty of every node: reclaim what it applied, even with no write waiting. */
  async duty(): Promise<void> {
    try {
      await this.catchUp();
    } catch (error) {
      this.options.log('garbage-reclaim-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async reclaim(): Promise<void> {
    const through = this.appliedCollectionIndex();
    if (through <= this.reclaimedThrough) return;
    let after = this.reclaimedThrough;
    let removed = 0;
    let kept = 0;
    // Bounded: at most every retained collection, each at most a page of chunks.
    for (let step = 0; step < limits.garbageCollectionsRetainedMax + 1; step++) {
      const collection = nextCollection(this.options.reader(), after, through);
      if (collection === undefined) break;
      for (const sha256 of collection.sha256s) {
        const copy = {
          referenceCount: chunkRetainedReferenceCount(this.options.reader(), sha256),
          collectionIndex: collection.index,
          appliedCollectionIndex: through,
        };
        // Referenced again since the collection (a later put, staged or retained): kept.
        if (!collectedCopyMayBeRemoved(copy)) kept++;
        else if (await this.options.store.remove(sha256)) removed++;
      }
      after = collection.index;
    }
    await this.persist(through);
    this.reclaimedThrough = through;
    this.removedTotal += removed;
    if (removed > 0 || kept > 0) this.options.log('garbage-reclaimed', { through, removed, kept });
  }

  private async persist(through: number): Promise<void> {
    const path = this.options.progressPath;
    const temporary = `${path}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(`${through}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    const directory = await open(dirname(path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

export function reclaimerProgressPath(dataDirectory: string): string {
  return join(dataDirectory, 'garbage-reclaimed-through');
}
