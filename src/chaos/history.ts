// The run's record: every client operation with its invocation and completion time
// (milliseconds since the run started) and outcome, written as JSON lines as it
// completes, plus the fault log. Register operations use src/check's Operation
// shape; object operations carry sizes and content hashes instead of values.

import { createWriteStream, type WriteStream } from 'node:fs';
import type { Operation, Outcome } from '../check/index.js';
import { CairnError } from '../util/errors.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { type AvailabilitySample, type SizeClass, sizeClassOf } from './availability.js';

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
  /** The stable code of the error a failed operation met. */
  readonly errorCode?: string | undefined;
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
  /** Every operation as availability sees it (src/chaos/availability.ts). */
  readonly samples: AvailabilitySample[] = [];
  /** The size class of each object key's latest put, to classify its gets and deletes. */
  private readonly sizeClassOfKey = new Map<string, SizeClass>();
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

  /** `errorCode`: the stable code of the error a failed operation met. */
  recordRegister(operation: Operation, errorCode?: string): void {
    assert(!this.full, 'the history is bounded');
    assert(operation.outcome !== 'ok' || errorCode === undefined, 'a success has no error');
    this.registerOperations.push(operation);
    this.counts[operation.outcome]++;
    this.samples.push({
      kind: operation.kind === 'get' ? 'read' : 'write',
      sizeClass: 'register',
      invokedAt: operation.invokedAt,
      completedAt: operation.completedAt,
      outcome: operation.outcome,
      errorCode,
    });
    const line = { workload: 'register', ...operation, ...(errorCode ? { errorCode } : {}) };
    this.historyStream?.write(`${JSON.stringify(line)}\n`);
  }

  recordObject(operation: ObjectOperation): void {
    assert(!this.full, 'the history is bounded');
    assert(
      operation.outcome === 'ok' || operation.errorCode !== undefined,
      'a failed object operation keeps its error code',
    );
    this.objectOperations.push(operation);
    this.counts[operation.outcome]++;
    if (operation.kind === 'put' && operation.size !== undefined)
      this.sizeClassOfKey.set(operation.key, sizeClassOf(operation.size));
    const sizeClass =
      operation.kind === 'get' && operation.outcome === 'ok' && operation.size !== undefined
        ? sizeClassOf(operation.size)
        : (this.sizeClassOfKey.get(operation.key) ?? 'inline');
    this.samples.push({
      kind: operation.kind === 'get' ? 'read' : 'write',
      sizeClass,
      invokedAt: operation.invokedAt,
      completedAt: operation.completedAt,
      outcome: operation.outcome,
      errorCode: operation.outcome === 'ok' ? undefined : operation.errorCode,
    });
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

/** The stable code of an error, for the history and the availability report. */
export function errorCodeOf(error: unknown): string {
  return error instanceof CairnError ? error.code : 'UNCLASSIFIED_ERROR';
}

export function errorText(error: unknown): string {
  if (error instanceof CairnError) return `${error.code}: ${error.message}`.slice(0, 300);
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
