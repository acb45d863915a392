// The disk of one simulated machine: the real SimulatedDisk (src/storage), seen by each
// process through a view that (1) makes every fsync take simulated time, so a crash can
// strike while a sync is in flight, and (2) goes silent once its process died: a call
// from a crashed process never settles, so no code of a dead process runs again.

import type { Disk, DiskFile, DiskStat, OpenMode } from '../../src/storage/disk.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import type { Prng } from '../../src/util/prng.js';

/** A process as the simulator's scheduler knows it. */
export interface SimProcessHandle {
  /** The node id the process runs as (pauses are per node). */
  readonly id: string;
  readonly alive: boolean;
}

/** The simulator's clock, as processes use it. */
export interface SimClock {
  /** Runs `task` for `owner` after `ticks` ticks (0: later in this tick). */
  after(owner: SimProcessHandle, ticks: number, task: () => void): void;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class MachineDisk {
  readonly disk: SimulatedDisk;
  private syncsInFlightCount = 0;
  /** Data fsyncs of Raft log segments (`*.wal`) started and not yet durable. */
  logSyncsInFlight = 0;

  constructor(
    private readonly prng: Prng,
    private readonly clock: SimClock,
    private readonly syncLatencyTicksMax: number,
  ) {
    this.disk = new SimulatedDisk(prng.fork());
  }

  /** Power loss: unsynced writes are lost or torn (SimulatedDisk's model). */
  crash(): void {
    this.syncsInFlightCount = 0;
    this.logSyncsInFlight = 0;
    this.disk.crash();
  }

  forProcess(owner: SimProcessHandle): Disk {
    return new ProcessDisk(this.disk, owner, (path, sync) => this.syncOf(owner, path, sync));
  }

  /** The simulated time an fsync of `path` takes; `sync` makes it durable at its end. */
  private async syncOf(
    owner: SimProcessHandle,
    path: string,
    sync: () => Promise<void>,
  ): Promise<void> {
    const isLog = path.endsWith('.wal');
    if (isLog) this.logSyncsInFlight++;
    try {
      await this.syncDelay(owner);
      await sync();
    } finally {
      if (isLog && owner.alive) this.logSyncsInFlight--;
    }
  }

  private syncDelay(owner: SimProcessHandle): Promise<void> {
    const ticks = this.prng.nextIntegerInclusive(0, this.syncLatencyTicksMax);
    this.syncsInFlightCount++;
    return new Promise((resolve) =>
      this.clock.after(owner, ticks, () => {
        this.syncsInFlightCount--;
        resolve();
      }),
    );
  }

  /** fsyncs started and not completed: a crash now loses what they cover. */
  get syncsInFlight(): number {
    return this.syncsInFlightCount;
  }
}

/** Runs `operation` for a live process; a dead process's call never settles. */
async function guarded<T>(owner: SimProcessHandle, operation: () => Promise<T>): Promise<T> {
  if (!owner.alive) return never();
  let result: T;
  try {
    result = await operation();
  } catch (error) {
    if (!owner.alive) return never();
    throw error;
  }
  if (!owner.alive) return never();
  return result;
}

class ProcessDisk implements Disk {
  constructor(
    private readonly inner: SimulatedDisk,
    private readonly owner: SimProcessHandle,
    private readonly syncOf: (path: string, sync: () => Promise<void>) => Promise<void>,
  ) {}

  open(path: string, mode: OpenMode): Promise<DiskFile> {
    return guarded(this.owner, async () => {
      const file = await this.inner.open(path, mode);
      return new ProcessFile(file, this.owner, this.syncOf);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return guarded(this.owner, () => this.inner.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return guarded(this.owner, () => this.inner.unlink(path));
  }

  readdir(path: string): Promise<string[]> {
    return guarded(this.owner, () => this.inner.readdir(path));
  }

  mkdir(path: string): Promise<void> {
    return guarded(this.owner, () => this.inner.mkdir(path));
  }

  /** Instant (a metadata journal commit): only data fsyncs are slow in this model. */
  fsyncDirectory(path: string): Promise<void> {
    return guarded(this.owner, () => this.inner.fsyncDirectory(path));
  }

  stat(path: string): Promise<DiskStat | null> {
    return guarded(this.owner, () => this.inner.stat(path));
  }
}

class ProcessFile implements DiskFile {
  constructor(
    private readonly inner: DiskFile,
    private readonly owner: SimProcessHandle,
    private readonly syncOf: (path: string, sync: () => Promise<void>) => Promise<void>,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return guarded(this.owner, () => this.inner.write(data, position));
  }

  read(into: Uint8Array, position: number): Promise<number> {
    return guarded(this.owner, () => this.inner.read(into, position));
  }

  /** The data becomes durable when the simulated fsync completes, not when it starts. */
  datasync(): Promise<void> {
    return guarded(this.owner, () => this.syncOf(this.path, () => this.inner.datasync()));
  }

  sync(): Promise<void> {
    return guarded(this.owner, () => this.syncOf(this.path, () => this.inner.sync()));
  }

  truncate(length: number): Promise<void> {
    return guarded(this.owner, () => this.inner.truncate(length));
  }

  size(): Promise<number> {
    return guarded(this.owner, () => this.inner.size());
  }

  close(): Promise<void> {
    return guarded(this.owner, () => this.inner.close());
  }
}
