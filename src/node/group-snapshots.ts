// Snapshots of the meta state and log compaction behind them: the in-memory log keeps
// snapshotRetainEntries before the snapshot for followers slightly behind, and WAL
// segments wholly below that point are deleted.

import type { MemoryLogStorage } from '../raft/index.js';
import type { RaftLog } from '../storage/raft-log.js';
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
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
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

  private async take(): Promise<void> {
    const { driver, memory, stateMachine, durableLog } = this.options;
    try {
      await driver.runExclusive(async () => {
        const captured = await stateMachine.capture();
        if (captured.index <= memory.snapshot().metadata.index) return;
        memory.createSnapshot(captured.index, captured.confState, captured.data);
        this.lastSnapshotIndex = captured.index;
        const retain = Math.min(
          snapshotRetainEntries,
          Math.floor(this.options.intervalEntries / 2),
        );
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
          bytes: captured.data.length,
          compactedTo: memory.firstIndex() - 1,
          segmentsRemoved,
        });
      }, snapshotTimeoutMilliseconds);
    } catch (error) {
      this.options.log('snapshot-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
