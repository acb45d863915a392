// An in-memory Disk for the deterministic simulator and for storage tests.
//
// Model (deliberately harsher than ext4 with data=ordered, never kinder):
// * File contents: every write or truncate since the file's last (data)sync is pending.
//   `crash()` keeps a random prefix of each file's pending operations, in order, and
//   the first dropped write may land torn (a random prefix of its bytes). So unsynced
//   appended bytes are dropped or torn at a random byte; synced bytes always survive.
// * Directory entries: a created, renamed or removed name is durable only after
//   `fsyncDirectory` of its parent; after a crash every name reverts to its durable
//   state. A directory survives a crash only if its own entry was made durable.
// * Faults: `failNext` injects one-shot errors (EIO, ENOSPC) on chosen operations and
//   paths; `capacityBytes` makes writes beyond a total size fail with ENOSPC after
//   writing the bytes that fit (like a real short write followed by ENOSPC).
// Everything random comes from the Prng given at construction: one seed, one history.

import { posix } from 'node:path';
import type { Disk, DiskFile, DiskStat, OpenMode } from './disk.js';
import { DiskError, type DiskErrorCode } from './disk.js';
import { assert, assertInteger } from '../util/assert.js';
import type { Prng } from '../util/prng.js';

type PendingOperation =
  | { kind: 'write'; position: number; bytes: Uint8Array }
  | { kind: 'truncate'; length: number };

/** A growable byte array (amortised doubling, so appends cost O(bytes)). */
class ByteStore {
  bytes = new Uint8Array(0);
  length = 0;

  write(position: number, data: Uint8Array): void {
    this.reserve(position + data.length);
    if (position > this.length) this.bytes.fill(0, this.length, position);
    this.bytes.set(data, position);
    this.length = Math.max(this.length, position + data.length);
  }

  truncate(length: number): void {
    if (length > this.length) {
      this.reserve(length);
      this.bytes.fill(0, this.length, length);
    }
    this.length = length;
  }

  copy(): ByteStore {
    const result = new ByteStore();
    result.write(0, this.bytes.subarray(0, this.length));
    return result;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.bytes.length * 2, 4096));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

class Inode {
  current = new ByteStore();
  durable = new ByteStore();
  pending: PendingOperation[] = [];

  apply(operation: PendingOperation, store: ByteStore): void {
    if (operation.kind === 'write') store.write(operation.position, operation.bytes);
    else store.truncate(operation.length);
  }

  makeDurable(): void {
    for (const operation of this.pending) this.apply(operation, this.durable);
    this.pending = [];
  }

  crash(prng: Prng): void {
    const kept = prng.nextIntegerInclusive(0, this.pending.length);
    for (let i = 0; i < kept; i++) this.apply(this.pending[i]!, this.durable);
    const torn = this.pending[kept];
    if (torn !== undefined && torn.kind === 'write' && torn.bytes.length > 1 && prng.chance(0.5)) {
      const length = prng.nextIntegerInclusive(1, torn.bytes.length - 1);
      this.durable.write(torn.position, torn.bytes.subarray(0, length));
    }
    this.pending = [];
    this.current = this.durable.copy();
  }
}

export type SimulatedOperation =
  | 'open'
  | 'write'
  | 'read'
  | 'datasync'
  | 'sync'
  | 'truncate'
  | 'rename'
  | 'unlink'
  | 'mkdir'
  | 'fsyncDirectory';

interface FaultRule {
  readonly operation: SimulatedOperation;
  readonly code: DiskErrorCode;
  readonly pathIncludes: string;
}

export interface SimulatedDiskStatistics {
  writes: number;
  bytesWritten: number;
  datasyncs: number;
  directorySyncs: number;
  crashes: number;
}

export class SimulatedDisk implements Disk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private directories = new Set<string>(['/']);
  private durableDirectories = new Set<string>(['/']);
  /** Incremented by crash(); handles opened before a crash stop working (the process died). */
  private generation = 0;
  /** Total bytes a write may bring the disk to; null means unbounded. */
  capacityBytes: number | null = null;
  private faults: FaultRule[] = [];
  readonly statistics: SimulatedDiskStatistics = {
    writes: 0,
    bytesWritten: 0,
    datasyncs: 0,
    directorySyncs: 0,
    crashes: 0,
  };

  constructor(private readonly prng: Prng) {}

  /** The next `operation` on a path containing `pathIncludes` fails with `code`, once. */
  failNext(operation: SimulatedOperation, code: DiskErrorCode, pathIncludes = ''): void {
    this.faults.push({ operation, code, pathIncludes });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Power loss: unsynced data and undurable names are lost or torn; open handles die. */
  crash(): void {
    this.statistics.crashes++;
    this.generation++;
    for (const inode of new Set([...this.names.values(), ...this.durableNames.values()]))
      inode.crash(this.prng);
    const survivingDirectories = new Set<string>(['/']);
    const byDepth = [...this.durableDirectories].sort((a, b) => depth(a) - depth(b));
    for (const directory of byDepth) {
      if (survivingDirectories.has(posix.dirname(directory))) survivingDirectories.add(directory);
    }
    this.directories = survivingDirectories;
    this.durableDirectories = new Set(survivingDirectories);
    this.names = new Map(
      [...this.durableNames].filter(([path]) => survivingDirectories.has(posix.dirname(path))),
    );
    this.durableNames = new Map(this.names);
  }

  /** Bit rot for corruption tests: xor a byte of the file, durably. */
  corruptByte(path: string, offset: number, mask: number): void {
    const inode = this.inodeOrThrow(normalise(path), 'corrupt');
    inode.makeDurable();
    assertInteger(offset, 'offset', 0, inode.current.length - 1);
    inode.current.bytes[offset]! ^= mask;
    inode.durable.bytes[offset]! ^= mask;
  }

  /** Direct durable truncation for corruption tests. */
  truncateDurably(path: string, length: number): void {
    const inode = this.inodeOrThrow(normalise(path), 'truncate');
    inode.makeDurable();
    inode.current.truncate(length);
    inode.durable.truncate(length);
  }

  /** Total bytes of all current files. */
  usedBytes(): number {
    let total = 0;
    for (const inode of new Set(this.names.values())) total += inode.current.length;
    return total;
  }

  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    const name = normalise(path);
    this.checkFault('open', name);
    let inode = this.names.get(name);
    if (inode !== undefined && mode === 'createExclusive')
      throw new DiskError('EEXIST', 'open', name);
    if (this.directories.has(name)) throw new DiskError('EISDIR', 'open', name);
    if (inode === undefined) {
      if (mode === 'read' || mode === 'readWrite') throw new DiskError('ENOENT', 'open', name);
      this.requireDirectory(posix.dirname(name), 'open');
      inode = new Inode();
      this.names.set(name, inode);
    }
    return new SimulatedFile(this, name, inode, mode === 'read', this.generation);
  }

  async rename(from: string, to: string): Promise<void> {
    const source = normalise(from);
    const target = normalise(to);
    this.checkFault('rename', source);
    const inode = this.inodeOrThrow(source, 'rename');
    this.requireDirectory(posix.dirname(target), 'rename');
    this.names.delete(source);
    this.names.set(target, inode);
  }

  async unlink(path: string): Promise<void> {
    const name = normalise(path);
    this.checkFault('unlink', name);
    this.inodeOrThrow(name, 'unlink');
    this.names.delete(name);
  }

  async readdir(path: string): Promise<string[]> {
    const directory = normalise(path);
    this.requireDirectory(directory, 'readdir');
    const result: string[] = [];
    for (const name of [...this.names.keys(), ...this.directories]) {
      if (name !== directory && posix.dirname(name) === directory)
        result.push(posix.basename(name));
    }
    return result.sort();
  }

  async mkdir(path: string): Promise<void> {
    const directory = normalise(path);
    this.checkFault('mkdir', directory);
    const missing: string[] = [];
    let cursor = directory;
    for (let level = 0; level < 256 && !this.directories.has(cursor); level++) {
      if (this.names.has(cursor)) throw new DiskError('ENOTDIR', 'mkdir', cursor);
      missing.push(cursor);
      cursor = posix.dirname(cursor);
    }
    for (const created of missing) this.directories.add(created);
  }

  async fsyncDirectory(path: string): Promise<void> {
    const directory = normalise(path);
    this.checkFault('fsyncDirectory', directory);
    this.requireDirectory(directory, 'fsyncDirectory');
    this.statistics.directorySyncs++;
    const inDirectory = (name: string): boolean =>
      name !== '/' && posix.dirname(name) === directory;
    for (const name of [...this.durableNames.keys()])
      if (inDirectory(name) && !this.names.has(name)) this.durableNames.delete(name);
    for (const [name, inode] of this.names)
      if (inDirectory(name)) this.durableNames.set(name, inode);
    for (const name of [...this.durableDirectories])
      if (inDirectory(name) && !this.directories.has(name)) this.durableDirectories.delete(name);
    for (const name of this.directories) if (inDirectory(name)) this.durableDirectories.add(name);
  }

  async stat(path: string): Promise<DiskStat | null> {
    const name = normalise(path);
    if (this.directories.has(name)) return { size: 0, isDirectory: true };
    const inode = this.names.get(name);
    return inode === undefined ? null : { size: inode.current.length, isDirectory: false };
  }

  /** @internal used by SimulatedFile */
  checkFault(operation: SimulatedOperation, path: string): void {
    const index = this.faults.findIndex(
      (rule) => rule.operation === operation && path.includes(rule.pathIncludes),
    );
    if (index < 0) return;
    const rule = this.faults[index]!;
    this.faults.splice(index, 1);
    throw new DiskError(rule.code, operation, path);
  }

  /** @internal */
  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }

  /** @internal bytes a write of `length` at `position` may add before the disk is full. */
  writableLength(inode: Inode, position: number, length: number): number {
    if (this.capacityBytes === null) return length;
    const growth = Math.max(0, position + length - inode.current.length);
    const free = Math.max(0, this.capacityBytes - this.usedBytes());
    if (growth <= free) return length;
    return Math.max(0, inode.current.length + free - position);
  }

  private inodeOrThrow(name: string, operation: string): Inode {
    const inode = this.names.get(name);
    if (inode === undefined) throw new DiskError('ENOENT', operation, name);
    return inode;
  }

  private requireDirectory(name: string, operation: string): void {
    if (!this.directories.has(name)) throw new DiskError('ENOENT', operation, name);
  }
}

class SimulatedFile implements DiskFile {
  private closed = false;

  constructor(
    private readonly disk: SimulatedDisk,
    readonly path: string,
    private readonly inode: Inode,
    private readonly readOnly: boolean,
    private readonly generation: number,
  ) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    this.check('write');
    assertInteger(position, 'write position');
    if (this.readOnly) throw new DiskError('EBADF', 'write', this.path);
    const writable = this.disk.writableLength(this.inode, position, data.length);
    if (writable > 0) {
      const bytes = data.slice(0, writable);
      this.inode.current.write(position, bytes);
      this.inode.pending.push({ kind: 'write', position, bytes });
      this.disk.statistics.writes++;
      this.disk.statistics.bytesWritten += writable;
    }
    if (writable < data.length) throw new DiskError('ENOSPC', 'write', this.path);
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    this.check('read');
    const available = Math.max(0, Math.min(into.length, this.inode.current.length - position));
    into.set(this.inode.current.bytes.subarray(position, position + available));
    return available;
  }

  async datasync(): Promise<void> {
    this.check('datasync');
    this.disk.statistics.datasyncs++;
    this.inode.makeDurable();
  }

  async sync(): Promise<void> {
    this.check('sync');
    this.disk.statistics.datasyncs++;
    this.inode.makeDurable();
  }

  async truncate(length: number): Promise<void> {
    this.check('truncate');
    assertInteger(length, 'truncate length');
    if (this.readOnly) throw new DiskError('EBADF', 'truncate', this.path);
    this.inode.current.truncate(length);
    this.inode.pending.push({ kind: 'truncate', length });
  }

  async size(): Promise<number> {
    this.check('read');
    return this.inode.current.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(operation: SimulatedOperation): void {
    if (this.closed || !this.disk.isCurrent(this.generation))
      throw new DiskError('EBADF', operation, this.path);
    this.disk.checkFault(operation, this.path);
  }
}

function normalise(path: string): string {
  assert(path.length > 0, 'path is not empty');
  const absolute = posix.resolve('/', path);
  return absolute;
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}
