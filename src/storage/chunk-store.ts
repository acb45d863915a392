// Content-addressed chunk files: `<root>/chunks/ab/cd/<sha256>` (ab, cd: the first two
// byte pairs of the lowercase hex SHA-256). A chunk file holds the raw bytes, nothing
// else; its name is its checksum.
//
// Write: stream into `<root>/tmp/write-<n>.tmp` hashing as it goes (never holding the
// whole chunk), bounded by limits.chunkSizeBytes; fdatasync; rename into place (an
// atomic replace, so a damaged older copy is healed by a fresh write); fsync the
// directory. A crash leaves either the whole verified chunk or no chunk; stale
// temporary files are removed by `open`. On any failure (ENOSPC included) the
// temporary file is removed and the error is a CairnError (CAIRN_ERR_DISK_FULL, ...).
//
// Read: every read verifies the SHA-256. A mismatch moves the file to
// `<root>/quarantine/<sha256>.<n>`, reports it (callback and `quarantined()`), and
// throws CorruptionError. Streaming reads verify at the end: the last piece is only
// released once the hash matched, so a consumer never completes a read of bad data.
//
// Encryption at rest (option `sealing`): the file holds the chunk sealed in segments
// (sealing.ts); the name stays the SHA-256 of the plaintext. Reads open segment by
// segment (each authenticated) and verify the hash of the plaintext as before; a
// segment that fails authentication is corruption (quarantine). Without `sealing` the
// files are exactly as before.

import { createHash, type Hash } from 'node:crypto';
import { posix } from 'node:path';
import type { Disk, DiskFile } from './disk.js';
import { makeDirectoryDurable, readFully, toStorageError } from './disk.js';
import { assert } from '../util/assert.js';
import {
  CairnError,
  CorruptionError,
  InvalidArgumentError,
  LimitExceededError,
} from '../util/errors.js';
import { limits } from '../util/limits.js';
import { type Keyring, OpeningStream, SealingStream, sealedLength } from './sealing.js';

export interface QuarantineReport {
  readonly sha256: string;
  readonly quarantinePath: string;
  readonly reason: string;
}

export interface ChunkStoreOptions {
  readonly chunkBytesMax?: number;
  /** Pieces of a streaming read (default 1 MiB). */
  readonly readPieceBytes?: number;
  readonly onQuarantine?: (report: QuarantineReport) => void;
  /** Encryption at rest: chunk files are sealed under this keyring's newest key. */
  readonly sealing?: Keyring | undefined;
}

export interface ChunkWriteResult {
  readonly sha256: string;
  readonly size: number;
  /** False when a copy was already there (it was replaced by the verified new one). */
  readonly created: boolean;
}

const sha256Pattern = /^[0-9a-f]{64}$/;
const quarantineCopiesMax = 1000;
/** The context sealed chunk files are bound to (each file also has its own random id). */
const chunkSealingContext = 'chunk';

export function isSha256(text: string): boolean {
  return sha256Pattern.test(text);
}

export class ChunkStore {
  private temporaryCounter = 0;
  private readonly durableDirectories = new Set<string>();
  private readonly quarantineReports: QuarantineReport[] = [];
  private readonly chunkBytesMax: number;
  private readonly readPieceBytes: number;
  private readonly sealing: Keyring | undefined;
  private writeGate: (() => Promise<void>) | undefined;

  private constructor(
    private readonly disk: Disk,
    private readonly root: string,
    private readonly options: ChunkStoreOptions,
  ) {
    this.chunkBytesMax = options.chunkBytesMax ?? limits.chunkSizeBytes;
    this.readPieceBytes = options.readPieceBytes ?? 1024 * 1024;
    assert(this.readPieceBytes > 0 && this.chunkBytesMax > 0, 'positive sizes');
    this.sealing = options.sealing;
  }

  static async open(
    disk: Disk,
    root: string,
    options: ChunkStoreOptions = {},
  ): Promise<ChunkStore> {
    const store = new ChunkStore(disk, root, options);
    try {
      for (const name of ['chunks', 'quarantine', 'tmp']) {
        await makeDirectoryDurable(disk, posix.join(root, name));
        store.durableDirectories.add(posix.join(root, name));
      }
      const leftovers = await disk.readdir(posix.join(root, 'tmp'));
      for (const name of leftovers) await disk.unlink(posix.join(root, 'tmp', name));
      if (leftovers.length > 0) await disk.fsyncDirectory(posix.join(root, 'tmp'));
    } catch (error) {
      throw toStorageError(error, 'open chunk store', root);
    }
    return store;
  }

  /** Every write waits for this first (the node's garbage reclaimer, src/node). */
  setWriteGate(gate: () => Promise<void>): void {
    assert(this.writeGate === undefined, 'one write gate');
    this.writeGate = gate;
  }

  chunkPath(sha256: string): string {
    requireSha256(sha256);
    return posix.join(this.root, 'chunks', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** Chunks moved to quarantine since open, oldest first. */
  quarantined(): readonly QuarantineReport[] {
    return this.quarantineReports;
  }

  /**
   * Stores a chunk from bytes or a stream of pieces. With `expectedSha256`, content
   * that does not match is refused (CorruptionError) and nothing is stored.
   */
  async write(
    source: Uint8Array | AsyncIterable<Uint8Array>,
    expectedSha256?: string,
  ): Promise<ChunkWriteResult> {
    if (expectedSha256 !== undefined) requireSha256(expectedSha256);
    if (this.writeGate !== undefined) await this.writeGate();
    const temporaryPath = posix.join(this.root, 'tmp', `write-${++this.temporaryCounter}.tmp`);
    let file: DiskFile | null = null;
    try {
      file = await this.disk.open(temporaryPath, 'createExclusive');
      const { sha256, size } = await this.copyInto(file, source);
      await file.datasync();
      await file.close();
      file = null;
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        throw new CorruptionError(`chunk content hashes to ${sha256}, expected ${expectedSha256}`, {
          expected: expectedSha256,
          actual: sha256,
        });
      }
      const path = this.chunkPath(sha256);
      await this.ensureDirectory(posix.dirname(path));
      const created = (await this.disk.stat(path)) === null;
      await this.disk.rename(temporaryPath, path);
      await this.disk.fsyncDirectory(posix.dirname(path));
      return { sha256, size, created };
    } catch (error) {
      if (file !== null) await file.close().catch(() => undefined);
      await this.disk.unlink(temporaryPath).catch(() => undefined);
      throw toStorageError(error, 'write chunk', temporaryPath);
    }
  }

  private async copyInto(
    file: DiskFile,
    source: Uint8Array | AsyncIterable<Uint8Array>,
  ): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    let position = 0;
    const sealer =
      this.sealing === undefined ? null : new SealingStream(this.sealing, chunkSealingContext);
    const writeOut = async (pieces: Uint8Array[]): Promise<void> => {
      for (const piece of pieces) {
        await file.write(piece, position);
        position += piece.length;
      }
    };
    const pieces: AsyncIterable<Uint8Array> =
      source instanceof Uint8Array ? singlePiece(source) : source;
    for await (const piece of pieces) {
      if (size + piece.length > this.chunkBytesMax) {
        throw new LimitExceededError(
          'chunkSizeBytes',
          this.chunkBytesMax,
          size + piece.length,
          'bytes',
        );
      }
      hash.update(piece);
      await writeOut(sealer === null ? [piece] : sealer.push(piece));
      size += piece.length;
    }
    if (sealer !== null) await writeOut(sealer.finish());
    return { sha256: hash.digest('hex'), size };
  }

  /**
   * The whole chunk, verified. NotFound (CAIRN_ERR_NOT_FOUND) if absent. Read straight
   * into one buffer of the file's size: every get reads whole chunks, and joining
   * pieces afterwards doubled the memory and copying per chunk.
   */
  async read(sha256: string): Promise<Uint8Array> {
    if (this.sealing !== undefined) {
      const pieces: Uint8Array[] = [];
      for await (const piece of this.verifiedPieces(sha256)) pieces.push(piece);
      return Buffer.concat(pieces);
    }
    let whole = new Uint8Array(0);
    for await (const piece of this.verifiedPieces(sha256, (size) => (whole = new Uint8Array(size))))
      void piece;
    return whole;
  }

  /** The chunk in pieces; the stream throws CorruptionError instead of ending if the hash is wrong. */
  readStream(sha256: string): AsyncGenerator<Uint8Array, void, undefined> {
    return this.verifiedPieces(sha256);
  }

  /**
   * Reads and hashes the chunk piece by piece, holding the last piece back until the
   * hash is verified. With `wholeBuffer`, the pieces are views of one buffer of the
   * file's size (allocated once); without, each piece is its own buffer.
   */
  private async *verifiedPieces(
    sha256: string,
    wholeBuffer?: (size: number) => Uint8Array,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const path = this.chunkPath(sha256);
    const file = await this.openForRead(path, sha256);
    const hash = createHash('sha256');
    let held: Uint8Array | null = null;
    let failure: string | null = null;
    const opener =
      this.sealing === undefined ? null : new OpeningStream(this.sealing, chunkSealingContext);
    const fileBytesMax = opener === null ? this.chunkBytesMax : sealedLength(this.chunkBytesMax);
    try {
      const size = await file.size();
      if (size > fileBytesMax) failure = `size ${size} exceeds chunkSizeBytes`;
      const whole = failure === null && opener === null ? wholeBuffer?.(size) : undefined;
      // Bounded: each piece advances by readPieceBytes.
      for (let position = 0; failure === null && position < size; position += this.readPieceBytes) {
        const end = Math.min(position + this.readPieceBytes, size);
        const piece =
          whole === undefined ? new Uint8Array(end - position) : whole.subarray(position, end);
        if ((await readFully(file, piece, position)) !== piece.length) failure = 'short read';
        for (const plain of opener === null ? [piece] : opener.push(piece)) {
          hash.update(plain);
          if (held !== null) yield held;
          held = plain;
        }
      }
      if (opener !== null && failure === null) {
        const last = opener.finish();
        hash.update(last);
        if (held !== null) yield held;
        held = last;
      }
    } catch (error) {
      // A sealed segment that fails authentication is damage like a wrong hash.
      if (opener !== null && error instanceof CorruptionError) failure = error.message;
      else throw toStorageError(error, 'read chunk', path);
    } finally {
      await file.close().catch(() => undefined);
    }
    failure ??= verifyDigest(hash, sha256);
    if (failure !== null) throw await this.quarantine(sha256, path, failure);
    if (held !== null) yield held;
  }

  /** Re-hashes a chunk (scrub): true if intact, false if it was quarantined, NotFound if absent. */
  async verify(sha256: string): Promise<boolean> {
    try {
      for await (const piece of this.readStream(sha256)) void piece;
      return true;
    } catch (error) {
      if (error instanceof CorruptionError) return false;
      throw error;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.disk.stat(this.chunkPath(sha256))) !== null;
  }

  /** Deletes a chunk (garbage collection); false if it was not there. */
  async remove(sha256: string): Promise<boolean> {
    const path = this.chunkPath(sha256);
    if ((await this.disk.stat(path)) === null) return false;
    try {
      await this.disk.unlink(path);
      await this.disk.fsyncDirectory(posix.dirname(path));
    } catch (error) {
      throw toStorageError(error, 'remove chunk', path);
    }
    return true;
  }

  /** Every stored chunk's SHA-256, sorted (for scrub and repair). */
  async list(): Promise<string[]> {
    const result: string[] = [];
    const base = posix.join(this.root, 'chunks');
    for (const first of await this.disk.readdir(base)) {
      for (const second of await this.disk.readdir(posix.join(base, first))) {
        for (const name of await this.disk.readdir(posix.join(base, first, second)))
          if (isSha256(name)) result.push(name);
      }
    }
    return result.sort();
  }

  private async openForRead(path: string, sha256: string): Promise<DiskFile> {
    try {
      return await this.disk.open(path, 'read');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') {
        throw new CairnError('CAIRN_ERR_NOT_FOUND', `chunk ${sha256} not found`, {
          details: { sha256 },
        });
      }
      throw toStorageError(error, 'open chunk', path);
    }
  }

  private async quarantine(sha256: string, path: string, reason: string): Promise<CorruptionError> {
    const directory = posix.join(this.root, 'quarantine');
    let quarantinePath = posix.join(directory, `${sha256}.0`);
    for (
      let copy = 1;
      copy < quarantineCopiesMax && (await this.disk.stat(quarantinePath)) !== null;
      copy++
    ) {
      quarantinePath = posix.join(directory, `${sha256}.${copy}`);
    }
    try {
      await this.disk.rename(path, quarantinePath);
      await this.disk.fsyncDirectory(posix.dirname(path));
      await this.disk.fsyncDirectory(directory);
    } catch (error) {
      // A concurrent reader already moved it: the chunk is still reported as corrupt.
      if ((error as { code?: string }).code !== 'ENOENT')
        throw toStorageError(error, 'quarantine chunk', path);
      return new CorruptionError(
        `chunk ${sha256} failed verification (${reason}); already quarantined`,
        { file: path, sha256 },
      );
    }
    const report: QuarantineReport = { sha256, quarantinePath, reason };
    this.quarantineReports.push(report);
    this.options.onQuarantine?.(report);
    return new CorruptionError(
      `chunk ${sha256} failed verification (${reason}); moved to ${quarantinePath}`,
      { file: path, sha256, quarantinePath },
    );
  }

  private async ensureDirectory(directory: string): Promise<void> {
    if (this.durableDirectories.has(directory)) return;
    await this.disk.mkdir(directory);
    // Sync each new level's parent, innermost first, up to the chunks directory.
    const chunksDirectory = posix.join(this.root, 'chunks');
    for (
      let level = directory;
      level !== chunksDirectory && level.length > chunksDirectory.length;
      level = posix.dirname(level)
    ) {
      await this.disk.fsyncDirectory(posix.dirname(level));
    }
    this.durableDirectories.add(directory);
  }
}

function verifyDigest(hash: Hash, sha256: string): string | null {
  const actual = hash.digest('hex');
  return actual === sha256 ? null : `content hashes to ${actual}`;
}

async function* singlePiece(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function requireSha256(sha256: string): void {
  if (!isSha256(sha256))
    throw new InvalidArgumentError(`not a lowercase hex SHA-256: ${sha256.slice(0, 80)}`);
}
