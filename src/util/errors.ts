// Typed errors with stable codes (like undici and fastify). A code never changes
// once released: scripts match on it. The exit code follows the CLI contract:
// 0 success, 1 failure, 2 usage error.

export type ErrorCode =
  | 'CAIRN_ERR_USAGE'
  | 'CAIRN_ERR_INVALID_ARGUMENT'
  | 'CAIRN_ERR_INVALID_KEY'
  | 'CAIRN_ERR_LIMIT_EXCEEDED'
  | 'CAIRN_ERR_NOT_FOUND'
  | 'CAIRN_ERR_NOT_LEADER'
  | 'CAIRN_ERR_NO_ENDPOINT'
  | 'CAIRN_ERR_UNAVAILABLE'
  | 'CAIRN_ERR_CONFLICT'
  | 'CAIRN_ERR_ALREADY_EXISTS' // a file (cairn cert) that is kept unless --force
  | 'CAIRN_ERR_CORRUPTION'
  | 'CAIRN_ERR_DISK_FULL'
  | 'CAIRN_ERR_IO'
  | 'CAIRN_ERR_TIMEOUT'
  | 'CAIRN_ERR_INTERNAL'
  // Client (src/client): HTTP API errors and malformed responses.
  | 'CAIRN_ERR_PRECONDITION_FAILED'
  | 'CAIRN_ERR_NOT_IN_CLUSTER'
  | 'CAIRN_ERR_BAD_RESPONSE'
  | 'CAIRN_ERR_PROPOSAL_DROPPED'
  | 'CAIRN_ERR_CLUSTER_MISMATCH'
  | 'CAIRN_ERR_ALREADY_IN_CLUSTER'
  | 'CAIRN_ERR_ABORTED'; // the caller aborted the request (an AbortSignal, Ctrl-C)

export interface ErrorDetails {
  readonly [name: string]: string | number | boolean | null;
}

/**
 * uvu's failure report calls `error.details.split('\n')` (it expects assertion text);
 * an object there made it abort the whole test file and lose the message. A hidden
 * `split` gives it readable text; JSON and equality checks do not see it.
 */
function withReadableText(details: ErrorDetails, text: string): ErrorDetails {
  const copy = { ...details };
  Object.defineProperty(copy, 'split', {
    value: (separator: string) => `${text} ${JSON.stringify(copy)}`.split(separator),
    enumerable: false,
  });
  return copy;
}

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: 1 | 2;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    options: { exitCode?: 1 | 2; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CairnError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.details = withReadableText(options.details ?? {}, `${code}: ${message}`);
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export class UsageError extends CairnError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CAIRN_ERR_USAGE', message, { exitCode: 2, details });
    this.name = 'UsageError';
  }
}

export class InvalidArgumentError extends CairnError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CAIRN_ERR_INVALID_ARGUMENT', message, { exitCode: 2, details });
    this.name = 'InvalidArgumentError';
  }
}

export class LimitExceededError extends CairnError {
  constructor(limitName: string, limitValue: number, actualValue: number, unit: string) {
    super(
      'CAIRN_ERR_LIMIT_EXCEEDED',
      `${limitName} is ${limitValue} ${unit}, got ${actualValue} ${unit}`,
      {
        details: { limit: limitName, limitValue, actualValue },
      },
    );
    this.name = 'LimitExceededError';
  }
}

export class NotFoundError extends CairnError {
  constructor(what: string) {
    super('CAIRN_ERR_NOT_FOUND', `${what} not found`);
    this.name = 'NotFoundError';
  }
}

export class CorruptionError extends CairnError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CAIRN_ERR_CORRUPTION', message, { details });
    this.name = 'CorruptionError';
  }
}

export function isCairnError(error: unknown): error is CairnError {
  return error instanceof CairnError;
}
