// Snapshots of the meta state and log compaction behind them: the in-memory log keeps
// snapshotRetainEntries before the snapshot for followers slightly behind, and WAL
// segments wholly below that point are deleted.
//
// With snapshot files (production) a snapshot is taken in three steps: (1) with the
// Raft loop paused, a read transaction of the state store is opened at the applied
// index; (2) with the loop running again, that consistent read is streamed to a file
// in bounded pieces, so a large state does not stop writes; (3) paused again, the
// in-memory log takes the file's reference as its snapshot and the log is compacted.
// Older snapshot files are then deleted (a transfer that has one open keeps reading).

import type { MemoryLogStorage } from '../raft/index.js';
import type { RaftLog } from '../storage/raft-log.js';
import type { SnapshotFiles } from '../storage/snapshot-files.js';
import { decodeSnapshotReference } from '../storage/snapshot-reference.js';
import type { MetaStateMachine } from './meta-state-machine.js';
import type { RaftDriver } from './raft-driver.js';

/** Entries kept in the log behind a snapshot, so a follower slightly behind needs no snapshot. */
const snapshotRetainEntries = 1_000;
const snapshotTimeoutMilliseconds = 60_000;

export interface SnapshotterOptions {
  readonly stateMachine: MetaStateMachine;
  readonly durableLog: RaftLog;
  readonly memory: MemoryLogStorage;
  readonly driver: RaftDriver;
  /** Applied entries between two snapshots of the meta state (and log compactions). */
  readonly intervalEntries: number;
  readonly lastSnapshotIndex: number;
  /** Snapshot files: streamed snapshots (absent: the state is captured in memory). */
  readonly files?: SnapshotFiles;
  /** Keep the Raft loop paused while the file is written (no writes during the read). */
  readonly pauseWritesWhileSaving?: boolean;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

interface Captured {
  readonly index: number;
  readonly confState: ReturnType<MetaStateMachine['confState']>;
  readonly data: Uint8Array;
}

export class Snapshotter {
  private lastSnapshotIndex: number;
  private running = false;

  constructor(private readonly options: SnapshotterOptions) {
    this.lastSnapshotIndex = options.lastSnapshotIndex;
  }

  /** After entries were applied: snapshot when the interval has passed (one at a time). */
  onApplied(appliedIndex: number): void {
    if (appliedIndex - this.lastSnapshotIndex < this.options.intervalEntries || this.running)
      return;
    this.running = true;
    void this.take().finally(() => {
      this.running = false;
    });
  }

  /** A leader's snapshot replaced the state: files older than it are not needed. */
  onInstalled(): void {
    const index = this.options.memory.snapshot().metadata.index;
    this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index);
    void this.removeOldFiles();
  }

  private async take(): Promise<void> {
    const { driver } = this.options;
    try {
      const captured =
        this.options.files === undefined || this.options.pauseWritesWhileSaving === true
          ? await driver.runExclusive(() => this.captureWhole(), snapshotTimeoutMilliseconds)
          : await this.captureStreamed();
      if (captured === null) return;
      await driver.runExclusive(() => this.adopt(captured), snapshotTimeoutMilliseconds);
      await this.removeOldFiles();
    } catch (error) {
      this.options.log('snapshot-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The state captured with the loop paused (in memory, or a file written while paused). */
  private async captureWhole(): Promise<Captured | null> {
    const { stateMachine, memory, driver } = this.options;
    if (driver.appliedIndex <= memory.snapshot().metadata.index) return null;
    return await stateMachine.capture();
  }

  /** Steps 1 and 2 of the file comment: open the read paused, write it while running. */
  private async captureStreamed(): Promise<Captured | null> {
    const { stateMachine, memory, driver } = this.options;
    const begun = await driver.runExclusive(
      async () =>
        driver.appliedIndex <= memory.snapshot().metadata.index
          ? null
          : stateMachine.beginCapture(),
      snapshotTimeoutMilliseconds,
    );
    if (begun === null) return null;
    const data = await begun.save();
    return { index: begun.index, confState: begun.confState, data };
  }

  /** Step 3: the in-memory log takes the snapshot; the log behind it is compacted. */
  private async adopt(captured: Captured): Promise<void> {
    const { memory, stateMachine, durableLog } = this.options;
    // A leader's snapshot may have been installed while the file was written.
    if (captured.index <= memory.snapshot().metadata.index) return;
    memory.createSnapshot(captured.index, captured.confState, captured.data);
    this.lastSnapshotIndex = captured.index;
    const retain = Math.min(snapshotRetainEntries, Math.floor(this.options.intervalEntries / 2));
    const compactIndex = captured.index - retain;
    const term = compactIndex >= memory.firstIndex() ? memory.term(compactIndex) : undefined;
    let segmentsRemoved = 0;
    if (term !== undefined) {
      // The log is what re-applies entries the state store lost in a crash: the
      // store must hold them durably before the log lets go of them.
      await stateMachine.flush();
      memory.compact(compactIndex);
      segmentsRemoved = await durableLog.compact({ index: compactIndex, term });
    }
    this.options.log('snapshot', {
      index: captured.index,
      bytes: decodeSnapshotReference(captured.data)?.bytes ?? captured.data.length,
      compactedTo: memory.firstIndex() - 1,
      segmentsRemoved,
    });
  }

  private async removeOldFiles(): Promise<void> {
    const { files, memory } = this.options;
    if (files === undefined) return;
    try {
      await files.removeOlderThan(memory.snapshot().metadata.index);
    } catch (error) {
      this.options.log('snapshot-cleanup-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
