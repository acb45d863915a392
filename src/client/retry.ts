// The retry rules, as pure functions of what happened (API.md, "Retries"):
// - a server error is retried only if it is NOT_LEADER, UNAVAILABLE or PROPOSAL_DROPPED
//   and the server did not declare the outcome unknown for a mutation;
// - a transport failure before the request was sent (refused) is always retryable;
//   after it may have been sent (reset, timeout), only reads are retried, and a
//   mutation stops with outcome 'unknown';
// - nothing is retried if the request body cannot be replayed (a streamed body
//   that was already partly read);
// - attempts are bounded; when they run out the error names every endpoint tried.

import { assert, assertInteger } from '../util/assert.js';
import { CairnError, type ErrorDetails } from '../util/errors.js';
import type { Endpoint } from './endpoints.js';
import {
  isRetryableServerError,
  leaderHintOf,
  type Outcome,
  serverErrorOutcome,
  type TransportFailure,
} from './response-errors.js';

export type AttemptFailure =
  | { readonly kind: 'server-error'; readonly error: CairnError }
  | { readonly kind: 'transport-error'; readonly failure: TransportFailure; readonly cause: unknown };

export interface RetryContext {
  readonly endpoint: Endpoint;
  /** True for requests that change state (PUT, DELETE, POST): their outcome matters. */
  readonly mutation: boolean;
  readonly bodyReplayable: boolean;
  readonly attempt: number;
  readonly attemptsMax: number;
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly leaderHint: Endpoint | undefined }
  | { readonly kind: 'give-up'; readonly error: CairnError }
  | { readonly kind: 'exhausted' };

export function decideAfterFailure(failure: AttemptFailure, context: RetryContext): RetryDecision {
  assertInteger(context.attempt, 'attempt', 1, context.attemptsMax);
  if (failure.kind === 'server-error') {
    const error = failure.error;
    const outcome = serverErrorOutcome(error);
    if (!isRetryableServerError(error) || (context.mutation && outcome === 'unknown')) {
      return { kind: 'give-up', error: withOutcome(error, context.mutation, outcome) };
    }
    if (!context.bodyReplayable) {
      return { kind: 'give-up', error: notReplayable(error, context.mutation) };
    }
    if (context.attempt === context.attemptsMax) return { kind: 'exhausted' };
    return { kind: 'retry', leaderHint: leaderHintOf(error) };
  }
  const transport = failure.failure;
  if (transport.sent === 'maybe' && context.mutation) {
    return { kind: 'give-up', error: outcomeUnknownError(context.endpoint, transport, failure.cause) };
  }
  if (!context.bodyReplayable) {
    const error = new CairnError('CAIRN_ERR_UNAVAILABLE', `${context.endpoint.name}: ${transport.description}`, {
      details: { endpoint: context.endpoint.name },
      cause: failure.cause,
    });
    return { kind: 'give-up', error: notReplayable(error, context.mutation) };
  }
  if (context.attempt === context.attemptsMax) return { kind: 'exhausted' };
  return { kind: 'retry', leaderHint: undefined };
}

/** The error after the last allowed attempt failed in a retryable way. */
export function exhaustedError(
  last: AttemptFailure,
  lastErrorByEndpoint: ReadonlyMap<string, string>,
  attempts: number,
  mutation: boolean,
  everyFailureTimedOut: boolean,
): CairnError {
  assert(lastErrorByEndpoint.size > 0, 'at least one endpoint was tried');
  const mutationDetails: ErrorDetails = mutation ? { outcome: 'failed' } : {};
  if (last.kind === 'server-error') {
    // An endpoint answered: its error (NOT_LEADER, UNAVAILABLE) says most.
    return withDetails(last.error, `${last.error.message} (after ${attempts} attempts)`, { attempts, ...mutationDetails });
  }
  const tried = [...lastErrorByEndpoint.entries()].map(([name, error]) => `  ${name}: ${error}`).join('\n');
  const details: ErrorDetails = {
    attempts,
    endpointsTried: [...lastErrorByEndpoint.keys()].join(','),
    lastErrors: [...lastErrorByEndpoint.entries()].map(([name, error]) => `${name}: ${error}`).join('; '),
    ...mutationDetails,
  };
  if (everyFailureTimedOut) {
    return new CairnError('CAIRN_ERR_TIMEOUT', `no endpoint answered in time after ${attempts} attempts:\n${tried}`, {
      details,
      cause: last.cause,
    });
  }
  return new CairnError('CAIRN_ERR_NO_ENDPOINT', `no endpoint could be reached after ${attempts} attempts:\n${tried}`, {
    details,
    cause: last.cause,
  });
}

export function outcomeUnknownError(endpoint: Endpoint, transport: TransportFailure, cause: unknown): CairnError {
  return new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `${endpoint.name}: ${transport.description} after the request may have been sent; ` +
      'the outcome is unknown (the change may or may not have been applied)',
    { details: { outcome: 'unknown', endpoint: endpoint.name, timeout: transport.timeout }, cause },
  );
}

function notReplayable(error: CairnError, mutation: boolean): CairnError {
  return withDetails(
    error,
    `${error.message} (not retried: the streamed request body was already partly read; ` +
      'pass a Uint8Array or a stream factory to allow retries)',
    mutation ? { outcome: serverErrorOutcome(error), retried: false } : { retried: false },
  );
}

function withOutcome(error: CairnError, mutation: boolean, outcome: Outcome): CairnError {
  return mutation ? withDetails(error, error.message, { outcome }) : error;
}

export function withDetails(error: CairnError, message: string, extra: ErrorDetails): CairnError {
  return new CairnError(error.code, message, {
    exitCode: error.exitCode,
    details: { ...error.details, ...extra },
    cause: error.cause ?? error,
  });
}
