// What `cairn txn` reads and prints: the JSON body from a file or stdin (validated with
// the path of a bad field), and the answer as tables.

import { readFileSync } from 'node:fs';
import { parseTxnRequest, type TxnAnswer, type TxnRequest } from '../api/index.js';
import { InvalidArgumentError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** Reads and validates a txn body; `-` is stdin. Errors name the bad field's path. */
export function readTxnBody(source: string, stdin: () => Buffer): TxnRequest {
  let text: Buffer;
  try {
    text = source === '-' ? stdin() : readFileSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(
      `cannot read ${source}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  if (text.length > limits.txnRequestBodyBytesMax)
    throw new LimitExceededError(
      'txnRequestBodyBytesMax',
      limits.txnRequestBodyBytesMax,
      text.length,
      'bytes',
    );
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`body: not valid JSON (${(error as Error).message})`, {
      path: 'body',
    });
  }
  return parseTxnRequest(json);
}

function shown(value: unknown): string {
  return value === null ? 'absent' : typeof value === 'string' ? value : JSON.stringify(value);
}

function resultText(result: TxnAnswer['results'][number]): string {
  const fields = result as Record<string, unknown>;
  if (fields['replayed'] === true) return 'read (not repeated on a replay)';
  switch (result.type) {
    case 'put':
      return `version ${String(fields['version'])}`;
    case 'putStaged':
      return `version ${String(fields['version'])} size ${String(fields['size'])}`;
    case 'delete':
      return fields['deleted'] === true ? 'deleted' : 'absent';
    case 'deletePrefix':
      return `${String(fields['deleted'])} deleted`;
    case 'get': {
      const object = fields['object'] as Record<string, unknown> | undefined;
      if (object === undefined) return 'absent';
      const text = object['valueText'];
      const value = typeof text === 'string' ? ` ${JSON.stringify(text.slice(0, 40))}` : '';
      return `version ${String(object['version'])} size ${String(object['size'])}${value}`;
    }
    case 'list': {
      const items = (fields['items'] as readonly unknown[] | undefined) ?? [];
      const more = fields['nextAfter'] === null ? '' : ', more after';
      return `${items.length} keys${more}`;
    }
    default:
      return JSON.stringify(result);
  }
}

export interface TxnTables {
  readonly headline: string;
  readonly results: { head: string[]; rows: string[][] };
  readonly failed: { head: string[]; rows: string[][] };
}

export function txnTables(answer: TxnAnswer): TxnTables {
  const verdict = answer.succeeded ? 'succeeded' : 'compares failed';
  const replay = answer.replayed ? ' (the kept outcome of an earlier application)' : '';
  const rows = answer.results.map((result, index) => {
    const fields = result as Record<string, unknown>;
    const target = String(fields['key'] ?? fields['prefix'] ?? '');
    return [String(index), result.type, target, resultText(result)];
  });
  const failedRows = answer.failedCompares.map((failed) => [
    `compare[${failed.index}]`,
    failed.current.key,
    `${failed.target} ${failed.operator} ${shown(failed.value)}`,
    failed.current.exists
      ? `${failed.target === 'exists' ? 'exists' : shown((failed.current as unknown as Record<string, unknown>)[failed.target])} (version ${String(failed.current.version)})`
      : 'absent',
  ]);
  return {
    headline: `txn ${answer.requestId || '(no request id)'} ${verdict} at revision ${answer.revision}${replay}`,
    results: { head: ['#', 'operation', 'key', 'result'], rows },
    failed: { head: ['compare', 'key', 'wanted', 'current'], rows: failedRows },
  };
}
