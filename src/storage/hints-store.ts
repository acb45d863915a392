// Hinted copies (DESIGN.md section 6a): a chunk copy this node holds for another
// member, its home node, because that member did not answer when the chunk was
// written. The hint says which chunk and for which home; hinted hand-off reads it,
// copies the chunk home and drops the hint. Hints are per node and never go through
// Raft: placement stays computable from the ring, hints only say where else to look.
//
// Layout: one empty file per hint, `<root>/<homeMemberId>/<sha256>`. Creating or
// unlinking a file and fsyncing its directory is atomic and durable, so a crash leaves
// each hint either recorded or not, never half-written. The set is also kept in memory
// (bounded by hintsStoredMax), so lookups and listings do no disk I/O.

import { posix } from 'node:path';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { Disk } from './disk.js';
import { makeDirectoryDurable, toStorageError } from './disk.js';

export interface Hint {
  readonly sha256: string;
  /** The member the copy belongs on (one of the chunk's R home nodes when written). */
  readonly homeMemberId: string;
}

export interface HintsStoreOptions {
  /** At most this many hints (default limits.hintsStoredMax); a test lowers it. */
  readonly hintsMax?: number;
}

// The ring's identifier rule (src/placement/description.ts), kept here so that a
// member id is always a safe file name.
const memberIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const memberIdLengthMax = 255;
const sha256Pattern = /^[0-9a-f]{64}$/;

export class HintsStore {
  /** Home member id -> chunk ids hinted for it. */
  private readonly byHome = new Map<string, Set<string>>();
  private readonly durableHomes = new Set<string>();
  private count = 0;

  private constructor(
    private readonly disk: Disk,
    private readonly root: string,
    private readonly hintsMax: number,
  ) {}

  /** Opens (creating if missing) the hints directory and loads every hint in it. */
  static async open(
    disk: Disk,
    root: string,
    options: HintsStoreOptions = {},
  ): Promise<HintsStore> {
    const hintsMax = options.hintsMax ?? limits.hintsStoredMax;
    assert(Number.isSafeInteger(hintsMax) && hintsMax >= 1, 'hintsMax is a positive integer');
    const store = new HintsStore(disk, root, hintsMax);
    try {
      await makeDirectoryDurable(disk, root);
      // Bounded: the directory holds at most hintsMax files written by this code.
      for (const home of await disk.readdir(root)) {
        if (!memberIdPattern.test(home)) continue;
        store.durableHomes.add(home);
        for (const sha256 of await disk.readdir(posix.join(root, home))) {
          if (!sha256Pattern.test(sha256)) continue; // a stray file is not a hint
          store.remember({ sha256, homeMemberId: home });
        }
      }
    } catch (error) {
      throw toStorageError(error, 'open hints store', root);
    }
    return store;
  }

  get size(): number {
    return this.count;
  }

  has(hint: Hint): boolean {
    return this.byHome.get(hint.homeMemberId)?.has(hint.sha256) === true;
  }

  /** Whether any hint names this chunk (its local copy is then someone else's). */
  hasChunk(sha256: string): boolean {
    for (const chunks of this.byHome.values()) if (chunks.has(sha256)) return true;
    return false;
  }

  /** Records a hint durably (fsynced before this resolves). Idempotent. */
  async add(hint: Hint): Promise<void> {
    requireHint(hint);
    if (this.has(hint)) return;
    if (this.count >= this.hintsMax)
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        `this node already holds ${this.count} hinted copies (hintsStoredMax); ` +
          'the copy goes to another node',
        { details: { outcome: 'failed' } },
      );
    const directory = posix.join(this.root, hint.homeMemberId);
    const path = posix.join(directory, hint.sha256);
    try {
      if (!this.durableHomes.has(hint.homeMemberId)) {
        await makeDirectoryDurable(this.disk, directory);
        this.durableHomes.add(hint.homeMemberId);
      }
      const file = await this.disk.open(path, 'create');
      await file.close();
      await this.disk.fsyncDirectory(directory);
    } catch (error) {
      throw toStorageError(error, 'record hint', path);
    }
    this.remember(hint);
  }

  /** Drops a hint durably; false when there was none. */
  async remove(hint: Hint): Promise<boolean> {
    requireHint(hint);
    if (!this.has(hint)) return false;
    const directory = posix.join(this.root, hint.homeMemberId);
    const path = posix.join(directory, hint.sha256);
    try {
      if ((await this.disk.stat(path)) !== null) {
        await this.disk.unlink(path);
        await this.disk.fsyncDirectory(directory);
      }
    } catch (error) {
      throw toStorageError(error, 'drop hint', path);
    }
    const chunks = this.byHome.get(hint.homeMemberId) as Set<string>;
    chunks.delete(hint.sha256);
    if (chunks.size === 0) this.byHome.delete(hint.homeMemberId);
    this.count--;
    return true;
  }

  /** Up to `limit` hints, grouped by home member (members and chunks in sorted order). */
  list(limit: number = this.hintsMax): Hint[] {
    assert(Number.isSafeInteger(limit) && limit >= 0, 'limit is a non-negative integer');
    const hints: Hint[] = [];
    for (const home of [...this.byHome.keys()].sort()) {
      const chunks = [...(this.byHome.get(home) as Set<string>)].sort();
      for (const sha256 of chunks) {
        if (hints.length >= limit) return hints;
        hints.push({ sha256, homeMemberId: home });
      }
    }
    return hints;
  }

  private remember(hint: Hint): void {
    let chunks = this.byHome.get(hint.homeMemberId);
    if (chunks === undefined) {
      chunks = new Set();
      this.byHome.set(hint.homeMemberId, chunks);
    }
    if (chunks.has(hint.sha256)) return;
    chunks.add(hint.sha256);
    this.count++;
  }
}

/** Whether `text` can name a hint's home member (a ring identifier; a safe file name). */
export function isHintHomeMemberId(text: string): boolean {
  return memberIdPattern.test(text) && text.length <= memberIdLengthMax;
}

function requireHint(hint: Hint): void {
  assert(sha256Pattern.test(hint.sha256), `hint chunk id "${hint.sha256}" is a SHA-256`);
  assert(isHintHomeMemberId(hint.homeMemberId), `hint home "${hint.homeMemberId}" is a member id`);
}
