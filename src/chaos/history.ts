// The run's record: every client operation with its invocation and completion time
// (milliseconds since the run started) and outcome, written as JSON lines as it
// completes, plus the fault log. Register operations use src/check's Operation
// shape; object operations carry sizes and content hashes instead of values.

import { createWriteStream, type WriteStream } from 'node:fs';
import type { Operation, Outcome } from '../check/index.js';
import { CairnError } from '../util/errors.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export type ObjectOperationKind = 'put' | 'get' | 'delete';

export interface ObjectOperation {
  readonly clientId: number;
  readonly kind: ObjectOperationKind;
  readonly key: string;
  readonly invokedAt: number;
  readonly completedAt: number | undefined;
  readonly outcome: Outcome;
  /** put: the bytes written; get: the bytes read (sha256 null: absent). */
  readonly sha256?: string | null | undefined;
  readonly size?: number | undefined;
  /** put: the content seed, so the bytes can be regenerated. */
  readonly contentSeed?: number | undefined;
  readonly error?: string | undefined;
}

export interface FaultRecord {
  readonly index: number;
  readonly kind: string;
  readonly description: string;
  readonly startedAt: number;
  healedAt: number | undefined;
  readonly skipped?: boolean | undefined;
}

export interface OperationCounts {
  ok: number;
  failed: number;
  unknown: number;
}

export class HistoryRecorder {
  readonly registerOperations: Operation[] = [];
  readonly objectOperations: ObjectOperation[] = [];
  readonly faults: FaultRecord[] = [];
  readonly counts: OperationCounts = { ok: 0, failed: 0, unknown: 0 };
  private readonly startMilliseconds = performance.now();
  private readonly historyStream: WriteStream | null;
  private readonly faultStream: WriteStream | null;

  constructor(historyPath: string | null, faultLogPath: string | null) {
    this.historyStream =
      historyPath === null ? null : createWriteStream(historyPath, { flags: 'a' });
    this.faultStream =
      faultLogPath === null ? null : createWriteStream(faultLogPath, { flags: 'a' });
  }

  /** Milliseconds since the run started (the time unit of every record). */
  now(): number {
    return Math.round((performance.now() - this.startMilliseconds) * 1000) / 1000;
  }

  get full(): boolean {
    return (
      this.registerOperations.length + this.objectOperations.length >= limits.chaosOperationsMax
    );
  }

  recordRegister(operation: Operation): void {
    assert(!this.full, 'the history is bounded');
    this.registerOperations.push(operation);
    this.counts[operation.outcome]++;
    this.historyStream?.write(`${JSON.stringify({ workload: 'register', ...operation })}\n`);
  }

  recordObject(operation: ObjectOperation): void {
    assert(!this.full, 'the history is bounded');
    this.objectOperations.push(operation);
    this.counts[operation.outcome]++;
    this.historyStream?.write(`${JSON.stringify({ workload: 'objects', ...operation })}\n`);
  }

  faultStarted(index: number, kind: string, description: string, skipped = false): FaultRecord {
    const record: FaultRecord = {
      index,
      kind,
      description,
      startedAt: this.now(),
      healedAt: undefined,
      ...(skipped ? { skipped } : {}),
    };
    this.faults.push(record);
    this.faultStream?.write(`${JSON.stringify({ event: 'start', ...record })}\n`);
    return record;
  }

  faultHealed(record: FaultRecord, note = ''): void {
    record.healedAt = this.now();
    this.faultStream?.write(
      `${JSON.stringify({ event: 'heal', index: record.index, kind: record.kind, at: record.healedAt, note })}\n`,
    );
  }

  note(event: string, fields: Record<string, unknown> = {}): void {
    this.faultStream?.write(`${JSON.stringify({ event, at: this.now(), ...fields })}\n`);
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.historyStream, this.faultStream].map((stream) =>
        stream === null ? undefined : new Promise<void>((resolve) => stream.end(() => resolve())),
      ),
    );
  }
}

/** What a write's failure means for the history: 'failed' only when the client knows it had no effect. */
export function writeOutcomeOf(error: unknown): Outcome {
  if (error instanceof CairnError)
    return error.details['outcome'] === 'failed'
      ? 'failed'
      : error.details['outcome'] === 'unknown'
        ? 'unknown'
        : 'unknown';
  return 'unknown';
}

export function errorText(error: unknown): string {
  if (error instanceof CairnError) return `${error.code}: ${error.message}`.slice(0, 300);
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
