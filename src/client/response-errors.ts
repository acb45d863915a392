// Turning what went wrong into a CairnError: a server's JSON error response
// (`{"error":{"code","message","details"}}`, API.md) or a transport failure (refused,
// reset, timed out). Pure: no I/O here, so the mapping is table-tested.

import { STATUS_CODES } from 'node:http';
import { assert } from '../util/assert.js';
import { CairnError, type ErrorCode, type ErrorDetails } from '../util/errors.js';
import { type Endpoint, parseEndpoint } from './endpoints.js';

/** Whether a failed mutation was surely not applied ('failed') or may have been ('unknown'). */
export type Outcome = 'failed' | 'unknown';

// The server codes the client knows, as sent on the wire ("NOT_FOUND"); each maps to
// CAIRN_ERR_<code>. An unknown code (a newer server) falls back to the HTTP status.
const knownServerCodes: readonly string[] = [
  'USAGE',
  'INVALID_ARGUMENT',
  'INVALID_KEY',
  'LIMIT_EXCEEDED',
  'NOT_FOUND',
  'NOT_LEADER',
  'NO_ENDPOINT',
  'UNAVAILABLE',
  'CONFLICT',
  'CORRUPTION',
  'DISK_FULL',
  'IO',
  'TIMEOUT',
  'INTERNAL',
  'PRECONDITION_FAILED',
  'NOT_IN_CLUSTER',
  'BAD_RESPONSE',
  'PROPOSAL_DROPPED',
  'CLUSTER_MISMATCH',
  'ALREADY_IN_CLUSTER',
];

const retryableCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CAIRN_ERR_NOT_LEADER',
  'CAIRN_ERR_UNAVAILABLE',
  'CAIRN_ERR_PROPOSAL_DROPPED',
]);

// Codes after which a mutation may have been applied even though the server said
// "error": it timed out waiting for the commit, or failed after it.
const outcomeUnknownCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CAIRN_ERR_TIMEOUT',
  'CAIRN_ERR_INTERNAL',
  'CAIRN_ERR_IO',
  'CAIRN_ERR_BAD_RESPONSE',
]);

const detailsKeysMax = 32;
const detailStringCharactersMax = 512;

/** CAIRN_ERR_<code> for a known server code ("NOT_FOUND" or "CAIRN_ERR_NOT_FOUND"). */
function knownErrorCode(serverCode: string | undefined): ErrorCode | undefined {
  if (serverCode === undefined) return undefined;
  const bare = serverCode.startsWith('CAIRN_ERR_')
    ? serverCode.slice('CAIRN_ERR_'.length)
    : serverCode;
  return knownServerCodes.includes(bare) ? (`CAIRN_ERR_${bare}` as ErrorCode) : undefined;
}

export function errorCodeFor(serverCode: string | undefined, status: number): ErrorCode {
  const known = knownErrorCode(serverCode);
  if (known !== undefined) return known;
  if (status === 400) return 'CAIRN_ERR_INVALID_ARGUMENT';
  if (status === 404) return 'CAIRN_ERR_NOT_FOUND';
  if (status === 409) return 'CAIRN_ERR_CONFLICT';
  if (status === 412) return 'CAIRN_ERR_PRECONDITION_FAILED';
  if (status === 413) return 'CAIRN_ERR_LIMIT_EXCEEDED';
  if (status === 421) return 'CAIRN_ERR_NOT_LEADER';
  if (status === 503) return 'CAIRN_ERR_UNAVAILABLE';
  if (status === 504) return 'CAIRN_ERR_TIMEOUT';
  if (status === 507) return 'CAIRN_ERR_DISK_FULL';
  if (status >= 400 && status < 500) return 'CAIRN_ERR_INVALID_ARGUMENT';
  if (status >= 500 && status < 600) return 'CAIRN_ERR_INTERNAL';
  return 'CAIRN_ERR_BAD_RESPONSE';
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
  if (parsed.serverCode !== undefined && knownErrorCode(parsed.serverCode) === undefined) {
    details['serverCode'] = parsed.serverCode.slice(0, detailStringCharactersMax);
  }
  const statusText = STATUS_CODES[status] === undefined ? '' : ` ${STATUS_CODES[status]}`;
  const message =
    parsed.message ??
    `HTTP ${status}${statusText} from ${endpoint.name}${parsed.rawPreview ? `: ${parsed.rawPreview}` : ''}`;
  const exitCode =
    code === 'CAIRN_ERR_INVALID_ARGUMENT' || code === 'CAIRN_ERR_INVALID_KEY' ? 2 : 1;
  return new CairnError(code, message, { exitCode, details });
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
  return retryableCodes.has(error.code);
}

/** Whether a mutation that got this server error may nevertheless have been applied. */
export function serverErrorOutcome(error: CairnError): Outcome {
  const declared = error.details['outcome'];
  if (declared === 'unknown') return 'unknown';
  if (declared === 'failed') return 'failed';
  return outcomeUnknownCodes.has(error.code) ? 'unknown' : 'failed';
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
