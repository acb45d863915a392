// CairnClient: the HTTP client every command uses (DESIGN.md section 6, API.md).
// One undici Pool per endpoint (keep-alive), a balancing policy for the first
// endpoint of each request, bounded retries with backoff, and leader redirects.
// Object bodies stream both ways; nothing holds a whole object in memory.

import {
  routePath,
  routes,
  type StagedUpload,
  type TxnAnswer,
  type TxnRequest,
  txnRequestJson,
} from '../api/index.js';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { type ClientTls, clientDialOptions, clientTlsDefault } from '../net/index.js';
import { AssertionFailure, assert, assertInteger } from '../util/assert.js';
import { CairnError, InvalidArgumentError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { Prng } from '../util/prng.js';
import { type Endpoint, parseEndpoint, parseEndpoints } from './endpoints.js';
import {
  type Consistency,
  type DeleteResult,
  type ObjectListPage,
  type ObjectMetadata,
  parseDeleteResult,
  parseListPage,
  parseMetadataHeaders,
  parseObjectMetadata,
  validateKey,
} from './messages.js';
import {
  type BackoffOptions,
  type BalancingPolicy,
  backoffDelayMilliseconds,
  balancingPolicies,
  EndpointSelector,
  nextEndpointIndex,
  validateBackoff,
} from './policy.js';
import { type ObjectBody, RequestBody } from './request-body.js';
import { classifyTransportError, errorFromResponse, type Outcome } from './response-errors.js';
import { parseStagedUpload, parseTxnAnswer } from './txn-messages.js';
import { verifiedBody } from './verified-body.js';
import { type WatchItem, type WatchOptions, watchItems } from './watch.js';
import {
  type AttemptFailure,
  attemptOutcome,
  decideAfterFailure,
  exhaustedError,
  withDetails,
} from './retry.js';

export interface CairnClientOptions {
  /** Parsed endpoints, or the text of --endpoints / CAIRN_ENDPOINTS. */
  readonly endpoints: readonly Endpoint[] | string;
  readonly policy?: BalancingPolicy;
  /** Attempts per request in total, the first included. Default limits.clientRetryAttemptsMax. */
  readonly retryAttemptsMax?: number;
  /** Connect, response-headers and body-idle timeout of one attempt. */
  readonly requestTimeoutMilliseconds?: number;
  readonly backoff?: BackoffOptions;
  /** Randomness for the random policy and backoff jitter; seed it for reproducible runs. */
  readonly prng?: Prng;
  readonly connectionsPerEndpoint?: number;
  /**
   * Send each put and delete with a fresh x-cairn-request-id (default true). The server
   * applies a request id at most once, so such a write is retried even after an attempt
   * whose outcome is unknown. Without it such a write stops with outcome 'unknown'.
   */
  readonly deduplicateWrites?: boolean;
  /**
   * For https endpoints: the CA bundle to trust (else the system CAs) and a client
   * certificate and key to present. Default: the process's (the CLI's --cacert, --cert, --key).
   */
  readonly tls?: ClientTls;
  /** A bearer token (cairn auth token create), sent as `authorization: Bearer TOKEN`. */
  readonly token?: string;
}

/** A fenced write names its lock and token (API.md, fencing). */
const fenceHeader = 'x-cairn-fence';

export interface RequestOptions {
  /** Aborts the request (and the retries still to come) with CAIRN_ERR_ABORTED. */
  readonly signal?: AbortSignal;
}

export interface PutObjectOptions extends RequestOptions {
  /** Byte count of a streamed body; sent as content-length. */
  readonly size?: number;
  /** Write only if the current version is this one (if-match-version). */
  readonly ifVersion?: number;
  /** Write only if the key does not exist (if-none-match: *). */
  readonly ifAbsent?: boolean;
  /** Called with the bytes sent so far in the current attempt (a retry starts again at 0). */
  readonly onProgress?: (bytesSent: number) => void;
  /** NAME=TOKEN (x-cairn-fence): applied only while TOKEN holds lock NAME, else FENCED. */
  readonly fence?: string;
  /** The object is deleted when this lease ends (x-cairn-lease). */
  readonly lease?: number;
}

export interface GetObjectOptions extends RequestOptions {
  readonly consistency?: Consistency;
}

export interface GetObjectStreamOptions extends GetObjectOptions {
  /**
   * Hash the body as it streams and fail it with CAIRN_ERR_CORRUPTION at the end if
   * its SHA-256 or length differs from the metadata (default true).
   */
  readonly verify?: boolean;
}

export interface GetObjectResult {
  readonly metadata: ObjectMetadata;
  /** The object's bytes, streamed. Consume it or destroy it: it holds a connection. */
  readonly body: Readable;
}

export interface DeleteObjectOptions extends RequestOptions {
  readonly ifVersion?: number;
  /** NAME=TOKEN (x-cairn-fence): applied only while TOKEN holds lock NAME, else FENCED. */
  readonly fence?: string;
}

export interface TxnOptions extends RequestOptions {
  /** NAME=TOKEN (x-cairn-fence): applied only while TOKEN holds lock NAME, else FENCED. */
  readonly fence?: string;
}

export interface ListObjectsOptions extends RequestOptions {
  readonly prefix?: string;
  readonly after?: string;
  readonly limit?: number;
  /** List the state at this retained revision (a page's `revision` pins the next pages). */
  readonly atRevision?: number;
}

export type JsonMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

type Method = 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST';

interface RequestPlan {
  readonly method: Method;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: RequestBody | string | undefined;
  /** The object key, for the key-hash policy. */
  readonly key: string | undefined;
  readonly mutation: boolean;
  /** Carries x-cairn-request-id: the server applies it at most once. */
  readonly deduplicated: boolean;
  /** 'stream' hands the body to the caller; 'json' parses it; 'none' discards it. */
  readonly expect: 'stream' | 'json' | 'none';
  readonly signal: AbortSignal | undefined;
}

interface Answer {
  readonly endpoint: Endpoint;
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly json: unknown;
  readonly body: Readable | undefined;
}

type AttemptResult = { readonly kind: 'answer'; readonly answer: Answer } | AttemptFailure;

export class CairnClient {
  readonly endpoints: readonly Endpoint[];
  private readonly selector: EndpointSelector;
  private readonly retryAttemptsMax: number;
  private readonly requestTimeoutMilliseconds: number;
  private readonly backoff: BackoffOptions;
  private readonly prng: Prng;
  private readonly connectionsPerEndpoint: number;
  private readonly deduplicateWrites: boolean;
  private readonly pools = new Map<string, Pool>();
  /** One scheme for all endpoints; a leader learned from a hint is dialed with it too. */
  private readonly scheme: 'http' | 'https';
  private readonly tls: ClientTls;
  /** The leader named by the last NOT_LEADER hint; mutations try it first. */
  private leaderHint: Endpoint | undefined;
  private closed = false;
  /** GET bodies handed out and not yet closed; close() ends them if their owner never does. */
  private readonly liveBodies = new Set<Readable>();

  /** The bearer token every request carries, if any. */
  readonly token: string | undefined;

  constructor(options: CairnClientOptions) {
    this.token = options.token === undefined || options.token === '' ? undefined : options.token;
    if (this.token !== undefined && !/^[\x21-\x7e]+$/.test(this.token))
      throw new InvalidArgumentError('a token is printable ASCII without spaces');
    this.endpoints =
      typeof options.endpoints === 'string'
        ? parseEndpoints(options.endpoints)
        : [...options.endpoints];
    assertInteger(this.endpoints.length, 'endpoint count', 1, limits.clientEndpointsMax);
    const policy = options.policy ?? 'round-robin';
    if (!balancingPolicies.includes(policy)) {
      throw new InvalidArgumentError(
        `unknown balancing policy "${String(policy)}"; use ${balancingPolicies.join(', ')}`,
      );
    }
    this.retryAttemptsMax = options.retryAttemptsMax ?? limits.clientRetryAttemptsMax;
    assertInteger(
      this.retryAttemptsMax,
      'retryAttemptsMax',
      1,
      limits.clientRetryAttemptsOptionMax,
    );
    this.requestTimeoutMilliseconds =
      options.requestTimeoutMilliseconds ?? limits.clientRequestTimeoutMilliseconds;
    assertInteger(
      this.requestTimeoutMilliseconds,
      'requestTimeoutMilliseconds',
      1,
      24 * 60 * 60 * 1000,
    );
    this.backoff = options.backoff ?? {
      baseMilliseconds: limits.clientBackoffBaseMillisecondsDefault,
      maxMilliseconds: limits.clientBackoffMaxMillisecondsDefault,
    };
    validateBackoff(this.backoff);
    this.deduplicateWrites = options.deduplicateWrites ?? true;
    this.connectionsPerEndpoint =
      options.connectionsPerEndpoint ?? limits.clientConnectionsPerEndpointMax;
    assertInteger(
      this.connectionsPerEndpoint,
      'connectionsPerEndpoint',
      1,
      limits.clientConnectionsPerEndpointMax,
    );
    // Without an injected generator the jitter must still differ between processes.
    this.prng = options.prng ?? new Prng(Math.floor(Math.random() * 0x1_0000_0000));
    this.selector = new EndpointSelector(this.endpoints.length, policy, this.prng);
    this.scheme = (this.endpoints[0] as Endpoint).origin.startsWith('https:') ? 'https' : 'http';
    if (this.endpoints.some((endpoint) => !endpoint.origin.startsWith(`${this.scheme}:`)))
      throw new InvalidArgumentError('endpoints mix http:// and https://: use one scheme');
    this.tls = options.tls ?? clientTlsDefault() ?? {};
  }

  async putObject(
    key: string,
    body: ObjectBody,
    options: PutObjectOptions = {},
  ): Promise<ObjectMetadata> {
    validateKey(key);
    const requestBody = new RequestBody(body, options.onProgress);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    const size = requestBody.knownSize ?? options.size;
    if (options.size !== undefined) assertInteger(options.size, 'size');
    if (
      requestBody.knownSize !== undefined &&
      options.size !== undefined &&
      options.size !== requestBody.knownSize
    ) {
      throw new InvalidArgumentError(
        `size ${options.size} differs from the body's ${requestBody.knownSize} bytes`,
      );
    }
    if (size !== undefined) headers['content-length'] = String(size);
    if (options.ifVersion !== undefined && options.ifAbsent === true) {
      throw new InvalidArgumentError('ifVersion and ifAbsent cannot be combined');
    }
    if (options.ifVersion !== undefined) {
      assertInteger(options.ifVersion, 'ifVersion');
      headers['if-match-version'] = String(options.ifVersion);
    }
    if (options.ifAbsent === true) headers['if-none-match'] = '*';
    if (options.fence !== undefined) headers[fenceHeader] = options.fence;
    if (options.lease !== undefined) {
      assertInteger(options.lease, 'lease', 1);
      headers['x-cairn-lease'] = String(options.lease);
    }
    if (this.deduplicateWrites) headers[requestIdHeader] = randomUUID();
    try {
      const answer = await this.send({
        method: 'PUT',
        path: objectPath(key),
        headers,
        body: requestBody,
        key,
        mutation: true,
        deduplicated: this.deduplicateWrites,
        expect: 'json',
        signal: options.signal,
      });
      return appliedMutationResult(() => parseObjectMetadata(answer.json, answer.endpoint, key));
    } finally {
      requestBody.dispose();
    }
  }

  async getObject(key: string, options: GetObjectStreamOptions = {}): Promise<GetObjectResult> {
    validateKey(key);
    const path = `${objectPath(key)}?consistency=${options.consistency ?? 'linearizable'}`;
    const answer = await this.send({
      method: 'GET',
      path,
      headers: {},
      body: undefined,
      key,
      mutation: false,
      deduplicated: false,
      expect: 'stream',
      signal: options.signal,
    });
    assert(answer.body !== undefined, 'a streamed answer has a body');
    try {
      const metadata = parseMetadataHeaders(answer.headers, key, answer.endpoint);
      const body =
        options.verify === false
          ? answer.body
          : verifiedBody(answer.body, metadata, answer.endpoint.name);
      this.liveBodies.add(body);
      body.once('close', () => this.liveBodies.delete(body));
      return { metadata, body };
    } catch (error) {
      answer.body.destroy();
      throw error;
    }
  }

  async headObject(key: string, options: GetObjectOptions = {}): Promise<ObjectMetadata> {
    validateKey(key);
    const path = `${objectPath(key)}?consistency=${options.consistency ?? 'linearizable'}`;
    let answer: Answer;
    try {
      answer = await this.send({
        method: 'HEAD',
        path,
        headers: {},
        body: undefined,
        key,
        mutation: false,
        deduplicated: false,
        expect: 'none',
        signal: options.signal,
      });
    } catch (error) {
      // A HEAD answer has no body to carry the server's message: say what is missing.
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND') {
        throw withDetails(error, `object ${JSON.stringify(key)} not found`, {});
      }
      throw error;
    }
    return parseMetadataHeaders(answer.headers, key, answer.endpoint);
  }

  async deleteObject(key: string, options: DeleteObjectOptions = {}): Promise<DeleteResult> {
    validateKey(key);
    const headers: Record<string, string> = {};
    if (options.ifVersion !== undefined) {
      assertInteger(options.ifVersion, 'ifVersion');
      headers['if-match-version'] = String(options.ifVersion);
    }
    if (options.fence !== undefined) headers[fenceHeader] = options.fence;
    if (this.deduplicateWrites) headers[requestIdHeader] = randomUUID();
    const answer = await this.send({
      method: 'DELETE',
      path: objectPath(key),
      headers,
      body: undefined,
      key,
      mutation: true,
      deduplicated: this.deduplicateWrites,
      expect: 'json',
      signal: options.signal,
    });
    return appliedMutationResult(() => parseDeleteResult(answer.json, answer.endpoint));
  }

  async listObjects(options: ListObjectsOptions = {}): Promise<ObjectListPage> {
    const limit = options.limit ?? limits.listPageKeysMax;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > limits.listPageKeysMax) {
      throw new InvalidArgumentError(
        `list limit must be an integer in [1, ${limits.listPageKeysMax}], got ${limit}`,
      );
    }
    const answer = await this.send({
      method: 'GET',
      path: routePath(
        routes.listObjects,
        {},
        {
          prefix: options.prefix ?? '',
          limit,
          after: options.after,
          atRevision: options.atRevision,
        },
      ),
      headers: {},
      body: undefined,
      key: undefined,
      mutation: false,
      deduplicated: false,
      expect: 'json',
      signal: options.signal,
    });
    return parseListPage(answer.json, answer.endpoint, limit);
  }

  /** Every page of keys under a prefix, in order; stops after limits.clientListPagesMax pages. */
  async *listAllObjects(
    prefix = '',
    options: RequestOptions & { readonly pageKeys?: number; readonly atRevision?: number } = {},
  ): AsyncGenerator<ObjectListPage> {
    let after: string | undefined;
    // Every page after the first is read at the first page's revision (pinned).
    let atRevision = options.atRevision;
    for (let pages = 0; pages < limits.clientListPagesMax; pages++) {
      const base: ListObjectsOptions = {
        prefix,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(atRevision === undefined ? {} : { atRevision }),
      };
      const request: ListObjectsOptions = after === undefined ? base : { ...base, after };
      const page = await this.listObjects(
        options.pageKeys === undefined ? request : { ...request, limit: options.pageKeys },
      );
      atRevision ??= page.revision;
      yield page;
      if (page.nextAfter === null) return;
      if (page.nextAfter === after) {
        throw new CairnError(
          'CAIRN_ERR_BAD_RESPONSE',
          `the listing did not advance past "${after}"`,
        );
      }
      after = page.nextAfter;
    }
    throw new CairnError(
      'CAIRN_ERR_LIMIT_EXCEEDED',
      `listing stopped after clientListPagesMax (${limits.clientListPagesMax}) pages`,
      {
        details: { limit: 'clientListPagesMax', limitValue: limits.clientListPagesMax },
      },
    );
  }

  /**
   * POST /v1/txn: compares, then one branch, in one entry. The request id (a fresh one
   * unless given) makes retries safe: a retry answers the first outcome (`replayed`).
   */
  async txn(
    request: Omit<TxnRequest, 'requestId'> & { readonly requestId?: string },
    options: TxnOptions = {},
  ): Promise<TxnAnswer> {
    const requestId = request.requestId ?? randomUUID();
    const text = JSON.stringify(txnRequestJson({ ...request, requestId }));
    const bytes = Buffer.byteLength(text);
    if (bytes > limits.txnRequestBodyBytesMax)
      throw new LimitExceededError(
        'txnRequestBodyBytesMax',
        limits.txnRequestBodyBytesMax,
        bytes,
        'bytes',
      );
    const answer = await this.send({
      method: 'POST',
      path: routePath(routes.txn),
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(options.fence === undefined ? {} : { [fenceHeader]: options.fence }),
      },
      body: text,
      key: undefined,
      mutation: true,
      deduplicated: requestId !== '',
      expect: 'json',
      signal: options.signal,
    });
    return appliedMutationResult(() => parseTxnAnswer(answer.json));
  }

  /**
   * GET /v1/txn/{requestId}: the kept outcome; CAIRN_ERR_NOT_APPLIED when no txn with
   * the id applied after `sentAfterRevision`; CAIRN_ERR_EXPIRED past the window.
   */
  async txnOutcome(
    requestId: string,
    sentAfterRevision = 0,
    options: RequestOptions = {},
  ): Promise<TxnAnswer> {
    assertInteger(sentAfterRevision, 'sentAfterRevision');
    const answer = await this.send({
      method: 'GET',
      path: routePath(routes.txnOutcome, { requestId }, { sentAfterRevision }),
      headers: { accept: 'application/json' },
      body: undefined,
      key: undefined,
      mutation: false,
      deduplicated: false,
      expect: 'json',
      signal: options.signal,
    });
    return parseTxnAnswer(answer.json);
  }

  /** POST /v1/staging: stores the bytes as chunks; a txn's putStaged commits the handle. */
  async stageObject(
    body: ObjectBody,
    options: RequestOptions & {
      readonly size?: number;
      readonly lifetimeMilliseconds?: number;
      readonly onProgress?: (bytesSent: number) => void;
    } = {},
  ): Promise<StagedUpload> {
    const requestBody = new RequestBody(body, options.onProgress);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    const size = requestBody.knownSize ?? options.size;
    if (size !== undefined) headers['content-length'] = String(size);
    const query =
      options.lifetimeMilliseconds === undefined
        ? {}
        : { lifetimeMilliseconds: options.lifetimeMilliseconds };
    try {
      // Not retried after an unknown outcome: a second attempt would stage a second
      // copy (harmless: it expires), but its handle would not be the one answered.
      const answer = await this.send({
        method: 'POST',
        path: routePath(routes.stage, {}, query),
        headers,
        body: requestBody,
        key: undefined,
        mutation: true,
        deduplicated: false,
        expect: 'json',
        signal: options.signal,
      });
      return appliedMutationResult(() => parseStagedUpload(answer.json));
    } finally {
      requestBody.dispose();
    }
  }

  /**
   * Every change under `prefix` as whole revisions in order, and progress marks, from
   * `fromRevision` (undefined: the next revision; 1: the oldest retained). Resumes by
   * itself from the last whole revision after a lost stream; throws CAIRN_ERR_COMPACTED
   * when the start is below the retained history. Break out of the loop to stop.
   */
  watch(prefix = '', options: WatchOptions = {}): AsyncGenerator<WatchItem> {
    const open = async (fromRevision: number | undefined) => {
      const answer = await this.send({
        method: 'GET',
        path: routePath(
          routes.watch,
          {},
          { prefix, fromRevision, ...(options.values === true ? { values: 'true' } : {}) },
        ),
        headers: {},
        body: undefined,
        key: undefined,
        mutation: false,
        deduplicated: false,
        expect: 'stream',
        signal: options.signal,
      });
      assert(answer.body !== undefined, 'a streamed answer has a body');
      return answer.body;
    };
    return watchItems(open, options);
  }

  /**
   * A JSON call (admin under /v1/, or /health, /ready) with an optional JSON body; resolves to the parsed JSON
   * response (null for an empty one). GET is retried freely; other methods are
   * mutations unless `idempotent` says otherwise.
   */
  async requestJson(
    method: JsonMethod,
    path: string,
    body?: unknown,
    options: RequestOptions & { readonly idempotent?: boolean } = {},
  ): Promise<unknown> {
    assert(path.startsWith('/') && !/\s/.test(path), `an absolute path without spaces: ${path}`);
    const headers: Record<string, string> = { accept: 'application/json' };
    let text: string | undefined;
    if (body !== undefined) {
      text = JSON.stringify(body);
      if (Buffer.byteLength(text) > limits.requestMetadataBodyBytesMax) {
        throw new InvalidArgumentError(
          `request body exceeds requestMetadataBodyBytesMax (${limits.requestMetadataBodyBytesMax} bytes)`,
        );
      }
      headers['content-type'] = 'application/json';
    }
    const mutation = method !== 'GET' && options.idempotent !== true;
    const answer = await this.send({
      method,
      path,
      headers,
      body: text,
      key: undefined,
      mutation,
      deduplicated: false,
      expect: 'json',
      signal: options.signal,
    });
    return answer.json;
  }

  /** A GET whose body the caller reads to the end (admin streams: backup exports, chunks). */
  async requestStream(path: string, options: RequestOptions = {}): Promise<Readable> {
    assert(path.startsWith('/') && !/\s/.test(path), `an absolute path without spaces: ${path}`);
    const answer = await this.send({
      method: 'GET',
      path,
      headers: {},
      body: undefined,
      key: undefined,
      mutation: false,
      deduplicated: false,
      expect: 'stream',
      signal: options.signal,
    });
    assert(answer.body !== undefined, 'a streamed answer has a body');
    const body = answer.body;
    this.liveBodies.add(body);
    body.once('close', () => this.liveBodies.delete(body));
    return body;
  }

  /**
   * Closes every connection once its in-flight requests finish, waiting at most
   * requestTimeoutMilliseconds; then destroys what is left (a body nobody consumed).
   */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    const graceful = Promise.all(pools.map((pool) => pool.close())).then(() => true);
    const grace = new AbortController();
    const expired = sleep(this.requestTimeoutMilliseconds, false, { signal: grace.signal }).catch(
      () => false,
    );
    const closedInTime = await Promise.race([graceful, expired]);
    grace.abort();
    if (closedInTime) return;
    // Bodies their owner abandoned: end them quietly (no 'error' for nobody to hear), then the connections.
    for (const body of [...this.liveBodies]) body.destroy();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }

  private async send(plan: RequestPlan): Promise<Answer> {
    if (this.closed) throw new CairnError('CAIRN_ERR_INTERNAL', 'the client is closed');
    const lastErrorByEndpoint = new Map<string, string>();
    let everyFailureTimedOut = true;
    let outcomeUnknown = false; // an attempt of this mutation may have been applied
    let index = this.selector.firstIndex(plan.key);
    let target =
      plan.mutation && this.leaderHint !== undefined ? this.leaderHint : this.endpointAt(index);
    for (let attempt = 1; attempt <= this.retryAttemptsMax; attempt++) {
      if (plan.signal?.aborted === true)
        throw abortedError(plan, outcomeUnknown ? 'unknown' : 'failed');
      const result = await this.attempt(target, plan);
      if (result.kind === 'answer') {
        if (plan.mutation) this.learnLeader(result.answer.headers['x-cairn-leader']);
        return result.answer;
      }
      lastErrorByEndpoint.set(target.name, failureDescription(result));
      if (result.kind === 'server-error' || !result.failure.timeout) everyFailureTimedOut = false;
      if (this.leaderHint?.name === target.name) this.leaderHint = undefined;
      const bodyReplayable = !(plan.body instanceof RequestBody) || plan.body.canReplay();
      const decision = decideAfterFailure(result, {
        endpoint: target,
        mutation: plan.mutation,
        deduplicated: plan.deduplicated,
        earlierOutcomeUnknown: outcomeUnknown,
        bodyReplayable,
        attempt,
        attemptsMax: this.retryAttemptsMax,
      });
      if (plan.mutation && attemptOutcome(result) === 'unknown') outcomeUnknown = true;
      if (decision.kind === 'give-up') throw decision.error;
      if (decision.kind === 'exhausted') {
        const outcome = plan.mutation ? (outcomeUnknown ? 'unknown' : 'failed') : undefined;
        throw exhaustedError(result, lastErrorByEndpoint, attempt, outcome, everyFailureTimedOut);
      }
      const hint = decision.leaderHint;
      if (hint !== undefined && hint.name !== target.name && this.canUse(hint)) {
        // A fresh hint: go straight there, no backoff.
        this.leaderHint = hint;
        target = hint;
        continue;
      }
      index = nextEndpointIndex(index, this.endpoints.length);
      target = this.endpointAt(index);
      const delay = backoffDelayMilliseconds(attempt, this.backoff, this.prng);
      await sleep(delay, undefined, plan.signal === undefined ? {} : { signal: plan.signal }).catch(
        () => undefined,
      );
    }
    throw new AssertionFailure('the attempt loop ends by returning or throwing');
  }

  private async attempt(endpoint: Endpoint, plan: RequestPlan): Promise<AttemptResult> {
    const pool = this.poolFor(endpoint);
    const body = plan.body instanceof RequestBody ? plan.body.startAttempt() : plan.body;
    try {
      const response = await pool.request({
        path: plan.path,
        method: plan.method,
        headers:
          this.token === undefined
            ? plan.headers
            : { ...plan.headers, authorization: `Bearer ${this.token}` },
        // undici documents AsyncIterable bodies (Dispatcher.md) but its typings omit them.
        body: (body ?? null) as string | Uint8Array | Readable | null,
        signal: plan.signal ?? null,
        // undici closes the connection after every HEAD unless told not to (a guard
        // against servers that send a body anyway); cairn's server does not, so keep it.
        ...(plan.method === 'HEAD' ? { reset: false } : {}),
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const text = await readTextBounded(
          response.body,
          limits.clientErrorResponseBytesMax,
          false,
        );
        return {
          kind: 'server-error',
          error: errorFromResponse(response.statusCode, text, endpoint),
        };
      }
      let json: unknown = null;
      if (plan.expect === 'json') {
        json = parseJson(
          await readTextBounded(response.body, limits.clientJsonResponseBytesMax, true),
          endpoint,
        );
      } else if (plan.expect === 'none') {
        await readTextBounded(response.body, limits.clientErrorResponseBytesMax, false); // frees the connection
      }
      const streamed = plan.expect === 'stream' ? response.body : undefined;
      return {
        kind: 'answer',
        answer: {
          endpoint,
          statusCode: response.statusCode,
          headers: response.headers,
          json,
          body: streamed,
        },
      };
    } catch (error) {
      if (error instanceof AssertionFailure) throw error;
      if (plan.signal?.aborted === true) throw abortedError(plan, 'unknown');
      if (plan.body instanceof RequestBody && plan.body.sourceError !== undefined)
        throw bodyReadError(plan.body.sourceError);
      if (error instanceof CairnError) {
        // A malformed 2xx answer: a mutation it answers has probably been applied.
        throw plan.mutation ? withDetails(error, error.message, { outcome: 'unknown' }) : error;
      }
      if (errorCode(error) === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') {
        throw new InvalidArgumentError('the body length differs from the declared size', {
          outcome: 'failed',
        });
      }
      return { kind: 'transport-error', failure: classifyTransportError(error), cause: error };
    } finally {
      if (plan.body instanceof RequestBody) plan.body.endAttempt();
    }
  }

  private endpointAt(index: number): Endpoint {
    const endpoint = this.endpoints[index];
    assert(endpoint !== undefined, `endpoint index ${index} in range`);
    return endpoint;
  }

  /** A hinted leader is usable if it is configured or there is room to learn it. */
  /** A write's answer names the leader (x-cairn-leader): later writes go straight there, not through a forwarding follower. */
  private learnLeader(header: string | string[] | undefined): void {
    if (typeof header !== 'string' || header === '' || header === this.leaderHint?.name) return;
    try {
      const endpoint = parseEndpoint(header);
      if (this.canUse(endpoint)) this.leaderHint = endpoint;
    } catch {
      // a malformed hint is ignored: the request itself succeeded
    }
  }

  private canUse(endpoint: Endpoint): boolean {
    if (
      this.pools.has(endpoint.name) ||
      this.endpoints.some((known) => known.name === endpoint.name)
    )
      return true;
    return this.pools.size < this.endpoints.length + limits.clientLearnedEndpointsMax;
  }

  private poolFor(endpoint: Endpoint): Pool {
    if (this.closed) {
      throw new CairnError('CAIRN_ERR_INTERNAL', 'the client was closed during the request', {
        details: { outcome: 'failed' },
      });
    }
    let pool = this.pools.get(endpoint.name);
    if (pool === undefined) {
      assert(
        this.pools.size < limits.clientEndpointsMax + limits.clientLearnedEndpointsMax,
        'pool count bounded',
      );
      pool = new Pool(`${this.scheme}://${endpoint.name}`, {
        connections: this.connectionsPerEndpoint,
        ...(this.scheme === 'https'
          ? clientDialOptions(this.tls, this.requestTimeoutMilliseconds)
          : { connectTimeout: this.requestTimeoutMilliseconds }),
        headersTimeout: this.requestTimeoutMilliseconds,
        bodyTimeout: this.requestTimeoutMilliseconds,
        keepAliveTimeout: limits.clientKeepAliveTimeoutMilliseconds,
      });
      this.pools.set(endpoint.name, pool);
    }
    return pool;
  }
}

const requestIdHeader = 'x-cairn-request-id';

function objectPath(key: string): string {
  return routePath(routes.getObject, { key });
}

/** Parses the answer to a mutation the server acknowledged: a malformed one leaves the outcome unknown. */
function appliedMutationResult<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof CairnError
      ? withDetails(error, error.message, { outcome: 'unknown' })
      : error;
  }
}

/** The caller aborted; a mutation under way may or may not have been applied. */
function abortedError(plan: RequestPlan, outcome: Outcome): CairnError {
  const reason: unknown = plan.signal?.reason;
  const why = reason instanceof Error && reason.message.length > 0 ? `: ${reason.message}` : '';
  return new CairnError(
    'CAIRN_ERR_ABORTED',
    `${plan.method} ${plan.path.split('?')[0] ?? ''} was aborted${why}`,
    {
      details: plan.mutation ? { outcome } : {},
      cause: reason,
    },
  );
}

function failureDescription(failure: AttemptFailure): string {
  if (failure.kind === 'transport-error') return failure.failure.description;
  return `${failure.error.code}: ${failure.error.message}`;
}

function bodyReadError(sourceError: unknown): CairnError {
  const message = sourceError instanceof Error ? sourceError.message : String(sourceError);
  return new CairnError('CAIRN_ERR_IO', `reading the request body failed: ${message}`, {
    details: { outcome: 'failed' },
    cause: sourceError,
  });
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/** Reads a response body up to bytesMax; beyond it either fails (JSON) or truncates (error text). */
async function readTextBounded(
  body: Readable,
  bytesMax: number,
  failBeyond: boolean,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    total += bytes.byteLength;
    if (total > bytesMax) {
      body.destroy();
      if (failBeyond)
        throw new CairnError('CAIRN_ERR_BAD_RESPONSE', `response body exceeds ${bytesMax} bytes`);
      chunks.push(bytes.subarray(0, bytes.byteLength - (total - bytesMax)));
      break;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string, endpoint: Endpoint): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CairnError(
      'CAIRN_ERR_BAD_RESPONSE',
      `${endpoint.name} sent a response that is not JSON: ${text.slice(0, 200)}`,
      {
        details: { endpoint: endpoint.name },
      },
    );
  }
}
