// Snapshot files: `<directory>/snapshot-<index 16 hex>-<term 16 hex>.snap`, each one
// snapshot stream (snapshot-format.ts) exactly as sent to followers. Saved through a
// temporary name, synced, renamed, directory synced; the stream is parsed while it is
// saved, so an invalid stream is never saved. Reading yields bounded pieces; the
// reader (installSnapshot, verify) checks the checksum, and any damage throws
// CorruptionError naming the file and the stream offset.
//
// Encryption at rest (option `sealing`): the file holds the stream sealed in segments
// (sealing.ts); `read` gives the plain stream back, each segment authenticated first.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Disk, DiskFile } from './disk.js';
import { makeDirectoryDurable, readFully, toStorageError } from './disk.js';
import { SnapshotParser, type SnapshotIdentity } from './snapshot-format.js';
import type { SnapshotReference } from './snapshot-reference.js';
import { assert, assertInteger } from '../util/assert.js';
import { CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { type Keyring, OpeningStream, SealingStream } from './sealing.js';

export interface SnapshotFilesOptions {
  /** Encryption at rest: files are sealed under this keyring's newest key. */
  readonly sealing?: Keyring | undefined;
}

const snapshotSealingContext = 'snapshot-file';

export interface SnapshotFile {
  readonly identity: SnapshotIdentity;
  readonly path: string;
}

export function snapshotFileName(identity: SnapshotIdentity): string {
  const hex = (value: number): string => value.toString(16).padStart(16, '0');
  return `snapshot-${hex(identity.index)}-${hex(identity.term)}.snap`;
}

function parseSnapshotFileName(name: string): SnapshotIdentity | null {
  const match = /^snapshot-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  if (match === null) return null;
  return { index: Number.parseInt(match[1]!, 16), term: Number.parseInt(match[2]!, 16) };
}

export class SnapshotFiles {
  private temporaryCounter = 0;

  private constructor(
    private readonly disk: Disk,
    private readonly directory: string,
    private readonly sealing: Keyring | undefined,
  ) {}

  static async open(
    disk: Disk,
    directory: string,
    options: SnapshotFilesOptions = {},
  ): Promise<SnapshotFiles> {
    try {
      await makeDirectoryDurable(disk, directory);
      for (const name of await disk.readdir(directory)) {
        if (name.endsWith('.tmp')) await disk.unlink(posix.join(directory, name));
      }
    } catch (error) {
      throw toStorageError(error, 'open snapshots', directory);
    }
    return new SnapshotFiles(disk, directory, options.sealing);
  }

  /**
   * Saves a snapshot stream durably; returns the file with its size and SHA-256.
   * Invalid streams are refused.
   */
  async save(
    pieces: AsyncIterable<Uint8Array>,
  ): Promise<SnapshotFile & { reference: SnapshotReference }> {
    const temporaryPath = posix.join(
      this.directory,
      `incoming-${++this.temporaryCounter}.snap.tmp`,
    );
    if ((await this.disk.stat(temporaryPath)) !== null) await this.disk.unlink(temporaryPath);
    const parser = new SnapshotParser(temporaryPath);
    let identity: SnapshotIdentity | null = null;
    let file: DiskFile | null = null;
    const hash = createHash('sha256');
    let size = 0;
    try {
      file = await this.disk.open(temporaryPath, 'createExclusive');
      const sealer =
        this.sealing === undefined ? null : new SealingStream(this.sealing, snapshotSealingContext);
      for await (const piece of pieces) {
        for (const item of parser.push(piece)) if (item.kind === 'header') identity = item.identity;
        for (const out of sealer === null ? [piece] : sealer.push(piece)) {
          hash.update(out);
          await file.write(out, size);
          size += out.length;
        }
      }
      parser.finish();
      for (const out of sealer?.finish() ?? []) {
        hash.update(out);
        await file.write(out, size);
        size += out.length;
      }
      assert(identity !== null, 'a complete snapshot has a header');
      await file.datasync();
      await file.close();
      file = null;
      const path = posix.join(this.directory, snapshotFileName(identity));
      await this.disk.rename(temporaryPath, path);
      await this.disk.fsyncDirectory(this.directory);
      return {
        identity,
        path,
        reference: { ...identity, bytes: size, sha256: hash.digest('hex') },
      };
    } catch (error) {
      if (file !== null) await file.close().catch(() => undefined);
      await this.disk.unlink(temporaryPath).catch(() => undefined);
      throw toStorageError(error, 'save snapshot', temporaryPath);
    }
  }

  /** Saved snapshots, oldest first. */
  async list(): Promise<SnapshotFile[]> {
    const result: SnapshotFile[] = [];
    for (const name of await this.disk.readdir(this.directory)) {
      const identity = parseSnapshotFileName(name);
      if (identity !== null) result.push({ identity, path: posix.join(this.directory, name) });
    }
    return result.sort((a, b) => a.identity.index - b.identity.index);
  }

  async latest(): Promise<SnapshotFile | null> {
    return (await this.list()).at(-1) ?? null;
  }

  /** The snapshot stream in pieces of at most `pieceBytesMax` (checksum not verified here). */
  async *read(
    path: string,
    pieceBytesMax: number = limits.raftSnapshotPieceBytesMax,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.sealing === undefined) {
      yield* this.readStored(path, pieceBytesMax);
      return;
    }
    const opener = new OpeningStream(this.sealing, snapshotSealingContext);
    const split = function* (plain: Uint8Array) {
      for (let at = 0; at < plain.length; at += pieceBytesMax)
        yield plain.subarray(at, at + pieceBytesMax);
    };
    try {
      for await (const sealed of this.readStored(path, pieceBytesMax))
        for (const plain of opener.push(sealed)) yield* split(plain);
      yield* split(opener.finish());
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      throw new CorruptionError(`snapshot ${path}: ${error.message}`, { file: path, offset: -1 });
    }
  }

  /**
   * The file's bytes as stored (sealed when encryption is on) from `startOffset`, in
   * pieces of at most `pieceBytesMax`: what a sender streams, what a reference describes.
   * Every node of an encrypted cluster holds the same key file, so a follower opens them.
   */
  async *readStored(
    path: string,
    pieceBytesMax: number = limits.raftSnapshotPieceBytesMax,
    startOffset = 0,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    assertInteger(pieceBytesMax, 'pieceBytesMax', 1);
    assertInteger(startOffset, 'startOffset', 0);
    const file = await this.disk.open(path, 'read').catch((error: unknown) => {
      throw toStorageError(error, 'open snapshot', path);
    });
    try {
      const size = await file.size();
      for (let position = startOffset; position < size; position += pieceBytesMax) {
        const piece = new Uint8Array(Math.min(pieceBytesMax, size - position));
        const count = await readFully(file, piece, position);
        yield piece.subarray(0, count);
        if (count < piece.length) return;
      }
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /** Parses a whole file; throws CorruptionError {file, offset} if it is damaged. */
  async verify(path: string): Promise<SnapshotIdentity> {
    const parser = new SnapshotParser(path);
    let identity: SnapshotIdentity | null = null;
    for await (const piece of this.read(path)) {
      for (const item of parser.push(piece)) if (item.kind === 'header') identity = item.identity;
    }
    parser.finish();
    assert(identity !== null, 'a complete snapshot has a header');
    return identity;
  }

  /** Where the snapshot of `identity` is (or would be) saved. */
  pathOf(identity: SnapshotIdentity): string {
    return posix.join(this.directory, snapshotFileName(identity));
  }

  /** The directory the files are in (a receiver stages incoming files there). */
  get directoryPath(): string {
    return this.directory;
  }

  /** Whether the snapshot file of `reference` is here, whole: its size and SHA-256 match. */
  async holds(reference: SnapshotReference): Promise<boolean> {
    const path = this.pathOf(reference);
    const stat = await this.disk.stat(path);
    if (stat === null || stat.size !== reference.bytes) return false;
    return (await this.sha256Of(path)) === reference.sha256;
  }

  /** Parses a whole file (CorruptionError if damaged) and returns its reference. */
  async describe(path: string): Promise<SnapshotReference> {
    const identity = await this.verify(path);
    const stat = await this.disk.stat(path);
    assert(stat !== null, 'a verified snapshot file exists');
    return { ...identity, bytes: stat.size, sha256: await this.sha256Of(path) };
  }

  /** The SHA-256 of a file as stored, read in bounded pieces. */
  async sha256Of(path: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const piece of this.readStored(path)) hash.update(piece);
    return hash.digest('hex');
  }

  /** Deletes snapshots older than `index` (keep the newest for followers and restarts). */
  async removeOlderThan(index: number): Promise<number> {
    let removed = 0;
    for (const snapshot of await this.list()) {
      if (snapshot.identity.index >= index) continue;
      await this.disk.unlink(snapshot.path);
      removed++;
    }
    if (removed > 0) await this.disk.fsyncDirectory(this.directory);
    return removed;
  }
}
