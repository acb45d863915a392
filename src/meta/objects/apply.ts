// What the objects family's commands do to the state. Deterministic. Reported changes
// are one per object key (o/<key>); the inline bytes under v/, chunk reference counts,
// statistics and request records are bookkeeping that follows them, not reported.

import { createHash } from 'node:crypto';
import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import { readIdentity } from '../cluster/queries.js';
import type { ApplyContext } from '../family.js';
import { chunksCollectedProblem } from '../garbage/queries.js';
import { deleteReported, putReported } from '../family.js';
import { decodeCounter, decodeText, encodeCounter, encodeText } from '../record-format.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import type {
  DeleteObjectCommand,
  ObjectCommand,
  PutObjectCommand,
  WriteCondition,
} from './commands.js';
import {
  chunkReferenceKey,
  inlineValueKey,
  objectKey,
  objectKeys,
  requestExpiryIndex,
  requestExpiryKey,
  requestKey,
} from './keys.js';
import { readObject, readObjectStatistics } from './queries.js';
import type { ObjectRecord } from './records.js';
import { decodeRequest, encodeObject, encodeObjectStatistics, encodeRequest } from './records.js';

const family = 'objects';

/** The recorded answer when this write's request id already applied to the same key. */
export function replayedObjectCommand(
  context: ApplyContext,
  command: ObjectCommand,
): MetaResult | undefined {
  if (command.requestId === '') return undefined;
  const previous = context.transaction.get(requestKey(command.requestId));
  if (previous === undefined) return undefined;
  const record = decodeRequest(previous);
  return record.key === command.key ? record.result : undefined;
}

export function applyObjectCommand(context: ApplyContext, command: ObjectCommand): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  expireRequests(context);
  if (command.requestId !== '') {
    const previous = context.transaction.get(requestKey(command.requestId));
    if (previous !== undefined) {
      const record = decodeRequest(previous);
      if (record.key !== command.key)
        return rejected(`requestId "${command.requestId}" was already used for another key`);
      return record.result; // a retry of an applied command: same answer, no second effect
    }
  }
  const result =
    command.type === 'putObject' ? applyPut(context, command) : applyDelete(context, command);
  if (command.requestId !== '') {
    const request = encodeRequest({ index: context.index, key: command.key, result });
    context.transaction.put(requestKey(command.requestId), request);
    const expiry = requestExpiryKey(context.index, command.requestId);
    context.transaction.put(expiry, encodeText(command.requestId));
  }
  return result;
}

/**
 * Forgets request results older than the deduplication window, counted in Raft indexes
 * (metaRequestDeduplicationIndexWindow), a bounded number per apply.
 */
function expireRequests(context: ApplyContext): void {
  const { transaction, index } = context;
  const oldest = transaction.rangeEntries(
    objectKeys.requestExpiryPrefix,
    undefined,
    limits.metaRequestExpiriesPerApplyMax,
  );
  for (const entry of oldest) {
    const requestIndex = requestExpiryIndex(entry.key);
    assert(
      Number.isSafeInteger(requestIndex) && requestIndex <= index,
      'a request expiry key holds an earlier index (or this one, earlier in a batch)',
    );
    if (requestIndex > index - limits.metaRequestDeduplicationIndexWindow) return;
    transaction.delete(
      requestKey(decodeText(entry.value, 'request expiry record', limits.metaRequestIdBytesMax)),
    );
    transaction.delete(entry.key);
  }
}

function conditionHolds(condition: WriteCondition | undefined, currentVersion: number): boolean {
  if (condition === undefined) return true;
  if ('ifAbsent' in condition) return currentVersion === 0;
  return condition.ifVersion === currentVersion;
}

function applyPut(context: ApplyContext, command: PutObjectCommand): MetaResult {
  const { transaction, revision } = context;
  const current = readObject(transaction, command.key);
  const currentVersion = current?.version ?? 0;
  if (!conditionHolds(command.condition, currentVersion))
    return { type: 'conflict', currentVersion };
  const { value } = command;
  if (value.kind === 'manifest' && command.writeStartIndex !== undefined) {
    const collected = writeStartRefusal(context, value.chunks, command.writeStartIndex);
    if (collected !== undefined) return collected;
  }
  const createdRevision = current?.createdRevision ?? revision;
  const record: ObjectRecord =
    value.kind === 'inline'
      ? {
          version: revision,
          createdRevision,
          size: value.bytes.length,
          sha256: createHash('sha256').update(value.bytes).digest('hex'),
          body: { kind: 'inline' },
        }
      : {
          version: revision,
          createdRevision,
          size: value.size,
          sha256: value.sha256,
          body: { kind: 'manifest', chunkSizeBytes: value.chunkSizeBytes, chunks: value.chunks },
        };
  const references = new Map<string, number>();
  countChunks(references, record, +1);
  if (current !== undefined) countChunks(references, current, -1);
  applyChunkReferences(context, references);
  putReported(context, family, objectKey(command.key), encodeObject(record), current?.version);
  if (value.kind === 'inline') transaction.put(inlineValueKey(command.key), value.bytes);
  else if (current?.body.kind === 'inline') transaction.delete(inlineValueKey(command.key));
  const statistics = readObjectStatistics(transaction);
  const updated = {
    objectCount: statistics.objectCount + (current === undefined ? 1 : 0),
    objectBytesTotal: statistics.objectBytesTotal + record.size - (current?.size ?? 0),
  };
  transaction.put(objectKeys.statistics, encodeObjectStatistics(updated));
  return { type: 'ok', version: revision };
}

function applyDelete(context: ApplyContext, command: DeleteObjectCommand): MetaResult {
  const { transaction } = context;
  const current = readObject(transaction, command.key);
  const currentVersion = current?.version ?? 0;
  if (!conditionHolds(command.condition, currentVersion))
    return { type: 'conflict', currentVersion };
  if (current === undefined) return { type: 'notFound' };
  const references = new Map<string, number>();
  countChunks(references, current, -1);
  applyChunkReferences(context, references);
  deleteReported(context, family, objectKey(command.key), current.version);
  if (current.body.kind === 'inline') transaction.delete(inlineValueKey(command.key));
  const statistics = readObjectStatistics(transaction);
  assert(
    statistics.objectCount >= 1 && statistics.objectBytesTotal >= current.size,
    'object totals cover a stored object',
  );
  const updated = {
    objectCount: statistics.objectCount - 1,
    objectBytesTotal: statistics.objectBytesTotal - current.size,
  };
  transaction.put(objectKeys.statistics, encodeObjectStatistics(updated));
  return { type: 'ok', version: context.revision };
}

/**
 * The garbage rule (src/meta/garbage/queries.ts): a write whose chunks a collection took
 * after it began is refused, retryable. A start at or past this entry is malformed.
 */
export function writeStartRefusal(
  context: ApplyContext,
  chunks: readonly { readonly sha256: string }[],
  writeStartIndex: number,
): MetaResult | undefined {
  if (writeStartIndex >= context.index)
    return rejected(
      `writeStartIndex ${writeStartIndex} is not below this entry's ${context.index}`,
    );
  const problem = chunksCollectedProblem(context.transaction, chunks, writeStartIndex);
  return problem === undefined ? undefined : rejected(problem);
}

/** Adds `sign` per chunk reference of a manifest (insertion order: deterministic). */
function countChunks(references: Map<string, number>, record: ObjectRecord, sign: 1 | -1): void {
  if (record.body.kind !== 'manifest') return;
  for (const chunk of record.body.chunks)
    references.set(chunk.sha256, (references.get(chunk.sha256) ?? 0) + sign);
}

/** Applies reference count changes; a count that reaches 0 is deleted (absent = unreferenced). */
function applyChunkReferences(context: ApplyContext, references: Map<string, number>): void {
  const { transaction } = context;
  for (const [sha256, delta] of references) {
    if (delta === 0) continue;
    const stored = transaction.get(chunkReferenceKey(sha256));
    const before = stored === undefined ? 0 : decodeCounter(stored, 'chunk reference count');
    const after = before + delta;
    assert(after >= 0, `chunk ${sha256} reference count stays non-negative`);
    if (after === 0) transaction.delete(chunkReferenceKey(sha256));
    else transaction.put(chunkReferenceKey(sha256), encodeCounter(after));
  }
}

/**
 * A put or delete applied inside another family's command (a transaction): the same
 * effect as the command, in the caller's context, without its condition's request-id
 * bookkeeping (the caller keeps its own outcome).
 */
export function applyObjectWrite(
  context: ApplyContext,
  command: PutObjectCommand | DeleteObjectCommand,
): MetaResult {
  assert(command.requestId === '', 'an object write inside a transaction has no request id');
  return command.type === 'putObject' ? applyPut(context, command) : applyDelete(context, command);
}

/** Adds `sign` to the reference count of each chunk (a staged upload holds its chunks). */
export function adjustChunkReferences(
  context: ApplyContext,
  chunks: readonly { readonly sha256: string }[],
  sign: 1 | -1,
): void {
  const references = new Map<string, number>();
  for (const chunk of chunks)
    references.set(chunk.sha256, (references.get(chunk.sha256) ?? 0) + sign);
  applyChunkReferences(context, references);
}
