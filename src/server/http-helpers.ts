// What every cairn HTTP endpoint shares: bounded body reading, JSON responses, and
// errors as {"error":{"code","message","details"}} with the status that fits the code
// (DESIGN.md section 6). Codes on the wire drop the CAIRN_ERR_ prefix.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CairnError, LimitExceededError, type ErrorCode } from '../util/errors.js';

const statusByCode: Partial<Record<ErrorCode, number>> = {
  CAIRN_ERR_USAGE: 400,
  CAIRN_ERR_INVALID_ARGUMENT: 400,
  CAIRN_ERR_INVALID_KEY: 400,
  CAIRN_ERR_LIMIT_EXCEEDED: 413,
  CAIRN_ERR_NOT_FOUND: 404,
  CAIRN_ERR_CONFLICT: 409,
  CAIRN_ERR_NOT_LEADER: 421,
  CAIRN_ERR_UNAVAILABLE: 503,
  CAIRN_ERR_TIMEOUT: 504,
  CAIRN_ERR_DISK_FULL: 507,
  CAIRN_ERR_CORRUPTION: 500,
  CAIRN_ERR_PRECONDITION_FAILED: 412,
  CAIRN_ERR_NOT_IN_CLUSTER: 503,
  CAIRN_ERR_PROPOSAL_DROPPED: 503,
  CAIRN_ERR_CLUSTER_MISMATCH: 403,
  CAIRN_ERR_ALREADY_IN_CLUSTER: 409,
};

export function statusForError(error: CairnError): number {
  return statusByCode[error.code] ?? 500;
}

export function wireCode(code: string): string {
  return code.replace(/^CAIRN_ERR_/, '');
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
    throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', 'the request body is not valid JSON', {
      exitCode: 2,
    });
  }
}
