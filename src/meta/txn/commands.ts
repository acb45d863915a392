// The txn family's commands: a transaction (compares, then the operations of one
// branch, one entry), a staged upload's record, and the clock tick that expires staged
// uploads. Wire fields and validation; what they do is in apply.ts.

import { createHash } from 'node:crypto';
import { limits } from '../../util/limits.js';
import {
  BinaryWriter,
  type BinaryReader,
  corrupt,
  readBoundedString,
  readBoundedVarint,
  readLengthPrefixed,
  readTag,
} from '../codec.js';
import {
  type ObjectValue,
  objectValueProblem,
  readObjectValue,
  writeObjectValue,
} from '../objects/commands.js';
import { integerProblem } from '../validation.js';

const what = 'meta command';

export const compareTargets = [
  'exists',
  'version',
  'createdRevision',
  'sha256',
  'size',
  'lease',
  'lockToken',
] as const;
export type CompareTarget = (typeof compareTargets)[number];
export const compareOperators = ['=', '!=', '<', '>'] as const;
export type CompareOperator = (typeof compareOperators)[number];
/** null is "absent" (no key, no lease): it sorts below every present value. */
export type CompareValue = null | number | string | boolean;

export interface TxnCompare {
  readonly key: string;
  readonly target: CompareTarget;
  readonly operator: CompareOperator;
  readonly value: CompareValue;
}

export type TxnOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'putStaged'; readonly key: string; readonly handle: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'deletePrefix'; readonly prefix: string }
  | { readonly type: 'get'; readonly key: string }
  | {
      readonly type: 'list';
      readonly prefix: string;
      /** '' = from the start of the prefix. */
      readonly after: string;
      readonly limit: number;
    };
export type TxnOperationType = TxnOperation['type'];

export type TransactionCommand = {
  readonly type: 'transaction';
  /** '' = no exactly-once record (the outcome is not kept). */
  readonly requestId: string;
  /** The proposer's clock: advances the group clock that expires outcomes and uploads. */
  readonly proposedAtMilliseconds: number;
  readonly compare: readonly TxnCompare[];
  readonly success: readonly TxnOperation[];
  readonly failure: readonly TxnOperation[];
  /** x-cairn-fence: applied only while `token` holds lock `name` (checked in the entry). */
  readonly fence?: TxnFence;
};

export interface TxnFence {
  readonly name: string;
  readonly token: number;
}

export type StageObjectCommand = {
  readonly type: 'stageObject';
  /** Chosen by the proposer (random): what a txn's putStaged names. */
  readonly handle: string;
  readonly proposedAtMilliseconds: number;
  readonly lifetimeMilliseconds: number;
  readonly value: Extract<ObjectValue, { kind: 'manifest' }>;
  /** The Raft index its node had applied before the first chunk (src/meta/garbage). */
  readonly writeStartIndex: number;
};

export type ExpireStagingCommand = {
  readonly type: 'expireStaging';
  readonly nowMilliseconds: number;
};

export type TxnCommand = TransactionCommand | StageObjectCommand | ExpireStagingCommand;

const targetTags: Record<CompareTarget, number> = {
  exists: 0,
  version: 1,
  createdRevision: 2,
  sha256: 3,
  size: 4,
  lease: 5,
  lockToken: 6,
};
const operationTags: Record<TxnOperationType, number> = {
  put: 0,
  putStaged: 1,
  delete: 2,
  deletePrefix: 3,
  get: 4,
  list: 5,
};
const valueTags = { absent: 0, number: 1, text: 2, false: 3, true: 4 } as const;
const handlePattern = /^[0-9a-f]{32}$/;
const timeMax = Number.MAX_SAFE_INTEGER;

export function writeTransaction(writer: BinaryWriter, command: TransactionCommand): void {
  writer.writeString(command.requestId);
  writer.writeVarint(command.proposedAtMilliseconds);
  writeTransactionBody(writer, command);
}

function writeTransactionBody(writer: BinaryWriter, command: TransactionCommand): void {
  writer.writeVarint(command.compare.length);
  for (const compare of command.compare) {
    writer.writeString(compare.key);
    writer.writeUint8(targetTags[compare.target]);
    writer.writeUint8(compareOperators.indexOf(compare.operator));
    writeCompareValue(writer, compare.value);
  }
  for (const branch of [command.success, command.failure]) {
    writer.writeVarint(branch.length);
    for (const operation of branch) writeOperation(writer, operation);
  }
  // Part of the body (and so of the fingerprint): a retry carries the same fence.
  if (command.fence === undefined) writer.writeUint8(0);
  else {
    writer.writeUint8(1);
    writer.writeString(command.fence.name);
    writer.writeVarint(command.fence.token);
  }
}

/**
 * What a retry must repeat: the SHA-256 of the compares and both branches (not the
 * request id or the clock). A request id reused for another body is refused.
 */
export function transactionFingerprint(command: TransactionCommand): string {
  const writer = new BinaryWriter(256);
  writeTransactionBody(writer, command);
  // 128 bits are plenty to tell two bodies apart; kept per outcome, so short.
  return createHash('sha256').update(writer.finish()).digest().subarray(0, 16).toString('base64');
}

function writeCompareValue(writer: BinaryWriter, value: CompareValue): void {
  if (value === null) writer.writeUint8(valueTags.absent);
  else if (typeof value === 'number') {
    writer.writeUint8(valueTags.number);
    writer.writeVarint(value);
  } else if (typeof value === 'string') {
    writer.writeUint8(valueTags.text);
    writer.writeString(value);
  } else writer.writeUint8(value ? valueTags.true : valueTags.false);
}

function writeOperation(writer: BinaryWriter, operation: TxnOperation): void {
  writer.writeUint8(operationTags[operation.type]);
  switch (operation.type) {
    case 'put':
      writer.writeString(operation.key);
      writer.writeBytes(operation.value);
      return;
    case 'putStaged':
      writer.writeString(operation.key);
      writer.writeString(operation.handle);
      return;
    case 'delete':
    case 'get':
      writer.writeString(operation.key);
      return;
    case 'deletePrefix':
      writer.writeString(operation.prefix);
      return;
    case 'list':
      writer.writeString(operation.prefix);
      writer.writeString(operation.after);
      writer.writeVarint(operation.limit);
      return;
  }
}

export function readTransaction(reader: BinaryReader): TransactionCommand {
  const requestId = readBoundedString(reader, what, 'requestId', limits.metaRequestIdBytesMax);
  const proposedAtMilliseconds = readBoundedVarint(reader, what, 'proposedAt', 0, timeMax);
  const compareCount = readBoundedVarint(reader, what, 'compare count', 0, limits.txnComparesMax);
  const compare: TxnCompare[] = [];
  for (let index = 0; index < compareCount; index++) {
    const key = readKey(reader);
    const target = compareTargets[readTag(reader, what, 'compare target', 6)] as CompareTarget;
    const operator = compareOperators[
      readTag(reader, what, 'compare operator', 3)
    ] as CompareOperator;
    compare.push({ key, target, operator, value: readCompareValue(reader) });
  }
  const success = readBranch(reader);
  const failure = readBranch(reader);
  const fence = readFence(reader);
  const command = { type: 'transaction', requestId, proposedAtMilliseconds, compare } as const;
  return { ...command, success, failure, ...(fence === undefined ? {} : { fence }) };
}

function readFence(reader: BinaryReader): TxnFence | undefined {
  if (readTag(reader, what, 'fence flag', 1) === 0) return undefined;
  const name = readBoundedString(reader, what, 'fence lock name', limits.lockNameBytesMax);
  const token = readBoundedVarint(reader, what, 'fence token', 1, timeMax);
  return { name, token };
}

function readKey(reader: BinaryReader): string {
  return readBoundedString(reader, what, 'key', limits.keyLengthBytesMax);
}

function readCompareValue(reader: BinaryReader): CompareValue {
  const tag = readTag(reader, what, 'compare value kind', valueTags.true);
  if (tag === valueTags.absent) return null;
  if (tag === valueTags.number) return readBoundedVarint(reader, what, 'compare value', 0, timeMax);
  if (tag === valueTags.text) return readBoundedString(reader, what, 'compare value', 64);
  return tag === valueTags.true;
}

function readBranch(reader: BinaryReader): TxnOperation[] {
  const count = readBoundedVarint(reader, what, 'operation count', 0, limits.txnOperationsMax);
  const operations: TxnOperation[] = [];
  for (let index = 0; index < count; index++) operations.push(readOperation(reader));
  return operations;
}

function readOperation(reader: BinaryReader): TxnOperation {
  const tag = readTag(reader, what, 'operation kind', operationTags.list);
  if (tag === operationTags.put) {
    const key = readKey(reader);
    const bytes = readLengthPrefixed(reader, what, 'value', limits.objectInlineBytesMax);
    return { type: 'put', key, value: bytes.slice() };
  }
  if (tag === operationTags.putStaged) {
    const key = readKey(reader);
    return { type: 'putStaged', key, handle: readBoundedString(reader, what, 'handle', 32) };
  }
  if (tag === operationTags.delete) return { type: 'delete', key: readKey(reader) };
  if (tag === operationTags.get) return { type: 'get', key: readKey(reader) };
  if (tag === operationTags.deletePrefix) return { type: 'deletePrefix', prefix: readKey(reader) };
  const prefix = readBoundedString(reader, what, 'prefix', limits.keyLengthBytesMax);
  const after = readBoundedString(reader, what, 'after', limits.keyLengthBytesMax);
  const limit = readBoundedVarint(reader, what, 'list limit', 1, limits.listPageKeysMax);
  return { type: 'list', prefix, after, limit };
}

export function transactionSizeEstimateBytes(command: TransactionCommand): number {
  let total = 64 + command.compare.length * 48;
  for (const operation of [...command.success, ...command.failure])
    total += 16 + ('key' in operation ? operation.key.length * 3 : 64);
  for (const operation of [...command.success, ...command.failure])
    if (operation.type === 'put') total += operation.value.length;
  return total;
}

export function writeStage(writer: BinaryWriter, command: StageObjectCommand): void {
  writer.writeString(command.handle);
  writer.writeVarint(command.proposedAtMilliseconds);
  writer.writeVarint(command.lifetimeMilliseconds);
  writeObjectValue(writer, command.value);
  writer.writeVarint(command.writeStartIndex);
}

export function readStage(reader: BinaryReader): StageObjectCommand {
  const handle = readBoundedString(reader, what, 'handle', 32);
  const proposedAtMilliseconds = readBoundedVarint(reader, what, 'proposedAt', 0, timeMax);
  const lifetimeMilliseconds = readBoundedVarint(
    reader,
    what,
    'lifetime',
    1,
    limits.stagingLifetimeMillisecondsMax,
  );
  const value = readObjectValue(reader);
  if (value.kind !== 'manifest') corrupt(what, 'a staged value is a manifest', reader);
  const writeStartIndex = readBoundedVarint(reader, what, 'writeStart', 1, timeMax);
  return {
    type: 'stageObject',
    handle,
    proposedAtMilliseconds,
    lifetimeMilliseconds,
    value,
    writeStartIndex,
  };
}

export function writeExpireStaging(writer: BinaryWriter, command: ExpireStagingCommand): void {
  writer.writeVarint(command.nowMilliseconds);
}

export function readExpireStaging(reader: BinaryReader): ExpireStagingCommand {
  const nowMilliseconds = readBoundedVarint(reader, what, 'now', 0, timeMax);
  return { type: 'expireStaging', nowMilliseconds };
}

export function handleProblem(handle: string): string | undefined {
  return typeof handle === 'string' && handlePattern.test(handle)
    ? undefined
    : 'a staged upload handle is 32 lowercase hex digits';
}

export function stageProblem(command: StageObjectCommand): string | undefined {
  return (
    handleProblem(command.handle) ??
    integerProblem(command.proposedAtMilliseconds, 'proposedAtMilliseconds', 0, timeMax) ??
    integerProblem(
      command.lifetimeMilliseconds,
      'lifetimeMilliseconds',
      1,
      limits.stagingLifetimeMillisecondsMax,
    ) ??
    integerProblem(command.writeStartIndex, 'writeStartIndex', 1, timeMax) ??
    (command.value?.kind === 'manifest'
      ? objectValueProblem(command.value)
      : 'a staged value is a manifest')
  );
}

export function expireStagingProblem(command: ExpireStagingCommand): string | undefined {
  return integerProblem(command.nowMilliseconds, 'nowMilliseconds', 0, timeMax);
}
