// The retry rules, as pure functions of what happened (API.md, "Retries"):
// - a server error is retried only if it is NOT_LEADER, UNAVAILABLE or PROPOSAL_DROPPED;
// - a transport failure before the request was sent (refused) is always retryable;
//   after it may have been sent (reset, timeout) reads are retried, and so are
//   mutations that carry a request id (the server applies those at most once);
//   any other mutation stops there with outcome 'unknown';
// - nothing is retried if the request body cannot be replayed (a streamed body
//   that was already partly read);
// - attempts are bounded; when they run out the error names every endpoint tried;
// - every error of a mutation says its outcome: 'failed' (surely not applied) or
//   'unknown' (an attempt may have been applied and none settled it since).

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
  | {
      readonly kind: 'transport-error';
      readonly failure: TransportFailure;
      readonly cause: unknown;
    };

export interface RetryContext {
  readonly endpoint: Endpoint;
  /** True for requests that change state (PUT, DELETE, POST): their outcome matters. */
  readonly mutation: boolean;
  /**
   * The mutation carries a request id (x-cairn-request-id): the server applies it at
   * most once and answers a repeat with the first result, so it may be retried even
   * after an attempt whose outcome is unknown.
   */
  readonly deduplicated: boolean;
  /** An earlier attempt of this mutation may have been applied. */
  readonly earlierOutcomeUnknown: boolean;
  readonly bodyReplayable: boolean;
  readonly attempt: number;
  readonly attemptsMax: number;
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly leaderHint: Endpoint | undefined }
  | { readonly kind: 'give-up'; readonly error: CairnError }
  | { readonly kind: 'exhausted' };

/** Whether the change a failed attempt carried may have been applied. */
export function attemptOutcome(failure: AttemptFailure): Outcome {
  if (failure.kind === 'server-error') return serverErrorOutcome(failure.error);
  return failure.failure.sent === 'maybe' ? 'unknown' : 'failed';
}

export function decideAfterFailure(failure: AttemptFailure, context: RetryContext): RetryDecision {
  assertInteger(context.attempt, 'attempt', 1, context.attemptsMax);
  assert(
    !context.earlierOutcomeUnknown || (context.mutation && context.deduplicated),
    'only deduplicated mutations go on after an unknown outcome',
  );
  const outcome = attemptOutcome(failure);
  const outcomeSoFar: Outcome =
    context.earlierOutcomeUnknown || outcome === 'unknown' ? 'unknown' : 'failed';
  if (failure.kind === 'server-error' && !isRetryableServerError(failure.error)) {
    // The server's own answer for this request (for a deduplicated mutation, the
    // state machine answers a repeat with the first result): it settles the outcome.
    return { kind: 'give-up', error: withOutcome(failure.error, context.mutation, outcome) };
  }
  const error =
    failure.kind === 'server-error' ? failure.error : transportError(context.endpoint, failure);
  if (context.mutation && outcome === 'unknown' && !context.deduplicated) {
    return { kind: 'give-up', error: withOutcome(error, true, 'unknown') };
  }
  if (!context.bodyReplayable) {
    return {
      kind: 'give-up',
      error: notReplayable(error, context.mutation ? outcomeSoFar : undefined),
    };
  }
  if (context.attempt === context.attemptsMax) return { kind: 'exhausted' };
  return {
    kind: 'retry',
    leaderHint: failure.kind === 'server-error' ? leaderHintOf(failure.error) : undefined,
  };
}

/** The error after the last allowed attempt failed in a retryable way. */
export function exhaustedError(
  last: AttemptFailure,
  lastErrorByEndpoint: ReadonlyMap<string, string>,
  attempts: number,
  outcome: Outcome | undefined,
  everyFailureTimedOut: boolean,
): CairnError {
  assert(lastErrorByEndpoint.size > 0, 'at least one endpoint was tried');
  const mutationDetails: ErrorDetails = outcome === undefined ? {} : { outcome };
  if (last.kind === 'server-error') {
    // An endpoint answered: its error (NOT_LEADER, UNAVAILABLE) says most.
    return withDetails(last.error, `${last.error.message} (after ${attempts} attempts)`, {
      attempts,
      ...mutationDetails,
    });
  }
  const tried = [...lastErrorByEndpoint.entries()]
    .map(([name, error]) => `  ${name}: ${error}`)
    .join('\n');
  const details: ErrorDetails = {
    attempts,
    endpointsTried: [...lastErrorByEndpoint.keys()].join(','),
    lastErrors: [...lastErrorByEndpoint.entries()]
      .map(([name, error]) => `${name}: ${error}`)
      .join('; '),
    ...mutationDetails,
  };
  if (everyFailureTimedOut) {
    return new CairnError(
      'CAIRN_ERR_TIMEOUT',
      `no endpoint answered in time after ${attempts} attempts:\n${tried}`,
      {
        details,
        cause: last.cause,
      },
    );
  }
  return new CairnError(
    'CAIRN_ERR_NO_ENDPOINT',
    `no endpoint answered after ${attempts} attempts:\n${tried}`,
    {
      details,
      cause: last.cause,
    },
  );
}

/** A transport failure as an error; one that may have carried a change says its outcome is unknown. */
function transportError(
  endpoint: Endpoint,
  failure: Extract<AttemptFailure, { kind: 'transport-error' }>,
): CairnError {
  const transport = failure.failure;
  if (transport.sent === 'no') {
    return new CairnError('CAIRN_ERR_UNAVAILABLE', `${endpoint.name}: ${transport.description}`, {
      details: { endpoint: endpoint.name },
      cause: failure.cause,
    });
  }
  return new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `${endpoint.name}: ${transport.description} after the request may have been sent; ` +
      'if it was a change, its outcome is unknown (it may or may not have been applied)',
    { details: { endpoint: endpoint.name, timeout: transport.timeout }, cause: failure.cause },
  );
}

function notReplayable(error: CairnError, outcome: Outcome | undefined): CairnError {
  return withDetails(
    error,
    `${error.message} (not retried: the streamed request body was already partly read; ` +
      'pass a Uint8Array or a stream factory to allow retries)',
    outcome === undefined ? { retried: false } : { outcome, retried: false },
  );
}

function withOutcome(error: CairnError, mutation: boolean, outcome: Outcome): CairnError {
  return mutation ? withDetails(error, error.message, { outcome }) : error;
}

export function withDetails(error: CairnError, message: string, extra: ErrorDetails): CairnError {
  return new CairnError(error.code, message, {
    details: { ...error.details, ...extra },
    cause: error.cause ?? error,
  });
}
