// Every disk operation of cairn goes through `Disk`, so that the simulator can run the
// real storage code on `SimulatedDisk` (crashes lose unsynced writes, faults are
// injected) and production runs it on `RealDisk`.
//
// The interface is asynchronous everywhere, including the WAL hot path: group commit
// means one write and one fdatasync per driver iteration, so the promise overhead
// (microseconds) is small next to the fdatasync (a tenth of a millisecond or more), and
// the event loop stays free to serve reads while the disk syncs.
//
// Errors: implementations throw errors carrying a POSIX `code` ('ENOSPC', 'EIO',
// 'ENOENT', 'EEXIST', ...) like node:fs does. `toStorageError` turns them into
// CairnErrors with stable codes for callers.

import { AssertionFailure } from '../util/assert.js';
import { CairnError } from '../util/errors.js';

/**
 * 'read': existing file, read only. 'readWrite': existing file. 'create': create if
 * missing, never truncate. 'createExclusive': fail with EEXIST if it exists.
 */
export type OpenMode = 'read' | 'readWrite' | 'create' | 'createExclusive';

export interface DiskFile {
  readonly path: string;
  /** Writes every byte of `data` at `position` (may fail part way, e.g. ENOSPC). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Reads up to `into.length` bytes at `position`; returns how many (0 at the end). */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Makes the file's data durable (and the metadata needed to read it back). */
  datasync(): Promise<void>;
  /** Makes data and all metadata durable. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface DiskStat {
  readonly size: number;
  readonly isDirectory: boolean;
}

export interface Disk {
  open(path: string, mode: OpenMode): Promise<DiskFile>;
  /** Atomic replace of `to`; durable only after `fsyncDirectory` of both parents. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Names (not paths) in the directory, sorted. */
  readdir(path: string): Promise<string[]>;
  /** Creates the directory and missing parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  fsyncDirectory(path: string): Promise<void>;
  /** null when nothing exists at `path`. */
  stat(path: string): Promise<DiskStat | null>;
}

export type DiskErrorCode =
  | 'ENOSPC'
  | 'EIO'
  | 'ENOENT'
  | 'EEXIST'
  | 'EBADF'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY';

/** An error shaped like node:fs errors, thrown by SimulatedDisk. */
export class DiskError extends Error {
  readonly code: DiskErrorCode;
  readonly path: string;
  constructor(code: DiskErrorCode, operation: string, path: string) {
    super(`${code}: ${operation} '${path}'`);
    this.name = 'DiskError';
    this.code = code;
    this.path = path;
  }
}

/** The POSIX code of a disk error (ours or node:fs), or undefined. */
export function diskErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps a disk error in a CairnError: ENOSPC (and EDQUOT) becomes CAIRN_ERR_DISK_FULL,
 * anything else CAIRN_ERR_IO. CairnErrors pass through unchanged; an AssertionFailure is
 * rethrown as is.
 */
export function toStorageError(error: unknown, operation: string, path: string): CairnError {
  if (error instanceof CairnError) return error;
  // A broken invariant is a bug in cairn, not an I/O error: never disguise it.
  if (error instanceof AssertionFailure) throw error;
  const code = diskErrorCode(error) ?? 'unknown';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CairnError(
      'CAIRN_ERR_DISK_FULL',
      `disk full: ${operation} '${path}' failed with ${code}`,
      {
        details: { operation, path, code },
        cause: error,
      },
    );
  }
  return new CairnError('CAIRN_ERR_IO', `${operation} '${path}' failed: ${code}`, {
    details: { operation, path, code },
    cause: error,
  });
}

/** Reads a whole (small) file. Used for manifests and tests, not for chunks or segments. */
export async function readWholeFile(disk: Disk, path: string): Promise<Uint8Array> {
  const file = await disk.open(path, 'read');
  try {
    const size = await file.size();
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const count = await file.read(bytes.subarray(filled), filled);
      if (count === 0) break;
      filled += count;
    }
    return bytes.subarray(0, filled);
  } finally {
    await file.close();
  }
}

/** Reads exactly `into.length` bytes at `position` or fewer at the end of the file. */
export async function readFully(
  file: DiskFile,
  into: Uint8Array,
  position: number,
): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const count = await file.read(into.subarray(filled), position + filled);
    if (count === 0) break;
    filled += count;
  }
  return filled;
}

/**
 * Creates `path` (and missing parents) and makes the new entries durable by syncing
 * each parent directory up to the root, so a crash cannot lose the directory itself.
 */
export async function makeDirectoryDurable(disk: Disk, path: string): Promise<void> {
  await disk.mkdir(path);
  let child = path;
  // Bounded by the path's depth.
  for (let level = 0; level < 256; level++) {
    const parent = posixDirname(child);
    await disk.fsyncDirectory(parent);
    if (parent === child || parent === '/' || parent === '.') return;
    child = parent;
  }
}

function posixDirname(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : trimmed.slice(0, slash);
}
