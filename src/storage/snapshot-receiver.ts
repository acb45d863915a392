// The follower's side of a streamed snapshot: pieces arrive one request at a time, each
// with its CRC32C, and are appended to one staging file next to the snapshot files. A
// piece whose checksum fails is refused and changes nothing; a piece at the wrong
// offset is not written and the answer says how many bytes are held, so a sender whose
// connection broke resumes where the receiver is (or restarts at 0 for a new snapshot).
// When the last byte arrives the whole file is checked (SHA-256 of the reference, and
// the stream's own trailer checksum), synced and renamed into place; only then may the
// Raft message that references it be stepped. Memory: one piece at a time.

import { posix } from 'node:path';
import { assert, assertInteger } from '../util/assert.js';
import { CorruptionError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { crc32c } from './crc32c.js';
import { type Disk, type DiskFile, toStorageError } from './disk.js';
import type { SnapshotFiles } from './snapshot-files.js';
import type { SnapshotReference } from './snapshot-reference.js';

export interface SnapshotPieceOffer {
  readonly reference: SnapshotReference;
  /** Where the piece starts in the file. */
  readonly offset: number;
  readonly piece: Uint8Array;
  /** CRC32C of the piece, as the sender computed it. */
  readonly crc32c: number;
}

export interface SnapshotReceipt {
  /** Bytes of the file held so far (the offset the next piece must start at). */
  readonly receivedBytes: number;
  /** The whole file arrived, was verified and is saved. */
  readonly complete: boolean;
}

interface Staging {
  readonly reference: SnapshotReference;
  readonly path: string;
  readonly file: DiskFile;
  receivedBytes: number;
}

/** Completed transfers remembered as verified, so the message that follows is not re-hashed. */
const verifiedRememberedMax = 4;

export class SnapshotReceiver {
  private staging: Staging | null = null;
  private readonly verified: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private stagingCounter = 0;

  constructor(
    private readonly disk: Disk,
    private readonly files: SnapshotFiles,
    private readonly pieceBytesMax: number = limits.raftSnapshotPieceBytesMax,
  ) {
    assertInteger(pieceBytesMax, 'pieceBytesMax', 1, limits.raftSnapshotPieceBytesMax);
  }

  /** How much of the snapshot of `reference` is here. */
  status(reference: SnapshotReference): Promise<SnapshotReceipt> {
    return this.serialized(async () => {
      if (await this.holds(reference)) return { receivedBytes: reference.bytes, complete: true };
      const staging = this.staging;
      const same = staging !== null && sameReference(staging.reference, reference);
      return { receivedBytes: same ? staging.receivedBytes : 0, complete: false };
    });
  }

  /** Whether the file of `reference` is here whole (verified on arrival, else re-hashed). */
  async holds(reference: SnapshotReference): Promise<boolean> {
    if (this.verified.includes(referenceKey(reference))) {
      const stat = await this.disk.stat(this.files.pathOf(reference));
      return stat !== null && stat.size === reference.bytes;
    }
    const held = await this.files.holds(reference);
    if (held) this.remember(reference);
    return held;
  }

  /** Takes one piece (see the file comment); one at a time, in the order they came. */
  accept(offer: SnapshotPieceOffer): Promise<SnapshotReceipt> {
    return this.serialized(() => this.acceptNow(offer));
  }

  async close(): Promise<void> {
    await this.serialized(() => this.discardStaging());
  }

  private async acceptNow(offer: SnapshotPieceOffer): Promise<SnapshotReceipt> {
    const { reference, offset, piece } = offer;
    if (piece.length > this.pieceBytesMax || piece.length === 0)
      throw new InvalidArgumentError(
        `a snapshot piece holds 1 to ${this.pieceBytesMax} bytes, got ${piece.length}`,
      );
    if (offset + piece.length > reference.bytes)
      throw new InvalidArgumentError('the snapshot piece ends past the end of the file');
    if (crc32c(piece) !== offer.crc32c)
      throw new CorruptionError(
        `snapshot ${reference.index}: the piece at offset ${offset} fails its checksum`,
        { offset },
      );
    const staging = await this.stagingFor(reference);
    if (staging === 'complete') return { receivedBytes: reference.bytes, complete: true };
    if (offset !== staging.receivedBytes)
      return { receivedBytes: staging.receivedBytes, complete: false };
    try {
      await staging.file.write(piece, offset);
    } catch (error) {
      await this.discardStaging();
      throw toStorageError(error, 'write snapshot piece', staging.path);
    }
    staging.receivedBytes += piece.length;
    if (staging.receivedBytes < reference.bytes)
      return { receivedBytes: staging.receivedBytes, complete: false };
    await this.complete(staging);
    return { receivedBytes: reference.bytes, complete: true };
  }

  private async stagingFor(reference: SnapshotReference): Promise<Staging | 'complete'> {
    const current = this.staging;
    if (current !== null && sameReference(current.reference, reference)) return current;
    await this.discardStaging();
    if (await this.holds(reference)) return 'complete';
    const path = posix.join(
      this.files.directoryPath,
      `incoming-${reference.index}-${reference.term}-${++this.stagingCounter}.part.tmp`,
    );
    if ((await this.disk.stat(path)) !== null) await this.disk.unlink(path);
    const file = await this.disk.open(path, 'createExclusive').catch((error: unknown) => {
      throw toStorageError(error, 'stage snapshot', path);
    });
    this.staging = { reference, path, file, receivedBytes: 0 };
    return this.staging;
  }

  /** The last byte arrived: verify the whole, make it durable, put it in place. */
  private async complete(staging: Staging): Promise<void> {
    const { reference, path } = staging;
    try {
      await staging.file.datasync();
      await staging.file.close();
      this.staging = null;
      const sha256 = await this.files.sha256Of(path);
      if (sha256 !== reference.sha256)
        throw new CorruptionError(
          `snapshot ${reference.index}: the received file's SHA-256 ${sha256} is not ${reference.sha256}`,
          { file: path },
        );
      const identity = await this.files.verify(path);
      assert(
        identity.index === reference.index && identity.term === reference.term,
        'the snapshot file holds the state its reference names',
      );
      await this.disk.rename(path, this.files.pathOf(reference));
      await this.disk.fsyncDirectory(this.files.directoryPath);
      this.remember(reference);
    } catch (error) {
      this.staging = null;
      await this.disk.unlink(path).catch(() => undefined);
      throw error;
    }
  }

  private async discardStaging(): Promise<void> {
    const staging = this.staging;
    if (staging === null) return;
    this.staging = null;
    await staging.file.close().catch(() => undefined);
    await this.disk.unlink(staging.path).catch(() => undefined);
  }

  private remember(reference: SnapshotReference): void {
    this.verified.push(referenceKey(reference));
    if (this.verified.length > verifiedRememberedMax) this.verified.shift();
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function referenceKey(reference: SnapshotReference): string {
  return `${reference.index}-${reference.term}-${reference.bytes}-${reference.sha256}`;
}

function sameReference(a: SnapshotReference, b: SnapshotReference): boolean {
  return a.index === b.index && a.term === b.term && a.bytes === b.bytes && a.sha256 === b.sha256;
}
