// Turning what went wrong into a CairnError: a server's JSON error response
// (`{"error":{"code","message","details"}}`, API.md) or a transport failure (refused,
// reset, timed out). Pure: no I/O here, so the mapping is table-tested.

import { STATUS_CODES } from 'node:http';
import { assert } from '../util/assert.js';
import {
  CairnError,
  codeForStatus,
  codeFromWire,
  type ErrorCode,
  type ErrorDetails,
  errorRow,
} from '../util/errors.js';
import { type Endpoint, parseEndpoint } from './endpoints.js';

/** Whether a failed mutation was surely not applied ('failed') or may have been ('unknown'). */
export type Outcome = 'failed' | 'unknown';

const detailsKeysMax = 32;
const detailStringCharactersMax = 512;

/**
 * The code of a server error: the one its body names when it is in the error table
 * (src/util/errors.ts), else the one the table declares for its status.
 */
export function errorCodeFor(serverCode: string | undefined, status: number): ErrorCode {
  const known = serverCode === undefined ? undefined : codeFromWire(serverCode);
  return known ?? codeForStatus(status);
}

/** A server error response as a CairnError; bodyText may be empty (HEAD) or not JSON (a proxy). */
export function errorFromResponse(
  status: number,
  bodyText: string,
  endpoint: Endpoint,
): CairnError {
  assert(Number.isInteger(status) && status >= 100 && status < 1000, 'HTTP status in range');
  const parsed = parseErrorBody(bodyText);
  const code = errorCodeFor(parsed.serverCode, status);
  const details: Record<string, string | number | boolean | null> = { ...parsed.details };
  details['status'] = status;
  details['endpoint'] = endpoint.name;
  if (parsed.serverCode !== undefined && codeFromWire(parsed.serverCode) === undefined) {
    details['serverCode'] = parsed.serverCode.slice(0, detailStringCharactersMax);
  }
  const statusText = STATUS_CODES[status] === undefined ? '' : ` ${STATUS_CODES[status]}`;
  const message =
    parsed.message ??
    `HTTP ${status}${statusText} from ${endpoint.name}${parsed.rawPreview ? `: ${parsed.rawPreview}` : ''}`;
  return new CairnError(code, message, { details });
}

interface ParsedErrorBody {
  readonly serverCode: string | undefined;
  readonly message: string | undefined;
  readonly details: ErrorDetails;
  readonly rawPreview: string | undefined;
}

function parseErrorBody(bodyText: string): ParsedErrorBody {
  const none: ParsedErrorBody = {
    serverCode: undefined,
    message: undefined,
    details: {},
    rawPreview: undefined,
  };
  if (bodyText.trim().length === 0) return none;
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return { ...none, rawPreview: bodyText.slice(0, 200) };
  }
  const error = isRecord(json) ? json['error'] : undefined;
  if (!isRecord(error)) return { ...none, rawPreview: bodyText.slice(0, 200) };
  const serverCode = typeof error['code'] === 'string' ? error['code'] : undefined;
  const message =
    typeof error['message'] === 'string' && error['message'].length > 0
      ? error['message']
      : undefined;
  return { serverCode, message, details: flattenDetails(error['details']), rawPreview: undefined };
}

/** Keeps primitive detail values; nested values become bounded JSON text. */
export function flattenDetails(value: unknown): ErrorDetails {
  const details: Record<string, string | number | boolean | null> = {};
  if (!isRecord(value)) return details;
  let kept = 0;
  for (const [name, item] of Object.entries(value)) {
    if (kept >= detailsKeysMax) break;
    kept += 1;
    if (item === null || typeof item === 'number' || typeof item === 'boolean')
      details[name] = item;
    else if (typeof item === 'string') details[name] = item.slice(0, detailStringCharactersMax);
    else details[name] = (JSON.stringify(item) ?? 'undefined').slice(0, detailStringCharactersMax);
  }
  return details;
}

export function isRetryableServerError(error: CairnError): boolean {
  return errorRow(error.code).retryable;
}

/** Whether a mutation that got this server error may nevertheless have been applied. */
export function serverErrorOutcome(error: CairnError): Outcome {
  const declared = error.details['outcome'];
  if (declared === 'unknown') return 'unknown';
  if (declared === 'failed') return 'failed';
  // 'none' (a code the client raises itself, never a server's answer): claim nothing.
  return errorRow(error.code).outcome === 'failed' ? 'failed' : 'unknown';
}

/** The leader named by a NOT_LEADER error, if it names one we can parse. */
export function leaderHintOf(error: CairnError): Endpoint | undefined {
  if (error.code !== 'CAIRN_ERR_NOT_LEADER') return undefined;
  const address = error.details['leaderClientAddress'];
  if (typeof address !== 'string' || address.length === 0) return undefined;
  try {
    return parseEndpoint(address);
  } catch {
    return undefined; // a garbled hint is ignored: the retry walks the endpoint list instead
  }
}

export interface TransportFailure {
  /** 'no' when the request surely never reached the server (connection refused). */
  readonly sent: 'no' | 'maybe';
  readonly timeout: boolean;
  readonly description: string;
}

const notSentErrorCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const timeoutErrorCodes: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** Classifies an error thrown by undici or the socket. Unknown errors count as maybe-sent. */
export function classifyTransportError(error: unknown): TransportFailure {
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const description =
    code === undefined
      ? message
      : `${code}${message && !message.includes(code) ? ` (${message})` : ''}`;
  return {
    sent: code !== undefined && notSentErrorCodes.has(code) ? 'no' : 'maybe',
    timeout: code !== undefined && timeoutErrorCodes.has(code),
    description: description.slice(0, detailStringCharactersMax),
  };
}

function errorCodeOf(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  if (typeof error['code'] === 'string') return error['code'];
  // Node's happy-eyeballs connect reports an AggregateError of the per-address errors.
  const inner = error['errors'];
  if (Array.isArray(inner) && inner.length > 0) {
    const first: unknown = inner[0];
    if (isRecord(first) && typeof first['code'] === 'string') return first['code'];
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
