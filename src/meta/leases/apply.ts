// What the leases family's commands do to the state. Deterministic: no clock here.
// Every lease change is reported (l/<id>), so every node's lease clock (expiry.ts,
// src/node/lease-service.ts) learns when it applied it. A lease that ends (revoked or
// expired) ends in the same entry everything it holds: its locks (locks family).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import { readIdentity } from '../cluster/queries.js';
import type { ApplyContext } from '../family.js';
import { deleteReported, putReported } from '../family.js';
import { decodeCounter, encodeCounter } from '../record-format.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import { applyObjectCommand } from '../objects/apply.js';
import { readObject } from '../objects/queries.js';
import type {
  AttachObjectCommand,
  CheckpointLeasesCommand,
  ExpireLeaseCommand,
  GrantLeaseCommand,
  KeepaliveLeaseCommand,
  LeaseCommand,
  RevokeLeaseCommand,
} from './commands.js';
import {
  leaseCountKey,
  leaseKey,
  leaseObjectKey,
  leaseObjectsPrefix,
  objectLeaseKey,
} from './keys.js';
import { countLeases, readLease } from './queries.js';
import { encodeLease } from './records.js';

const family = 'leases';

/** What else a lease's end releases, in the same entry (the locks family registers). */
export type LeaseEndedHook = (context: ApplyContext, leaseId: number) => void;
const leaseEndedHooks: LeaseEndedHook[] = [];

export function onLeaseEnded(hook: LeaseEndedHook): void {
  assert(leaseEndedHooks.length < 8, 'lease end hooks are bounded');
  leaseEndedHooks.push(hook);
}

export function applyLeaseCommand(context: ApplyContext, command: LeaseCommand): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  switch (command.type) {
    case 'grantLease':
      return applyGrant(context, command);
    case 'keepaliveLease':
      return applyKeepalive(context, command);
    case 'revokeLease':
      return applyRevoke(context, command);
    case 'expireLease':
      return applyExpire(context, command);
    case 'checkpointLeases':
      return applyCheckpoints(context, command);
    case 'attachObject':
      return applyAttach(context, command);
    case 'deleteLeaseObjects':
      if (readLease(context.transaction, command.id) !== undefined)
        return rejected(`lease ${command.id} is alive; its objects stay`);
      deleteLeaseObjects(context, command.id);
      return { type: 'ok', version: context.revision };
  }
}

function applyGrant(context: ApplyContext, command: GrantLeaseCommand): MetaResult {
  const count = countLeases(context.transaction);
  if (count >= limits.leasesMax)
    return rejected(`at most ${limits.leasesMax} leases may exist (leasesMax)`);
  const id = context.revision; // ids continue above any revision base: never reused
  assert(readLease(context.transaction, id) === undefined, 'a new revision names no lease');
  const record = {
    ttlMilliseconds: command.ttlMilliseconds,
    grantedRevision: id,
    renewedIndex: context.index,
    remainingMilliseconds: command.ttlMilliseconds,
    remainingIndex: context.index,
  };
  putReported(context, family, leaseKey(id), encodeLease(record));
  context.transaction.put(leaseCountKey, encodeCounter(count + 1));
  return { type: 'ok', version: id };
}

function applyKeepalive(context: ApplyContext, command: KeepaliveLeaseCommand): MetaResult {
  const current = readLease(context.transaction, command.id);
  if (current === undefined) return { type: 'notFound' };
  const record = {
    ...current,
    renewedIndex: context.index,
    remainingMilliseconds: current.ttlMilliseconds,
    remainingIndex: context.index,
  };
  putReported(context, family, leaseKey(command.id), encodeLease(record));
  return { type: 'ok', version: context.revision };
}

function applyRevoke(context: ApplyContext, command: RevokeLeaseCommand): MetaResult {
  if (readLease(context.transaction, command.id) === undefined) return { type: 'notFound' };
  endLease(context, command.id);
  return { type: 'ok', version: context.revision };
}

function applyExpire(context: ApplyContext, command: ExpireLeaseCommand): MetaResult {
  const current = readLease(context.transaction, command.id);
  if (current === undefined) return { type: 'notFound' };
  // A keepalive committed after the leader decided: the lease lives on.
  if (current.renewedIndex !== command.renewedIndex)
    return { type: 'conflict', currentVersion: current.renewedIndex };
  endLease(context, command.id);
  return { type: 'ok', version: context.revision };
}

function applyAttach(context: ApplyContext, command: AttachObjectCommand): MetaResult {
  const { transaction } = context;
  if (readLease(transaction, command.leaseId) === undefined) return { type: 'notFound' };
  const object = readObject(transaction, command.key);
  if (object === undefined) return rejected(`object ${command.key} was not written`);
  const attached = leaseObjectKey(command.leaseId, command.key);
  if (transaction.get(attached) === undefined) {
    const prefix = leaseObjectsPrefix(command.leaseId);
    const count = transaction.rangeEntries(prefix, undefined, limits.leaseObjectsMax).length;
    if (count >= limits.leaseObjectsMax)
      return rejected(`a lease holds at most ${limits.leaseObjectsMax} objects (leaseObjectsMax)`);
  }
  transaction.put(attached, encodeCounter(object.version));
  transaction.put(objectLeaseKey(command.key), encodeCounter(command.leaseId));
  return { type: 'ok', version: object.version };
}

/**
 * Deletes up to leaseObjectDeletionsPerEntryMax objects of an ended lease, each only if
 * unchanged since it was put with the lease (a later put without it keeps the object).
 */
function deleteLeaseObjects(context: ApplyContext, id: number): void {
  const prefix = leaseObjectsPrefix(id);
  const { transaction } = context;
  const attached = transaction.rangeEntries(
    prefix,
    undefined,
    limits.leaseObjectDeletionsPerEntryMax,
  );
  for (const entry of attached) {
    const key = entry.key.slice(prefix.length);
    const version = decodeCounter(entry.value, 'lease object version');
    transaction.delete(entry.key);
    const named = transaction.get(objectLeaseKey(key));
    if (named !== undefined && decodeCounter(named, 'object lease') === id)
      transaction.delete(objectLeaseKey(key));
    if (readObject(transaction, key)?.version !== version) continue;
    const result = applyObjectCommand(context, { type: 'deleteObject', key, requestId: '' });
    assert(result.type === 'ok', 'an unchanged object of a lease deletes');
  }
}

function endLease(context: ApplyContext, id: number): void {
  for (const hook of leaseEndedHooks) hook(context, id);
  deleteLeaseObjects(context, id);
  deleteReported(context, family, leaseKey(id));
  const count = countLeases(context.transaction);
  assert(count >= 1, 'the lease count covers a stored lease');
  if (count === 1) context.transaction.delete(leaseCountKey);
  else context.transaction.put(leaseCountKey, encodeCounter(count - 1));
}

/**
 * Records the leader's measure of time left. Skipped for a lease renewed since the
 * leader measured (its renewal stands) and never raising the time left.
 */
function applyCheckpoints(context: ApplyContext, command: CheckpointLeasesCommand): MetaResult {
  for (const checkpoint of command.checkpoints) {
    const current = readLease(context.transaction, checkpoint.id);
    if (current === undefined || current.renewedIndex !== checkpoint.renewedIndex) continue;
    if (checkpoint.remainingMilliseconds >= current.remainingMilliseconds) continue;
    const record = {
      ...current,
      remainingMilliseconds: checkpoint.remainingMilliseconds,
      remainingIndex: context.index,
    };
    putReported(context, family, leaseKey(checkpoint.id), encodeLease(record));
  }
  return { type: 'ok', version: context.revision };
}
