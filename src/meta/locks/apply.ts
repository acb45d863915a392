// What the locks family's commands do. Deterministic. Waiters are served in arrival
// order and only from the head of the queue (no thundering herd, no overtaking): the
// head is granted when it is compatible with the holders, then the next, and so on.
// A grant's fencing token is the revision of the entry that granted it: increasing
// across the whole group and never reused (revisions never go back, and a restore
// raises the revision base).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import { readIdentity } from '../cluster/queries.js';
import type { ApplyContext } from '../family.js';
import { deleteReported, putReported } from '../family.js';
import { readLease } from '../leases/queries.js';
import { decodeCounter, encodeCounter } from '../record-format.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import type {
  AcquireLockCommand,
  CheckFenceCommand,
  LockCommand,
  ReleaseLockCommand,
} from './commands.js';
import { leaseLockKey, leaseLocksPrefix, lockKey } from './keys.js';
import { readLock } from './queries.js';
import { encodeLock, type LockEntry, type LockRecord } from './records.js';

const family = 'locks';

/** Starts the message of a fence that does not hold (the service answers 412 FENCED). */
export const fencedMessagePrefix = 'fenced:';

export function applyLockCommand(context: ApplyContext, command: LockCommand): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  if (command.type === 'acquireLock') return applyAcquire(context, command);
  if (command.type === 'releaseLock') return applyRelease(context, command);
  return applyFence(context, command);
}

const emptyLock: LockRecord = { semaphoreLimit: 0, holders: [], waiters: [] };

function applyAcquire(context: ApplyContext, command: AcquireLockCommand): MetaResult {
  const { transaction } = context;
  const current = readLock(transaction, command.name) ?? emptyLock;
  const known = [...current.holders, ...current.waiters].find((e) => e.owner === command.owner);
  if (known !== undefined) {
    if (known.leaseId !== command.leaseId || known.mode !== command.mode)
      return rejected(`request id ${command.owner} already asked for this lock otherwise`);
    return { type: 'ok', version: known.token }; // a retry: the same entry, no change
  }
  if (readLease(transaction, command.leaseId) === undefined) return { type: 'notFound' };
  const problem = compatibilityProblem(current, command);
  if (problem !== undefined) return rejected(problem);
  if (current.holders.length + current.waiters.length >= limits.lockEntriesMax)
    return rejected(
      `lock ${command.name} has ${limits.lockEntriesMax} holders and waiters (lockEntriesMax)`,
    );
  const indexKey = leaseLockKey(command.leaseId, command.name);
  if (transaction.get(indexKey) === undefined) {
    const held = transaction.rangeEntries(
      leaseLocksPrefix(command.leaseId),
      undefined,
      limits.locksPerLeaseMax,
    );
    if (held.length >= limits.locksPerLeaseMax)
      return rejected(
        `a lease holds or waits on at most ${limits.locksPerLeaseMax} locks (locksPerLeaseMax)`,
      );
  }
  const entry: LockEntry = {
    owner: command.owner,
    leaseId: command.leaseId,
    mode: command.mode,
    token: 0,
  };
  const queued: LockRecord = {
    semaphoreLimit: command.mode === 'semaphore' ? command.semaphoreLimit : 0,
    holders: current.holders,
    waiters: [...current.waiters, entry],
  };
  writeLock(context, command.name, grantHeads(queued, context.revision));
  const count = transaction.get(indexKey);
  const entries = count === undefined ? 0 : decodeCounter(count, 'lease lock entries');
  transaction.put(indexKey, encodeCounter(entries + 1));
  return { type: 'ok', version: context.revision };
}

function compatibilityProblem(
  current: LockRecord,
  command: AcquireLockCommand,
): string | undefined {
  const entries = [...current.holders, ...current.waiters];
  if (entries.length === 0) return undefined;
  const isSemaphore = current.semaphoreLimit > 0;
  if (isSemaphore !== (command.mode === 'semaphore'))
    return isSemaphore
      ? `lock ${command.name} is a semaphore of ${current.semaphoreLimit}; acquire it as one`
      : `lock ${command.name} is not a semaphore; acquire it exclusive or shared`;
  if (isSemaphore && current.semaphoreLimit !== command.semaphoreLimit)
    return `lock ${command.name} is a semaphore of ${current.semaphoreLimit}, not ${command.semaphoreLimit}`;
  return undefined;
}

/** Grants waiters from the head while the head may hold with the holders. */
function grantHeads(record: LockRecord, revision: number): LockRecord {
  const holders = [...record.holders];
  const waiters = [...record.waiters];
  while (waiters.length > 0) {
    const head = waiters[0] as LockEntry;
    if (!mayHold(head, holders, record.semaphoreLimit)) break;
    waiters.shift();
    holders.push({ ...head, token: revision });
  }
  return { semaphoreLimit: record.semaphoreLimit, holders, waiters };
}

function mayHold(head: LockEntry, holders: readonly LockEntry[], semaphoreLimit: number): boolean {
  if (head.mode === 'semaphore') return holders.length < semaphoreLimit;
  if (head.mode === 'shared') return holders.every((holder) => holder.mode === 'shared');
  return holders.length === 0;
}

function writeLock(context: ApplyContext, name: string, record: LockRecord): void {
  if (record.holders.length === 0 && record.waiters.length === 0)
    deleteReported(context, family, lockKey(name));
  else putReported(context, family, lockKey(name), encodeLock(record));
}

function applyRelease(context: ApplyContext, command: ReleaseLockCommand): MetaResult {
  const current = readLock(context.transaction, command.name);
  const leaving = [...(current?.holders ?? []), ...(current?.waiters ?? [])].find(
    (entry) => entry.owner === command.owner,
  );
  if (current === undefined || leaving === undefined) return { type: 'notFound' };
  const without = removeEntries(current, (entry) => entry.owner === command.owner);
  writeLock(context, command.name, grantHeads(without, context.revision));
  unindex(context, leaving.leaseId, command.name, 1);
  return { type: 'ok', version: context.revision };
}

function removeEntries(record: LockRecord, leaves: (entry: LockEntry) => boolean): LockRecord {
  return {
    semaphoreLimit: record.semaphoreLimit,
    holders: record.holders.filter((entry) => !leaves(entry)),
    waiters: record.waiters.filter((entry) => !leaves(entry)),
  };
}

function unindex(context: ApplyContext, leaseId: number, name: string, count: number): void {
  const indexKey = leaseLockKey(leaseId, name);
  const stored = context.transaction.get(indexKey);
  assert(stored !== undefined, 'a lock entry is indexed under its lease');
  const left = decodeCounter(stored, 'lease lock entries') - count;
  assert(left >= 0, 'lease lock entry counts stay non-negative');
  if (left === 0) context.transaction.delete(indexKey);
  else context.transaction.put(indexKey, encodeCounter(left));
}

/** A lease ended (revoked or expired): its entries leave every lock, in this entry. */
export function releaseLeaseLocks(context: ApplyContext, leaseId: number): void {
  const prefix = leaseLocksPrefix(leaseId);
  const indexed = context.transaction.rangeEntries(prefix, undefined, limits.locksPerLeaseMax);
  for (const { key } of indexed) {
    const name = key.slice(prefix.length);
    const current = readLock(context.transaction, name);
    assert(current !== undefined, 'an indexed lock exists');
    const without = removeEntries(current, (entry) => entry.leaseId === leaseId);
    writeLock(context, name, grantHeads(without, context.revision));
    context.transaction.delete(key);
  }
}

function applyFence(context: ApplyContext, command: CheckFenceCommand): MetaResult {
  const current = readLock(context.transaction, command.name);
  if (current?.holders.some((holder) => holder.token === command.token) === true)
    return { type: 'ok', version: command.token };
  const tokens = current?.holders.map((holder) => holder.token).join(', ') ?? '';
  const held = tokens === '' ? 'it is not held' : `it is held with token ${tokens}`;
  return rejected(
    `${fencedMessagePrefix} token ${command.token} no longer holds lock ${command.name}; ${held}`,
  );
}
