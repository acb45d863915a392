// Hinted hand-off on every node (issue 13, src/data/hinted-handoff.ts): stand-in copies
// this node holds for a home node that was down go home once it answers. One run at a
// time, bounded by the run's own limits; a run that did something is logged.

import type { ChunkTransport } from '../data/chunk-transfer.js';
import { runHintedHandoff } from '../data/hinted-handoff.js';
import type { Ring } from '../placement/index.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import type { HintsStore } from '../storage/hints-store.js';

export interface HandOffOptions {
  readonly selfId: string;
  readonly store: ChunkStore;
  readonly hints: HintsStore;
  readonly transport: ChunkTransport;
  readonly rings: () => readonly Ring[];
  readonly peerAddressOf: (memberId: string) => string | undefined;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

export class HandOff {
  private running: Promise<void> | undefined;

  constructor(private readonly options: HandOffOptions) {}

  /** The duty: one run unless one is still going. */
  duty(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const { log, ...context } = this.options;
    const report = await runHintedHandoff(context);
    const changed =
      report.handedOff +
      report.awayCopiesDeleted +
      report.droppedWithoutCopy +
      report.droppedNotHome;
    if (changed > 0 || report.failures.length > 0) log('hinted-handoff', { ...report });
  }
}
