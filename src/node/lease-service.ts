// Leases on one node (src/meta/leases/README.md): every node measures each lease's
// deadline with its own monotonic clock from the moment it applied the lease's record
// (LeaseDeadlines); the leader proposes the expiry of the leases past their deadline
// and, every leaseCheckpointIntervalMilliseconds, a checkpoint of the time each has
// left, so that a node that restarted never counts a full TTL again.

import type { LeaseList, LeaseRevoked, LeaseView } from '../api/index.js';
import {
  LeaseDeadlines,
  leaseIdOfKey,
  leaseObjectPrefix,
  listLeases,
  type MetaChange,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
  readLease,
} from '../meta/index.js';
import { CairnError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** What the lease service needs of the meta group. */
export interface LeaseGroup {
  propose(command: MetaCommand): Promise<MetaResult>;
  reader(): MetaReader;
  isLeader(): boolean;
  requireMember(): void;
}

export interface LeaseServiceOptions {
  readonly group: LeaseGroup;
  /** A monotonic clock in milliseconds (performance.now unless a test injects one). */
  readonly now?: () => number;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

export class LeaseService {
  readonly deadlines = new LeaseDeadlines();
  private readonly now: () => number;
  private reconciled = false;
  private lastCheckpoint = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LeaseServiceOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Applied changes (after their batch is written): each lease record seen, at once. */
  onChanges(changes: readonly MetaChange[]): void {
    const now = this.now();
    const reader = this.options.group.reader();
    for (const change of changes) {
      if (change.family !== 'leases') continue;
      const id = leaseIdOfKey(change.key);
      if (id === undefined) continue;
      const record = change.kind === 'delete' ? undefined : readLease(reader, id);
      if (record === undefined) this.deadlines.forget(id);
      else this.deadlines.observe(id, record, now);
    }
  }

  /**
   * Reads every stored lease: those this node has not seen applied (a restart, an
   * installed snapshot) count their stored time left from now; vanished ones go.
   */
  reconcile(): void {
    const now = this.now();
    const stored = listLeases(this.options.group.reader());
    for (const lease of stored) this.deadlines.observe(lease.id, lease, now);
    this.deadlines.retainOnly(new Set(stored.map((lease) => lease.id)));
    this.reconciled = true;
  }

  /** The leader's duty: expire what ran out, then checkpoint time left when due. */
  async expiryDuty(): Promise<void> {
    if (!this.options.group.isLeader()) return;
    if (!this.reconciled) this.reconcile();
    const due = this.deadlines.due(this.now(), limits.leaseExpiriesPerRunMax);
    for (const lease of due) {
      if (!this.options.group.isLeader()) return;
      const command = {
        type: 'expireLease' as const,
        id: lease.id,
        renewedIndex: lease.renewedIndex,
      };
      const result = await this.options.group.propose(command);
      if (result.type === 'ok') this.options.log('lease-expired', { lease: lease.id });
    }
    await this.deleteLeftObjects();
    const now = this.now();
    if (now - this.lastCheckpoint < limits.leaseCheckpointIntervalMilliseconds) return;
    this.lastCheckpoint = now;
    const checkpoints = this.deadlines.checkpoints(now, limits.leaseCheckpointsPerEntryMax);
    if (checkpoints.length > 0)
      await this.options.group.propose({ type: 'checkpointLeases', checkpoints });
  }

  /** Objects of an ended lease beyond what its last entry deleted: the next batch. */
  private async deleteLeftObjects(): Promise<void> {
    const reader = this.options.group.reader();
    const [first] = reader.rangeEntries(leaseObjectPrefix, undefined, 1);
    if (first === undefined) return;
    const id = leaseIdOfKey(
      `l/${first.key.slice(leaseObjectPrefix.length, leaseObjectPrefix.length + 16)}`,
    );
    if (id === undefined || readLease(reader, id) !== undefined) return;
    await this.options.group.propose({ type: 'deleteLeaseObjects', id });
  }

  /** Whether the lease is past its deadline by this node's clock (not usable any more). */
  isPast(id: number): boolean {
    return this.deadlines.isPast(id, this.now());
  }

  async grant(ttlMilliseconds: number): Promise<LeaseView> {
    this.options.group.requireMember();
    const result = await this.options.group.propose({ type: 'grantLease', ttlMilliseconds });
    if (result.type !== 'ok') throw resultError(result, 'the lease');
    return { id: result.version, ttlMilliseconds, remainingMilliseconds: ttlMilliseconds };
  }

  /** Renews the lease; answers only once the renewal committed (no leader can forget it). */
  async keepalive(idText: string): Promise<LeaseView> {
    const id = leaseIdOf(idText);
    if (this.isPast(id)) throw new CairnError('CAIRN_ERR_NOT_FOUND', `lease ${id} expired`);
    const result = await this.options.group.propose({ type: 'keepaliveLease', id });
    if (result.type !== 'ok') throw resultError(result, `lease ${id}`);
    return this.view(id);
  }

  async revoke(idText: string): Promise<LeaseRevoked> {
    const id = leaseIdOf(idText);
    const result = await this.options.group.propose({ type: 'revokeLease', id });
    if (result.type !== 'ok') throw resultError(result, `lease ${id}`);
    return { id, revoked: true };
  }

  get(idText: string): LeaseView {
    return this.view(leaseIdOf(idText));
  }

  list(): LeaseList {
    const stored = listLeases(this.options.group.reader());
    return { items: stored.map((lease) => this.viewOf(lease.id, lease)) };
  }

  private view(id: number): LeaseView {
    const record = readLease(this.options.group.reader(), id);
    if (record === undefined) throw new NotFoundError(`lease ${id}`);
    return this.viewOf(id, record);
  }

  private viewOf(
    id: number,
    record: { ttlMilliseconds: number; remainingMilliseconds: number },
  ): LeaseView {
    const known = this.deadlines.remaining(id, this.now());
    const remaining = Math.floor(known ?? record.remainingMilliseconds);
    return { id, ttlMilliseconds: record.ttlMilliseconds, remainingMilliseconds: remaining };
  }
}

export function leaseIdOf(text: string): number {
  const id = Number(text);
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(id))
    throw new InvalidArgumentError(`a lease id is a positive integer, got ${JSON.stringify(text)}`);
  return id;
}

export function resultError(result: MetaResult, what: string): Error {
  if (result.type === 'notFound') return new NotFoundError(what);
  if (result.type === 'rejected')
    return new CairnError('CAIRN_ERR_INVALID_ARGUMENT', result.message);
  return new CairnError('CAIRN_ERR_CONFLICT', `${what} changed meanwhile; retry`);
}
