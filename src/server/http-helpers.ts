// What every cairn HTTP endpoint shares: bounded body reading, JSON responses, and
// errors as {"error":{"code","message","details"}} with the status that fits the code
// (DESIGN.md section 6). Codes on the wire drop the CAIRN_ERR_ prefix.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CairnError, errorRow, LimitExceededError, wireCode } from '../util/errors.js';

/** The status of the code's row in the error table (src/util/errors.ts). */
export function statusForError(error: CairnError): number {
  return errorRow(error.code).status;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  const cairnError =
    error instanceof CairnError
      ? error
      : new CairnError(
          'CAIRN_ERR_INTERNAL',
          error instanceof Error ? error.message : String(error),
        );
  if (response.headersSent) {
    // The body has started: the only honest signal left is to cut the connection.
    response.destroy(cairnError);
    return;
  }
  sendJson(response, statusForError(cairnError), {
    error: {
      code: wireCode(cairnError.code),
      message: cairnError.message,
      details: cairnError.details,
    },
  });
}

/** Reads a whole request body, refusing more than `bodyBytesMax` (413 naming the limit). */
export async function readBody(
  request: IncomingMessage,
  bodyBytesMax: number,
  limitName: string,
): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > bodyBytesMax)
    throw new LimitExceededError(limitName, bodyBytesMax, declared, 'bytes');
  const parts: Buffer[] = [];
  let received = 0;
  for await (const part of request as AsyncIterable<Buffer>) {
    received += part.length;
    if (received > bodyBytesMax) {
      request.resume();
      throw new LimitExceededError(limitName, bodyBytesMax, received, 'bytes');
    }
    parts.push(part);
  }
  return Buffer.concat(parts, received);
}

export async function readJsonBody(
  request: IncomingMessage,
  bodyBytesMax: number,
  limitName: string,
): Promise<unknown> {
  const body = await readBody(request, bodyBytesMax, limitName);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', 'the request body is not valid JSON');
  }
}
