// The client side of GET /v1/watch: reads NDJSON lines, hands out whole revisions only
// (a revision's lines are held until all of them arrived), and resumes by itself from
// the last whole revision after a lost connection or a node's final line, so what the
// caller receives has no gap and no duplicate. Below the retained history it stops with
// CAIRN_ERR_COMPACTED (nothing can be resumed there).

import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WatchEventLine, WatchLine } from '../api/index.js';
import { CairnError, isCairnError } from '../util/errors.js';
import { errorRow } from '../util/errors.js';
import { limits } from '../util/limits.js';

export interface WatchOptions {
  /** Undefined: from the next revision; 1: from the oldest retained; else from this one. */
  readonly fromRevision?: number;
  readonly signal?: AbortSignal;
  /** Put events of inline objects carry `value` (base64) and `valueText` (values=true). */
  readonly values?: boolean;
  /** Called when the watch resumes after a lost stream (for logs). */
  readonly onResume?: (fromRevision: number, reason: string) => void;
}

export type WatchItem =
  /** One whole revision's events under the prefix, in the order made. */
  | {
      readonly kind: 'revision';
      readonly revision: number;
      readonly events: readonly WatchEventLine[];
    }
  /** Every revision up to this one has been delivered (resume from revision + 1). */
  | { readonly kind: 'progress'; readonly revision: number };

/** Opens one stream from `fromRevision` (undefined: the next revision). */
export type WatchOpener = (fromRevision: number | undefined) => Promise<Readable>;

const resumeDelayMilliseconds = 200;

/** The watch as an async iterator of whole revisions and progress marks. */
export async function* watchItems(
  open: WatchOpener,
  options: WatchOptions = {},
): AsyncGenerator<WatchItem> {
  // The next revision to ask for: undefined until the first stream says where it starts.
  let next = options.fromRevision;
  let failures = 0;
  for (let stream = 0; stream < limits.clientWatchStreamsMax; stream++) {
    if (options.signal?.aborted === true)
      throw new CairnError('CAIRN_ERR_ABORTED', 'the watch was aborted');
    let reason: string;
    try {
      const body = await open(next);
      const reader = readWatchLines(body, (revision) => {
        next = revision + 1;
        failures = 0;
      });
      for await (const item of reader.items) yield item;
      reason = reader.endReason();
    } catch (error) {
      if (!resumable(error)) throw error;
      reason = error instanceof Error ? error.message : String(error);
      failures++;
      if (failures > limits.clientWatchReconnectAttemptsMax) throw error;
    }
    options.onResume?.(next ?? 0, reason);
    if (failures > 0)
      await sleep(resumeDelayMilliseconds * Math.min(failures, 10), undefined, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }).catch(() => undefined);
  }
  throw new CairnError(
    'CAIRN_ERR_LIMIT_EXCEEDED',
    `the watch stopped after clientWatchStreamsMax (${limits.clientWatchStreamsMax}) streams`,
  );
}

function resumable(error: unknown): boolean {
  if (!isCairnError(error)) return true; // a transport failure of the stream itself
  if (error.code === 'CAIRN_ERR_ABORTED') return false;
  return errorRow(error.code).retryable || error.code === 'CAIRN_ERR_TIMEOUT';
}

interface LineReader {
  readonly items: AsyncGenerator<WatchItem>;
  /** Why the stream ended (after items is done). */
  endReason(): string;
}

/** Whole revisions and progress from one stream; `delivered` marks the last whole revision. */
function readWatchLines(body: Readable, delivered: (revision: number) => void): LineReader {
  let reason = 'the stream ended';
  async function* items(): AsyncGenerator<WatchItem> {
    let text = '';
    let pending: WatchEventLine[] = [];
    try {
      for await (const piece of body) {
        text += (piece as Buffer).toString('utf8');
        if (text.length > limits.clientWatchLineBytesMax && !text.includes('\n'))
          throw new CairnError('CAIRN_ERR_BAD_RESPONSE', 'a watch line exceeds its limit');
        const parts = text.split('\n');
        text = parts.pop() ?? '';
        for (const part of parts) {
          if (part === '') continue;
          const line = JSON.parse(part) as WatchLine;
          if (line.type === 'canceled') {
            reason = `the node ended the watch (${line.reason})`;
            return;
          }
          if (line.type === 'progress') {
            if (pending.length > 0) continue; // never inside a revision
            delivered(line.revision);
            yield { kind: 'progress', revision: line.revision };
            continue;
          }
          if (line.type === 'end') continue;
          pending.push(line);
          if (pending.length < line.events) continue;
          const revision = line.revision;
          delivered(revision);
          const events = pending;
          pending = [];
          yield { kind: 'revision', revision, events };
        }
      }
    } finally {
      body.destroy();
    }
  }
  return { items: items(), endReason: () => reason };
}
