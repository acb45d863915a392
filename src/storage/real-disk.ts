// Disk on the real file system through node:fs/promises.

import { constants, promises as fs } from 'node:fs';
import type { Disk, DiskFile, DiskStat, OpenMode } from './disk.js';
import { assert } from '../util/assert.js';

const openFlags: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  readWrite: constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT,
  createExclusive: constants.O_RDWR | constants.O_CREAT | constants.O_EXCL,
};

class RealDiskFile implements DiskFile {
  constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
  ) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    let written = 0;
    // Bounded: each iteration writes at least one byte or throws.
    while (written < data.length) {
      const result = await this.handle.write(
        data,
        written,
        data.length - written,
        position + written,
      );
      assert(result.bytesWritten > 0, 'write makes progress');
      written += result.bytesWritten;
    }
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    if (into.length === 0) return 0;
    const result = await this.handle.read(into, 0, into.length, position);
    return result.bytesRead;
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class RealDisk implements Disk {
  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    const handle = await fs.open(path, openFlags[mode], 0o644);
    return new RealDiskFile(path, handle);
  }

  rename(from: string, to: string): Promise<void> {
    return fs.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return fs.unlink(path);
  }

  async readdir(path: string): Promise<string[]> {
    return (await fs.readdir(path)).sort();
  }

  async mkdir(path: string): Promise<void> {
    await fs.mkdir(path, { recursive: true });
  }

  async fsyncDirectory(path: string): Promise<void> {
    const handle = await fs.open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async stat(path: string): Promise<DiskStat | null> {
    try {
      const stats = await fs.stat(path);
      return { size: stats.size, isDirectory: stats.isDirectory() };
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return null;
      throw error;
    }
  }
}
