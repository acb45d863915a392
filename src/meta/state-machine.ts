// The replicated state machine of the meta group. apply(command, index, transaction)
// is deterministic: no clock, no randomness, no iteration over unordered state, so
// every replica that applies the same entries holds the same bytes and returns the
// same results. A command that does not fit the current state (a duplicate member,
// a put before bootstrap) is `rejected` and changes nothing but the applied index;
// it never throws, because it is committed and every replica must agree on it.
// Exceptions mean a bug (AssertionFailure) or a damaged store (CorruptionError).

import { createHash } from 'node:crypto';
import { assert, assertInteger, assertNever } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { RingDescription, RingMember } from '../placement/index.js';
import { createRingDescription } from '../placement/index.js';
import type { MetaCommand, WriteCondition } from './commands.js';
import { decodeCommand } from './commands.js';
import {
  chunkReferenceKey,
  garbageKey,
  inlineValueKey,
  memberKey,
  metaKeys,
  objectKey,
  requestExpiryKey,
  requestKey,
  ringKey,
} from './keys.js';
import type {
  ClusterIdentity,
  MemberRecord,
  MetaProgress,
  MetaResult,
  ObjectRecord,
  RingState,
} from './records.js';
import {
  decodeCounter,
  decodeIdentity,
  decodeMember,
  decodeObject,
  decodeProgress,
  decodeRequest,
  decodeRingState,
  decodeText,
  emptyProgress,
  encodeCounter,
  encodeIdentity,
  encodeMember,
  encodeObject,
  encodeProgress,
  encodeRequest,
  encodeRing,
  encodeRingState,
  encodeText,
} from './records.js';
import type { MetaReader, MetaTransaction } from './store.js';

export type { MetaResult } from './records.js';

/** What one apply needs: the store, the entry's index, and progress to update. */
interface ApplyContext {
  readonly transaction: MetaTransaction;
  readonly index: number;
  progress: MetaProgress;
  /** Set when the command changed cluster or object state: the revision becomes `index`. */
  mutated: boolean;
}

/** Decodes and applies one committed entry's data. A malformed entry throws CorruptionError. */
export function applyEntryData(
  data: Uint8Array,
  index: number,
  transaction: MetaTransaction,
): MetaResult {
  return applyCommand(decodeCommand(data), index, transaction);
}

export function applyCommand(
  command: MetaCommand,
  index: number,
  transaction: MetaTransaction,
): MetaResult {
  assertInteger(index, 'entry index', 1);
  const progress = readProgress(transaction);
  assert(
    index > progress.appliedIndex,
    `entry ${index} applied after ${progress.appliedIndex}: indexes must increase`,
  );
  const context: ApplyContext = { transaction, index, progress, mutated: false };
  const result = dispatch(context, command);
  const revision = context.mutated ? index : context.progress.revision;
  assert(revision <= index, 'the revision is never ahead of the applied index');
  transaction.put(
    metaKeys.progress,
    encodeProgress({ ...context.progress, appliedIndex: index, revision }),
  );
  return result;
}

function dispatch(context: ApplyContext, command: MetaCommand): MetaResult {
  switch (command.type) {
    case 'noop':
      return { type: 'ok', version: context.progress.revision };
    case 'bootstrapCluster':
      return applyBootstrap(context, command);
    case 'addMember':
    case 'updateMember':
    case 'removeMember':
      return applyMembershipChange(context, command);
    case 'settleEpoch':
      return applySettleEpoch(context, command.epoch);
    case 'putObject':
    case 'deleteObject':
      return applyObjectCommand(context, command);
    default:
      return assertNever(command, 'meta command');
  }
}

export function readProgress(reader: MetaReader): MetaProgress {
  const bytes = reader.get(metaKeys.progress);
  return bytes === undefined ? emptyProgress : decodeProgress(bytes);
}

export function readIdentity(reader: MetaReader): ClusterIdentity | undefined {
  const bytes = reader.get(metaKeys.identity);
  return bytes === undefined ? undefined : decodeIdentity(bytes);
}

export function readRingState(reader: MetaReader): RingState | undefined {
  const bytes = reader.get(metaKeys.ringState);
  return bytes === undefined ? undefined : decodeRingState(bytes);
}

/** Every member, in id order (bounded by placementMembersMax). */
export function readMembers(reader: MetaReader): MemberRecord[] {
  const entries = reader.rangeEntries(
    metaKeys.memberPrefix,
    undefined,
    limits.placementMembersMax + 1,
  );
  assert(entries.length <= limits.placementMembersMax, 'members within placementMembersMax');
  return entries.map((entry) => decodeMember(entry.value));
}

function rejected(message: string): MetaResult {
  // Bounded so the result fits its stored form (request records keep results).
  const bounded = message.length > 300 ? `${message.slice(0, 297)}...` : message;
  return { type: 'rejected', message: bounded };
}

const notBootstrapped = (): MetaResult => rejected('the cluster is not bootstrapped yet');

function applyBootstrap(
  context: ApplyContext,
  command: Extract<MetaCommand, { type: 'bootstrapCluster' }>,
): MetaResult {
  const existing = readIdentity(context.transaction);
  if (existing !== undefined)
    return rejected(`the cluster is already bootstrapped as "${existing.clusterId}"`);
  assert(
    context.progress.revision === 0 && context.progress.objectCount === 0,
    'nothing is written before bootstrap',
  );
  const identity: ClusterIdentity = {
    clusterId: command.clusterId,
    replicationFactor: command.replicationFactor,
    vnodesPerWeightUnit: command.vnodesPerWeightUnit,
    bootstrapRevision: context.index,
  };
  const members: MemberRecord[] = command.members.map((spec) => ({
    id: spec.id,
    clientAddress: spec.clientAddress,
    peerAddress: spec.peerAddress,
    zone: spec.zone,
    weight: spec.weight,
    role: spec.role,
    state: 'active',
    addedRevision: context.index,
    updatedRevision: context.index,
  }));
  const ring = buildRing(identity, 1, members);
  if (typeof ring === 'string') return rejected(ring);
  const { transaction } = context;
  transaction.put(metaKeys.identity, encodeIdentity(identity));
  for (const member of members) transaction.put(memberKey(member.id), encodeMember(member));
  transaction.put(ringKey(1), encodeRing(ring));
  transaction.put(metaKeys.ringState, encodeRingState({ currentEpoch: 1, settledEpoch: 1 }));
  context.mutated = true;
  return { type: 'ok', version: context.index };
}

/** The canonical ring of these members, or why it cannot be built (R too high, too many vnodes...). */
function buildRing(
  identity: ClusterIdentity,
  epoch: number,
  members: readonly MemberRecord[],
): RingDescription | string {
  const ringMembers: RingMember[] = members.map((member) => ({
    id: member.id,
    zone: member.zone,
    weight: member.weight,
    state: member.state,
  }));
  try {
    return createRingDescription({
      epoch,
      settings: {
        replicationFactor: identity.replicationFactor,
        vnodesPerWeightUnit: identity.vnodesPerWeightUnit,
      },
      members: ringMembers,
    });
  } catch (error) {
    if (error instanceof InvalidArgumentError) return `the ring would be invalid: ${error.message}`;
    throw error;
  }
}

type MembershipCommand = Extract<
  MetaCommand,
  { type: 'addMember' | 'updateMember' | 'removeMember' }
>;

/** The member list after the command, or the result to return instead. */
function changedMembers(
  context: ApplyContext,
  members: MemberRecord[],
  command: MembershipCommand,
): MemberRecord[] | MetaResult {
  const position = members.findIndex((member) => member.id === command.id);
  if (command.type === 'addMember') {
    if (position >= 0) return rejected(`member "${command.id}" already exists`);
    if (members.length >= limits.placementMembersMax)
      return rejected(
        `a cluster has at most ${limits.placementMembersMax} members (placementMembersMax)`,
      );
    const { type: _type, ...spec } = command;
    const added: MemberRecord = {
      ...spec,
      state: 'active',
      addedRevision: context.index,
      updatedRevision: context.index,
    };
    return [...members, added];
  }
  if (position < 0) return { type: 'notFound' };
  if (command.type === 'removeMember') return members.filter((member) => member.id !== command.id);
  const current = members[position] as MemberRecord;
  const { type: _type, id: _id, ...fields } = command;
  const updated: MemberRecord = { ...current, ...fields, updatedRevision: context.index };
  return members.map((member, at) => (at === position ? updated : member));
}

function applyMembershipChange(context: ApplyContext, command: MembershipCommand): MetaResult {
  const identity = readIdentity(context.transaction);
  if (identity === undefined) return notBootstrapped();
  const before = readMembers(context.transaction);
  const after = changedMembers(context, before, command);
  if (!Array.isArray(after)) return after;
  const voters = after.filter((member) => member.role === 'voter').length;
  if (voters < 1) return rejected('the last voter cannot be removed or demoted');
  if (voters > limits.raftVotersMax)
    return rejected(`a cluster has at most ${limits.raftVotersMax} voters (raftVotersMax)`);
  const ringState = readRingState(context.transaction);
  assert(ringState !== undefined, 'a bootstrapped cluster has a ring');
  let newEpoch: number | undefined;
  if (ringChanged(before, after)) {
    if (ringState.currentEpoch - ringState.settledEpoch >= limits.metaRingEpochsUnsettledMax) {
      return rejected(
        `${limits.metaRingEpochsUnsettledMax} ring epochs are not settled yet (metaRingEpochsUnsettledMax); rebalance before changing membership again`,
      );
    }
    newEpoch = ringState.currentEpoch + 1;
    const ring = buildRing(identity, newEpoch, after);
    if (typeof ring === 'string') return rejected(ring);
    context.transaction.put(ringKey(newEpoch), encodeRing(ring));
    context.transaction.put(
      metaKeys.ringState,
      encodeRingState({ ...ringState, currentEpoch: newEpoch }),
    );
  }
  if (command.type === 'removeMember') context.transaction.delete(memberKey(command.id));
  else {
    const written = after.find((member) => member.id === command.id);
    assert(written !== undefined, 'the changed member is in the list');
    context.transaction.put(memberKey(command.id), encodeMember(written));
  }
  context.mutated = true;
  return { type: 'ok', version: context.index };
}

/** Whether the placement-relevant fields (set, zone, weight, state) differ. */
function ringChanged(before: readonly MemberRecord[], after: readonly MemberRecord[]): boolean {
  if (before.length !== after.length) return true;
  const byId = new Map(before.map((member) => [member.id, member]));
  for (const member of after) {
    const previous = byId.get(member.id);
    if (previous === undefined) return true;
    if (
      previous.zone !== member.zone ||
      previous.weight !== member.weight ||
      previous.state !== member.state
    )
      return true;
  }
  return false;
}

function applySettleEpoch(context: ApplyContext, epoch: number): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  const ringState = readRingState(context.transaction);
  assert(ringState !== undefined, 'a bootstrapped cluster has a ring');
  if (epoch <= ringState.settledEpoch || epoch > ringState.currentEpoch) {
    return rejected(
      `epoch ${epoch} cannot be settled: settled is ${ringState.settledEpoch}, current is ${ringState.currentEpoch}`,
    );
  }
  // Placements older than the settled one are never read again.
  for (let old = ringState.settledEpoch; old < epoch; old++)
    context.transaction.delete(ringKey(old));
  context.transaction.put(
    metaKeys.ringState,
    encodeRingState({ ...ringState, settledEpoch: epoch }),
  );
  context.mutated = true;
  return { type: 'ok', version: context.index };
}

type ObjectCommand = Extract<MetaCommand, { type: 'putObject' | 'deleteObject' }>;

function applyObjectCommand(context: ApplyContext, command: ObjectCommand): MetaResult {
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
    context.transaction.put(requestExpiryKey(context.index), encodeText(command.requestId));
  }
  return result;
}

/** Forgets request results older than the deduplication window (a bounded number per apply). */
function expireRequests(context: ApplyContext): void {
  const { transaction, index } = context;
  const oldest = transaction.rangeEntries(
    metaKeys.requestExpiryPrefix,
    undefined,
    limits.metaRequestExpiriesPerApplyMax,
  );
  for (const entry of oldest) {
    const requestIndex = parseInt(entry.key.slice(metaKeys.requestExpiryPrefix.length), 16);
    assert(
      Number.isSafeInteger(requestIndex) && requestIndex < index,
      'a request expiry key holds an earlier index',
    );
    if (requestIndex > index - limits.metaRequestDeduplicationIndexWindow) return;
    transaction.delete(
      requestKey(decodeText(entry.value, 'request expiry record', limits.metaRequestIdBytesMax)),
    );
    transaction.delete(entry.key);
  }
}

export function readObject(reader: MetaReader, key: string): ObjectRecord | undefined {
  const bytes = reader.get(objectKey(key));
  return bytes === undefined ? undefined : decodeObject(bytes);
}

function conditionHolds(condition: WriteCondition | undefined, currentVersion: number): boolean {
  if (condition === undefined) return true;
  if ('ifAbsent' in condition) return currentVersion === 0;
  return condition.ifVersion === currentVersion;
}

function applyPut(
  context: ApplyContext,
  command: Extract<MetaCommand, { type: 'putObject' }>,
): MetaResult {
  const { transaction, index } = context;
  const current = readObject(transaction, command.key);
  const currentVersion = current?.version ?? 0;
  if (!conditionHolds(command.condition, currentVersion))
    return { type: 'conflict', currentVersion };
  const { value } = command;
  const record: ObjectRecord =
    value.kind === 'inline'
      ? {
          version: index,
          createdRevision: current?.createdRevision ?? index,
          size: value.bytes.length,
          sha256: createHash('sha256').update(value.bytes).digest('hex'),
          body: { kind: 'inline' },
        }
      : {
          version: index,
          createdRevision: current?.createdRevision ?? index,
          size: value.size,
          sha256: value.sha256,
          body: { kind: 'manifest', chunkSizeBytes: value.chunkSizeBytes, chunks: value.chunks },
        };
  const references = new Map<string, number>();
  countChunks(references, record, +1);
  if (current !== undefined) countChunks(references, current, -1);
  applyChunkReferences(context, references);
  transaction.put(objectKey(command.key), encodeObject(record));
  if (value.kind === 'inline') transaction.put(inlineValueKey(command.key), value.bytes);
  else if (current?.body.kind === 'inline') transaction.delete(inlineValueKey(command.key));
  const { progress } = context;
  context.progress = {
    ...progress,
    objectCount: progress.objectCount + (current === undefined ? 1 : 0),
    objectBytesTotal: progress.objectBytesTotal + record.size - (current?.size ?? 0),
  };
  context.mutated = true;
  return { type: 'ok', version: index };
}

function applyDelete(
  context: ApplyContext,
  command: Extract<MetaCommand, { type: 'deleteObject' }>,
): MetaResult {
  const { transaction } = context;
  const current = readObject(transaction, command.key);
  const currentVersion = current?.version ?? 0;
  if (!conditionHolds(command.condition, currentVersion))
    return { type: 'conflict', currentVersion };
  if (current === undefined) return { type: 'notFound' };
  const references = new Map<string, number>();
  countChunks(references, current, -1);
  applyChunkReferences(context, references);
  transaction.delete(objectKey(command.key));
  if (current.body.kind === 'inline') transaction.delete(inlineValueKey(command.key));
  const { progress } = context;
  assert(
    progress.objectCount >= 1 && progress.objectBytesTotal >= current.size,
    'object totals cover a stored object',
  );
  context.progress = {
    ...progress,
    objectCount: progress.objectCount - 1,
    objectBytesTotal: progress.objectBytesTotal - current.size,
  };
  context.mutated = true;
  return { type: 'ok', version: context.index };
}

/** Adds `sign` per chunk reference of a manifest (insertion order: deterministic). */
function countChunks(references: Map<string, number>, record: ObjectRecord, sign: 1 | -1): void {
  if (record.body.kind !== 'manifest') return;
  for (const chunk of record.body.chunks)
    references.set(chunk.sha256, (references.get(chunk.sha256) ?? 0) + sign);
}

/**
 * Applies reference count changes. A chunk whose count reaches 0 is recorded under
 * g/ with the revision it became unreferenced (GC deletes it later); a garbage chunk
 * referenced again leaves g/.
 */
function applyChunkReferences(context: ApplyContext, references: Map<string, number>): void {
  const { transaction, index } = context;
  for (const [sha256, delta] of references) {
    if (delta === 0) continue;
    const stored = transaction.get(chunkReferenceKey(sha256));
    const before = stored === undefined ? 0 : decodeCounter(stored, 'chunk reference count');
    const after = before + delta;
    assert(after >= 0, `chunk ${sha256} reference count stays non-negative`);
    if (after === 0) {
      transaction.delete(chunkReferenceKey(sha256));
      transaction.put(garbageKey(sha256), encodeCounter(index));
    } else {
      transaction.put(chunkReferenceKey(sha256), encodeCounter(after));
      if (before === 0) transaction.delete(garbageKey(sha256));
    }
  }
}
