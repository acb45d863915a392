// Typed calls for leases and locks (API.md, "Leases and locks") over a CairnClient.
// Paths come from the route table; answers are checked before anyone relies on them.

import { randomUUID } from 'node:crypto';
import {
  type LeaseList,
  type LeaseRevoked,
  type LeaseView,
  type LockAcquireAnswer,
  type LockHolders,
  type LockList,
  type LockModeName,
  type LockReleased,
  routePath,
  routes,
} from '../api/index.js';
import { CairnError } from '../util/errors.js';
import type { CairnClient, RequestOptions } from './client.js';

export interface AcquireOptions extends RequestOptions {
  readonly leaseId: number;
  readonly mode?: LockModeName;
  readonly semaphoreLimit?: number;
  /** Names the acquire; retries must reuse it (a new one is drawn when absent). */
  readonly requestId?: string;
  /** How long the server may hold the request waiting for the grant (0: answer at once). */
  readonly waitMilliseconds?: number;
}

export class CoordinationClient {
  constructor(private readonly client: CairnClient) {}

  async grantLease(ttlMilliseconds: number, options: RequestOptions = {}): Promise<LeaseView> {
    const path = routePath(routes.grantLease);
    return leaseView(await this.client.requestJson('POST', path, { ttlMilliseconds }, options));
  }

  /** Renews the lease; resolves only once the renewal committed. */
  async keepaliveLease(id: number, options: RequestOptions = {}): Promise<LeaseView> {
    const path = routePath(routes.keepaliveLease, { id: String(id) });
    const answer = await this.client.requestJson('POST', path, undefined, {
      ...options,
      idempotent: true, // renewing twice is renewing
    });
    return leaseView(answer);
  }

  async getLease(id: number, options: RequestOptions = {}): Promise<LeaseView> {
    const path = routePath(routes.getLease, { id: String(id) });
    return leaseView(await this.client.requestJson('GET', path, undefined, options));
  }

  /**
   * `idempotent` sends it like a read (any endpoint, retried): a retry after it applied
   * answers NOT_FOUND, which a caller that only wants the lease gone may ignore.
   */
  async revokeLease(
    id: number,
    options: RequestOptions & { readonly idempotent?: boolean } = {},
  ): Promise<LeaseRevoked> {
    const path = routePath(routes.revokeLease, { id: String(id) });
    const answer = await this.client.requestJson('DELETE', path, undefined, options);
    return answer as LeaseRevoked;
  }

  async listLeases(options: RequestOptions = {}): Promise<LeaseList> {
    const answer = await this.client.requestJson(
      'GET',
      routePath(routes.listLeases),
      undefined,
      options,
    );
    const items = (answer as { items?: unknown })?.items;
    if (!Array.isArray(items)) throw bad('a lease list without items');
    return { items: items.map(leaseView) };
  }

  /** Joins the lock's queue; granted, or waiting with its place in line. Idempotent per requestId. */
  async acquireLock(name: string, options: AcquireOptions): Promise<LockAcquireAnswer> {
    const path = routePath(routes.acquireLock, { name });
    const body = {
      leaseId: options.leaseId,
      requestId: options.requestId ?? randomUUID(),
      mode: options.mode ?? 'exclusive',
      ...(options.semaphoreLimit === undefined ? {} : { semaphoreLimit: options.semaphoreLimit }),
      waitMilliseconds: options.waitMilliseconds ?? 0,
    };
    const request = options.signal === undefined ? {} : { signal: options.signal };
    const answer = await this.client.requestJson('POST', path, body, {
      ...request,
      idempotent: true,
    });
    const record = answer as Partial<Record<string, unknown>>;
    if (record?.['granted'] === true && Number.isSafeInteger(record['token']))
      return answer as LockAcquireAnswer;
    if (record?.['granted'] === false && Number.isSafeInteger(record['position']))
      return answer as LockAcquireAnswer;
    throw bad('a lock answer without a token or a position');
  }

  async releaseLock(
    name: string,
    requestId: string,
    options: RequestOptions = {},
  ): Promise<LockReleased> {
    const path = routePath(routes.releaseLock, { name }, { requestId });
    const answer = await this.client.requestJson('DELETE', path, undefined, {
      ...options,
      idempotent: true,
    });
    return answer as LockReleased;
  }

  /** One page of the locks with holders or waiters (name order); `after` is a page's `next`. */
  async listLocks(
    options: RequestOptions & { prefix?: string; after?: string; limit?: number } = {},
  ): Promise<LockList> {
    const query: Record<string, string> = {};
    if (options.prefix !== undefined) query['prefix'] = options.prefix;
    if (options.after !== undefined) query['after'] = options.after;
    if (options.limit !== undefined) query['limit'] = String(options.limit);
    const path = routePath(routes.listLocks, {}, query);
    const request = options.signal === undefined ? {} : { signal: options.signal };
    const answer = await this.client.requestJson('GET', path, undefined, request);
    const items = (answer as { items?: unknown })?.items;
    if (!Array.isArray(items)) throw bad('a lock list without items');
    return answer as LockList;
  }

  async lockHolders(name: string, options: RequestOptions = {}): Promise<LockHolders> {
    const answer = await this.client.requestJson(
      'GET',
      routePath(routes.lockHolders, { name }),
      undefined,
      options,
    );
    return answer as LockHolders;
  }
}

function leaseView(value: unknown): LeaseView {
  const record = value as Partial<Record<string, unknown>> | null;
  const id = record?.['id'];
  const ttl = record?.['ttlMilliseconds'];
  const remaining = record?.['remainingMilliseconds'];
  if (!Number.isSafeInteger(id) || !Number.isSafeInteger(ttl) || !Number.isSafeInteger(remaining))
    throw bad('a lease answer without id, ttlMilliseconds and remainingMilliseconds');
  return {
    id: id as number,
    ttlMilliseconds: ttl as number,
    remainingMilliseconds: remaining as number,
  };
}

function bad(what: string): CairnError {
  return new CairnError('CAIRN_ERR_BAD_RESPONSE', `the server sent ${what}`);
}
