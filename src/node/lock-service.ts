// Locks on the leader: acquire (join the queue; wait a bounded time for the grant),
// release, holders, and the check of a fenced write's lease before it is proposed.
// The grant itself, its order and its token are decided in apply (src/meta/locks).

import type {
  LockAcquireAnswer,
  LockAcquireRequest,
  LockHolders,
  LockList,
  LockListInput,
  LockReleased,
} from '../api/index.js';
import {
  type MetaChange,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
  listLocks,
  type LockRecord,
  lockNameProblem,
  lockStanding,
  readLock,
} from '../meta/index.js';
import { assert } from '../util/assert.js';
import { CairnError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import { resultError } from './lease-service.js';

/** Requests waiting for a grant on this node at once (each holds one timer). */
const waitingRequestsMax = 4096;

export interface LockGroup {
  propose(command: MetaCommand): Promise<MetaResult>;
  reader(): MetaReader;
  isLeader(): boolean;
}

export interface LockServiceOptions {
  readonly group: LockGroup;
  /** Whether a lease is past its deadline by this node's clock. */
  readonly leasePast: (leaseId: number) => boolean;
}

export class LockService {
  private readonly waiting = new Map<string, Set<() => void>>();
  private waitingCount = 0;

  constructor(private readonly options: LockServiceOptions) {}

  onChanges(changes: readonly MetaChange[]): void {
    for (const change of changes) {
      if (change.family !== 'locks' || !change.key.startsWith('n/l/')) continue;
      const wakers = this.waiting.get(change.key.slice('n/l/'.length));
      if (wakers !== undefined) for (const wake of [...wakers]) wake();
    }
  }

  async acquire(name: string, request: Required<LockAcquireRequest>): Promise<LockAcquireAnswer> {
    checkName(name);
    const { leaseId } = request;
    if (this.options.leasePast(leaseId))
      throw new CairnError('CAIRN_ERR_NOT_FOUND', `lease ${leaseId} expired`);
    const result = await this.options.group.propose({
      type: 'acquireLock',
      name,
      mode: request.mode,
      semaphoreLimit: request.semaphoreLimit,
      leaseId,
      owner: request.requestId,
    });
    if (result.type !== 'ok') throw resultError(result, `lease ${leaseId}`);
    const deadline = Date.now() + request.waitMilliseconds;
    for (let round = 0; round < 1_000_000; round++) {
      const standing = lockStanding(this.options.group.reader(), name, request.requestId);
      if (standing === undefined)
        throw new CairnError(
          'CAIRN_ERR_NOT_FOUND',
          `the acquire of lock ${name} is gone (its lease ended)`,
        );
      if (standing.held) {
        const fence = `${name}=${standing.token}`;
        return { name, granted: true, token: standing.token, leaseId, fence };
      }
      const left = deadline - Date.now();
      if (left <= 0 || !this.options.group.isLeader())
        return { name, granted: false, position: standing.position, leaseId };
      await this.changeOf(name, left);
    }
    throw new CairnError('CAIRN_ERR_INTERNAL', 'lock wait rounds exhausted');
  }

  async release(name: string, requestId: string): Promise<LockReleased> {
    checkName(name);
    const result = await this.options.group.propose({
      type: 'releaseLock',
      name,
      owner: requestId,
    });
    if (result.type === 'notFound') throw new NotFoundError(`request ${requestId} on lock ${name}`);
    if (result.type !== 'ok') throw resultError(result, `lock ${name}`);
    return { name, released: true };
  }

  holders(name: string): LockHolders {
    checkName(name);
    return holdersView(name, readLock(this.options.group.reader(), name));
  }

  /** A page of the locks that have holders or waiters, in name order. */
  list(query: LockListInput): LockList {
    const page = listLocks(this.options.group.reader(), query.prefix, query.after, query.limit + 1);
    const items = page.slice(0, query.limit).map((lock) => holdersView(lock.name, lock.record));
    const last = items[items.length - 1];
    return page.length > query.limit && last !== undefined ? { items, next: last.name } : { items };
  }

  /** Refuses a fence whose holder's lease is past its deadline here (before proposing). */
  checkFenceUsable(fence: { readonly name: string; readonly token: number }): void {
    const record = readLock(this.options.group.reader(), fence.name);
    const holder = record?.holders.find((entry) => entry.token === fence.token);
    if (holder !== undefined && !this.options.leasePast(holder.leaseId)) return;
    throw fencedError(fence);
  }

  /** Resolves on the next change of the lock, or after `milliseconds`. */
  private changeOf(name: string, milliseconds: number): Promise<void> {
    if (this.waitingCount >= waitingRequestsMax)
      throw new CairnError('CAIRN_ERR_UNAVAILABLE', 'too many lock requests are waiting; retry');
    return new Promise((resolve) => {
      const wakers = this.waiting.get(name) ?? new Set<() => void>();
      this.waiting.set(name, wakers);
      this.waitingCount++;
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        if (wakers.size === 0) this.waiting.delete(name);
        this.waitingCount--;
        resolve();
      };
      const timer = setTimeout(wake, milliseconds);
      wakers.add(wake);
      assert(this.waitingCount <= waitingRequestsMax, 'waiting requests are bounded');
    });
  }
}

function holdersView(name: string, record: LockRecord | undefined): LockHolders {
  const view = (entry: LockRecord['holders'][number]) => ({
    requestId: entry.owner,
    leaseId: entry.leaseId,
    mode: entry.mode,
    ...(entry.token > 0 ? { token: entry.token } : {}),
  });
  return {
    name,
    semaphoreLimit: record?.semaphoreLimit ?? 0,
    holders: (record?.holders ?? []).map(view),
    waiters: (record?.waiters ?? []).map(view),
  };
}

export function fencedError(fence: { readonly name: string; readonly token: number }): CairnError {
  return new CairnError(
    'CAIRN_ERR_FENCED',
    `the write was fenced: token ${fence.token} no longer holds lock ${fence.name}`,
    { details: { lock: fence.name, token: fence.token } },
  );
}

function checkName(name: string): void {
  const problem = lockNameProblem(name);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}
