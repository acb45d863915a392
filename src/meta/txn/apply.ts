// What the txn family's commands do. A transaction evaluates every compare against the
// state before it, then applies the operations of one branch in order through the
// objects family, in the entry's shared transaction: one entry, one revision, all or
// nothing. Its outcome is kept by request id for retries and look-ups (exactly once).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import { readIdentity } from '../cluster/queries.js';
import type { ApplyContext } from '../family.js';
import { objectKey, objectKeys } from '../objects/keys.js';
import { adjustChunkReferences, applyObjectWrite, writeStartRefusal } from '../objects/apply.js';
import { getObject, listObjects } from '../objects/queries.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import {
  type ExpireStagingCommand,
  type StageObjectCommand,
  type TransactionCommand,
  type TxnFence,
  type TxnOperation,
  transactionFingerprint,
} from './commands.js';
import { failedCompares, lockState } from './compare.js';
import { fencedMessagePrefix } from '../locks/apply.js';
import { outcomeExpiryKey, outcomeKey, stagedExpiryKey, stagedKey, txnKeys } from './keys.js';
import { keptOutcome, type TxnOperationResult, type TxnOutcome } from './outcome.js';
import { decodeOutcomeRecord, decodeStagedRecord, encodeOutcomeRecord } from './records.js';
import { encodeStagedRecord, encodeTxnFamilyState, type TxnFamilyState } from './records.js';
import { expireOutcomes, expireStaged, readTxnFamilyState } from './retention.js';

/** The first words of a rejection the node answers as 413 (a limit, named). */
export const deletePrefixLimitMessage = 'txnDeletePrefixKeysMax';

export function applyTransaction(context: ApplyContext, command: TransactionCommand): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  const state = advance(context, command.proposedAtMilliseconds);
  const fingerprint = transactionFingerprint(command);
  if (command.requestId !== '') {
    const kept = context.transaction.get(outcomeKey(command.requestId));
    if (kept !== undefined) {
      const record = decodeOutcomeRecord(kept);
      if (record.fingerprint !== fingerprint)
        return rejected(
          `requestId "${command.requestId}" was already used for another transaction body`,
        );
      writeState(context, state);
      const outcome = { ...record.outcome, requestId: command.requestId, replayed: true as const };
      return { type: 'transaction', outcome };
    }
  }
  // After the replay: a txn that applied while its token held answers its outcome again.
  if (command.fence !== undefined) {
    const problem = fenceProblemNow(context, command.fence);
    if (problem !== undefined) return rejected(problem);
  }
  const failed = failedCompares(context.transaction, command.compare);
  const succeeded = failed.length === 0;
  const branch = succeeded ? 'success' : 'failure';
  const operations = succeeded ? command.success : command.failure;
  const results: TxnOperationResult[] = [];
  let changed = false;
  let prefixDeletes = 0;
  for (let index = 0; index < operations.length; index++) {
    const operation = operations[index] as TxnOperation;
    const applied = applyOperation(context, operation, prefixDeletes);
    if (typeof applied === 'string') return rejected(`${branch}[${index}]: ${applied}`);
    results.push(applied.result);
    changed ||= applied.changed;
    if (applied.result.type === 'deletePrefix') prefixDeletes += applied.result.deleted;
  }
  const revision = changed ? context.revision : context.revision - 1;
  const outcome: TxnOutcome = {
    requestId: command.requestId,
    succeeded,
    revision,
    results,
    failedCompares: failed,
  };
  const stateAfter = command.requestId === '' ? state : keep(context, state, fingerprint, outcome);
  writeState(context, stateAfter);
  return { type: 'transaction', outcome };
}

/** Why the fence does not hold now (the message the service answers 412 FENCED to). */
function fenceProblemNow(context: ApplyContext, fence: TxnFence): string | undefined {
  const tokens = lockState(context.transaction, fence.name).lockTokens ?? [];
  if (tokens.includes(fence.token)) return undefined;
  const held =
    tokens.length === 0 ? 'it is not held' : `it is held with token ${tokens.join(', ')}`;
  return `${fencedMessagePrefix} token ${fence.token} no longer holds lock ${fence.name}; ${held}`;
}

/** Advances the group clock and expires what is due (bounded per entry). */
function advance(context: ApplyContext, proposedAtMilliseconds: number): TxnFamilyState {
  const before = readTxnFamilyState(context.transaction);
  const clockMilliseconds = Math.max(before.clockMilliseconds, proposedAtMilliseconds);
  const ticked = { ...before, clockMilliseconds };
  expireStaged(context, clockMilliseconds, limits.txnExpiriesPerApplyMax);
  return expireOutcomes(context, ticked, limits.txnExpiriesPerApplyMax);
}

function writeState(context: ApplyContext, state: TxnFamilyState): void {
  context.transaction.put(txnKeys.state, encodeTxnFamilyState(state));
}

function keep(
  context: ApplyContext,
  state: TxnFamilyState,
  fingerprint: string,
  outcome: TxnOutcome,
): TxnFamilyState {
  const record = encodeOutcomeRecord({
    fingerprint,
    appliedAtMilliseconds: state.clockMilliseconds,
    outcome: keptOutcome(outcome),
  });
  const expiry = outcomeExpiryKey(outcome.revision, outcome.requestId);
  const key = outcomeKey(outcome.requestId);
  context.transaction.put(key, record);
  // What the outcome costs in the store, keys included (an estimate of the entry size
  // in bytes: keys are mostly ASCII). The expiry entry carries it and the time, so
  // expiring reads only the index.
  const entriesBytes = record.length + key.length + expiry.length * 2 + 24;
  context.transaction.put(
    expiry,
    new TextEncoder().encode(`${state.clockMilliseconds} ${entriesBytes}`),
  );
  return {
    ...state,
    outcomeCount: state.outcomeCount + 1,
    outcomeBytesTotal: state.outcomeBytesTotal + entriesBytes,
  };
}

type Applied = { result: TxnOperationResult; changed: boolean };

/** The operation's result, or what is wrong (the whole txn is then rejected). */
function applyOperation(
  context: ApplyContext,
  operation: TxnOperation,
  prefixDeletesBefore: number,
): Applied | string {
  const { transaction } = context;
  switch (operation.type) {
    case 'put': {
      const value = { kind: 'inline' as const, bytes: operation.value };
      const result = applyObjectWrite(context, {
        type: 'putObject',
        key: operation.key,
        value,
        requestId: '',
      });
      assert(result.type === 'ok', 'an unconditional put applies');
      return {
        result: { type: 'put', key: operation.key, version: result.version },
        changed: true,
      };
    }
    case 'putStaged':
      return applyPutStaged(context, operation.key, operation.handle);
    case 'delete': {
      const key = operation.key;
      const result = applyObjectWrite(context, { type: 'deleteObject', key, requestId: '' });
      const deleted = result.type === 'ok';
      return { result: { type: 'delete', key, deleted }, changed: deleted };
    }
    case 'deletePrefix':
      return applyDeletePrefix(context, operation.prefix, prefixDeletesBefore);
    case 'get': {
      const object = getObject(transaction, operation.key);
      if (object === undefined)
        return { result: { type: 'get', key: operation.key, found: false }, changed: false };
      const { key, version, createdRevision, size, sha256 } = object;
      const summary = { key, version, createdRevision, size, sha256 };
      const found =
        object.body.kind === 'inline' ? { ...summary, value: object.body.bytes } : summary;
      return { result: { type: 'get', key, found: true, object: found }, changed: false };
    }
    case 'list': {
      const page = listObjects(transaction, {
        prefix: operation.prefix,
        limit: operation.limit,
        ...(operation.after === '' ? {} : { after: operation.after }),
      });
      const { prefix } = operation;
      const result = { type: 'list' as const, prefix, items: page.items };
      return { result: { ...result, nextAfter: page.nextAfter ?? null }, changed: false };
    }
  }
}

function applyDeletePrefix(
  context: ApplyContext,
  prefix: string,
  deletedBefore: number,
): Applied | string {
  const allowed = limits.txnDeletePrefixKeysMax - deletedBefore;
  const entries = context.transaction.rangeEntries(objectKey(prefix), undefined, allowed + 1);
  if (entries.length > allowed)
    return `${deletePrefixLimitMessage} is ${limits.txnDeletePrefixKeysMax} keys: the prefix ${JSON.stringify(prefix)} holds more than the txn may delete (nothing was deleted)`;
  for (const entry of entries) {
    const key = entry.key.slice(objectKeys.objectPrefix.length);
    const result = applyObjectWrite(context, { type: 'deleteObject', key, requestId: '' });
    assert(result.type === 'ok', 'a listed object is deleted');
  }
  const deleted = entries.length;
  return { result: { type: 'deletePrefix', prefix, deleted }, changed: deleted > 0 };
}

function applyPutStaged(context: ApplyContext, key: string, handle: string): Applied | string {
  const stored = context.transaction.get(stagedKey(handle));
  if (stored === undefined)
    return `the staged upload ${handle} is unknown, expired or already committed`;
  const staged = decodeStagedRecord(stored);
  const value = {
    kind: 'manifest' as const,
    size: staged.size,
    sha256: staged.sha256,
    chunkSizeBytes: staged.chunkSizeBytes,
    chunks: staged.chunks,
  };
  const result = applyObjectWrite(context, { type: 'putObject', key, value, requestId: '' });
  assert(result.type === 'ok', 'an unconditional put applies');
  // The object now references the chunks; the handle's references go with it.
  adjustChunkReferences(context, staged.chunks, -1);
  context.transaction.delete(stagedKey(handle));
  context.transaction.delete(stagedExpiryKey(staged.expiresAtMilliseconds, handle));
  const { size, sha256 } = staged;
  return {
    result: { type: 'putStaged', key, version: result.version, size, sha256 },
    changed: true,
  };
}

export function applyStage(context: ApplyContext, command: StageObjectCommand): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  const state = advance(context, command.proposedAtMilliseconds);
  if (context.transaction.get(stagedKey(command.handle)) !== undefined)
    return rejected(`the staged upload handle ${command.handle} is in use`);
  const collected = writeStartRefusal(context, command.value.chunks, command.writeStartIndex);
  if (collected !== undefined) return collected;
  const createdAtMilliseconds = state.clockMilliseconds;
  const expiresAtMilliseconds = createdAtMilliseconds + command.lifetimeMilliseconds;
  const { size, sha256, chunkSizeBytes, chunks } = command.value;
  context.transaction.put(
    stagedKey(command.handle),
    encodeStagedRecord({
      createdAtMilliseconds,
      expiresAtMilliseconds,
      size,
      sha256,
      chunkSizeBytes,
      chunks,
    }),
  );
  context.transaction.put(
    stagedExpiryKey(expiresAtMilliseconds, command.handle),
    new Uint8Array(0),
  );
  // Garbage collection keeps a chunk while its count is above 0: the handle holds them.
  adjustChunkReferences(context, chunks, +1);
  writeState(context, state);
  return { type: 'ok', version: context.revision - 1 };
}

export function applyExpireStaging(
  context: ApplyContext,
  command: ExpireStagingCommand,
): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  writeState(context, advance(context, command.nowMilliseconds));
  return { type: 'ok', version: context.revision - 1 };
}
