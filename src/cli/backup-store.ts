// The layout of a backup destination (a directory: local disk or a mounted share):
//
//   DEST/chunks/ab/<sha256>               every chunk any backup references, named by its
//                                         SHA-256, shared by all backups (incremental)
//   DEST/backups/<id>/objects.ndjson      the objects at the backup's revision, as the
//                                         node exported them (header, objects, trailer)
//   DEST/backups/<id>/manifest.json       written last: every file with size and SHA-256,
//                                         and a root hash over that list
//   DEST/tmp/                             files being written (removed at the next start)
//
// A backup without its manifest is unfinished and ignored (list, verify, restore).

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError, CorruptionError, NotFoundError } from '../util/errors.js';

export interface BackupFile {
  /** Relative to DEST, with forward slashes. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: 'cairn-backup';
  readonly version: 1;
  readonly id: string;
  readonly clusterId: string;
  /** Every object is as of this revision of the source cluster. */
  readonly revision: number;
  readonly createdAt: string;
  readonly objects: number;
  /** Bytes of the objects (not of the files). */
  readonly bytes: number;
  readonly files: readonly BackupFile[];
  /** SHA-256 over the lines "<sha256> <bytes> <path>\n" of `files`, in order. */
  readonly rootSha256: string;
}

/** One object of an export line: inline bytes (base64) or chunks [sha256, size]. */
export interface ObjectLine {
  readonly key: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
  readonly inline?: string;
  readonly chunks?: readonly (readonly [string, number])[];
}

export const objectsFileName = 'objects.ndjson';

export function chunkPath(sha256: string): string {
  return `chunks/${sha256.slice(0, 2)}/${sha256}`;
}

export function rootHashOf(files: readonly BackupFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.sha256} ${file.bytes} ${file.path}\n`);
  return hash.digest('hex');
}

export class BackupDestination {
  private temporaryCounter = 0;

  constructor(readonly root: string) {}

  /** Creates the folders and removes leftovers of an interrupted run. */
  async prepare(): Promise<void> {
    await mkdir(join(this.root, 'chunks'), { recursive: true });
    await mkdir(join(this.root, 'backups'), { recursive: true });
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
    await mkdir(join(this.root, 'tmp'), { recursive: true });
  }

  path(relative: string): string {
    return join(this.root, ...relative.split('/'));
  }

  /** Size of a file in DEST, or null when absent. */
  async sizeOf(relative: string): Promise<number | null> {
    const found = await stat(this.path(relative)).catch(() => null);
    return found === null ? null : found.size;
  }

  async sha256Of(relative: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const piece of createReadStream(this.path(relative))) hash.update(piece as Buffer);
    return hash.digest('hex');
  }

  /**
   * Writes `source` to `relative` durably (temporary file, fsync, rename); returns its
   * size and SHA-256. With `expected`, a mismatch is refused and nothing is kept.
   */
  async writeFile(
    relative: string,
    source: Readable | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
    expected?: { sha256: string; bytes: number },
  ): Promise<BackupFile> {
    const temporary = join(this.root, 'tmp', `write-${process.pid}-${++this.temporaryCounter}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = async function* (): AsyncGenerator<Buffer> {
      for await (const piece of source) {
        const buffer = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
        hash.update(buffer);
        bytes += buffer.length;
        yield buffer;
      }
    };
    try {
      await pipeline(counted(), createWriteStream(temporary));
      const sha256 = hash.digest('hex');
      if (expected !== undefined && (sha256 !== expected.sha256 || bytes !== expected.bytes))
        throw new CorruptionError(
          `${relative}: received ${bytes} bytes hashing to ${sha256}, expected ${expected.bytes} bytes ${expected.sha256}`,
          { file: relative },
        );
      const handle = await open(temporary, 'r+');
      await handle.datasync();
      await handle.close();
      await mkdir(join(this.path(relative), '..'), { recursive: true });
      await rename(temporary, this.path(relative));
      return { path: relative, bytes, sha256 };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** The finished backups, oldest first. */
  async manifests(): Promise<BackupManifest[]> {
    const folder = join(this.root, 'backups');
    if (!existsSync(folder)) throw new NotFoundError(`backup destination ${this.root}`);
    const result: BackupManifest[] = [];
    for (const id of (await readdir(folder)).sort()) {
      const file = join(folder, id, 'manifest.json');
      if (!existsSync(file)) continue;
      result.push(JSON.parse(await readFile(file, 'utf8')) as BackupManifest);
    }
    return result;
  }

  /** The backup named `id`, or the newest. */
  async manifest(id?: string): Promise<BackupManifest> {
    const all = await this.manifests();
    const found = id === undefined ? all.at(-1) : all.find((manifest) => manifest.id === id);
    if (found === undefined)
      throw new NotFoundError(
        id === undefined ? `a finished backup in ${this.root}` : `backup ${id}`,
      );
    return found;
  }

  /** The export's lines: its header, every object (in key order), then its trailer. */
  async *objectLines(manifest: BackupManifest): AsyncGenerator<ObjectLine> {
    const relative = `backups/${manifest.id}/${objectsFileName}`;
    const lines = createInterface({ input: createReadStream(this.path(relative)), crlfDelay: 0 });
    let objects = 0;
    let ended = false;
    let first = true;
    for await (const line of lines) {
      const parsed = JSON.parse(line) as ObjectLine & { end?: boolean; objects?: number };
      if (first) {
        first = false;
        continue;
      }
      if (parsed.end === true) {
        ended = parsed.objects === objects;
        continue;
      }
      objects++;
      yield parsed;
    }
    if (!ended)
      throw new CorruptionError(`${relative} ends early or miscounts its objects`, {
        file: relative,
      });
  }
}

/** A refusal about the target cluster (not empty, for instance). */
export function conflict(message: string): CairnError {
  return new CairnError('CAIRN_ERR_CONFLICT', message);
}
