// The objects family's commands: their types, wire fields and validation. What they do
// to the state is in apply.ts.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  corrupt,
  isSha256Hex,
  readBoundedString,
  readBoundedVarint,
  readLengthPrefixed,
  readSha256Hex,
  readTag,
  writeSha256Hex,
} from '../codec.js';
import { objectKeyProblem } from '../keys.js';
import { integerProblem } from '../validation.js';
import type { ManifestChunk } from './records.js';

const what = 'meta command';
const requestIdPattern = /^[\x21-\x7e]*$/;

/** ifVersion 0 means "the key is absent". */
export type WriteCondition = { readonly ifVersion: number } | { readonly ifAbsent: true };

export type ObjectValue =
  | { readonly kind: 'inline'; readonly bytes: Uint8Array }
  | {
      readonly kind: 'manifest';
      readonly size: number;
      /** SHA-256 of the whole object. */
      readonly sha256: string;
      /** Every chunk but the last has exactly this size (fixed-size chunking). */
      readonly chunkSizeBytes: number;
      readonly chunks: readonly ManifestChunk[];
    };

export type PutObjectCommand = {
  readonly type: 'putObject';
  readonly key: string;
  readonly value: ObjectValue;
  readonly condition?: WriteCondition;
  /** Printable ASCII, up to metaRequestIdBytesMax; '' means no retry deduplication. */
  readonly requestId: string;
  /**
   * A manifest's: the Raft index its node had applied before it stored the first chunk.
   * The commit is refused if a later collection took one of the chunks (src/meta/garbage).
   */
  readonly writeStartIndex?: number;
};
export type DeleteObjectCommand = {
  readonly type: 'deleteObject';
  readonly key: string;
  readonly condition?: WriteCondition;
  readonly requestId: string;
};
export type ObjectCommand = PutObjectCommand | DeleteObjectCommand;

export function writePut(writer: BinaryWriter, command: PutObjectCommand): void {
  writer.writeString(command.key);
  writeObjectValue(writer, command.value);
  writeCondition(writer, command.condition);
  writer.writeString(command.requestId);
  writer.writeVarint(command.writeStartIndex ?? 0); // 0: none (an inline value)
}

export function readPut(reader: BinaryReader): PutObjectCommand {
  const key = readBoundedString(reader, what, 'key', limits.keyLengthBytesMax);
  const value = readObjectValue(reader);
  const condition = readCondition(reader);
  const requestId = readBoundedString(reader, what, 'requestId', limits.metaRequestIdBytesMax);
  const start = readBoundedVarint(reader, what, 'writeStartIndex', 0, Number.MAX_SAFE_INTEGER);
  const type = 'putObject';
  return {
    type,
    key,
    value,
    ...(condition === undefined ? {} : { condition }),
    requestId,
    ...(start === 0 ? {} : { writeStartIndex: start }),
  };
}

export function writeDelete(writer: BinaryWriter, command: DeleteObjectCommand): void {
  writer.writeString(command.key);
  writeCondition(writer, command.condition);
  writer.writeString(command.requestId);
}

export function readDelete(reader: BinaryReader): DeleteObjectCommand {
  const key = readBoundedString(reader, what, 'key', limits.keyLengthBytesMax);
  const condition = readCondition(reader);
  const requestId = readBoundedString(reader, what, 'requestId', limits.metaRequestIdBytesMax);
  const type = 'deleteObject';
  return condition === undefined ? { type, key, requestId } : { type, key, condition, requestId };
}

/** Enough capacity for a put in one allocation (the writer grows if not). */
export function putSizeEstimateBytes(command: PutObjectCommand): number {
  const value = command.value;
  const valueBytes = value.kind === 'inline' ? value.bytes.length : value.chunks.length * 40;
  return 96 + command.key.length * 3 + command.requestId.length + valueBytes;
}

const valueTags = { inline: 1, manifest: 2 } as const;

export function writeObjectValue(writer: BinaryWriter, value: ObjectValue): void {
  if (value.kind === 'inline') {
    writer.writeUint8(valueTags.inline);
    writer.writeBytes(value.bytes);
    return;
  }
  writer.writeUint8(valueTags.manifest);
  writer.writeVarint(value.size);
  writeSha256Hex(writer, value.sha256);
  writer.writeVarint(value.chunkSizeBytes);
  writer.writeVarint(value.chunks.length);
  for (const chunk of value.chunks) {
    writeSha256Hex(writer, chunk.sha256);
    writer.writeVarint(chunk.size);
  }
}

export function readObjectValue(reader: BinaryReader): ObjectValue {
  const tag = readTag(reader, what, 'value kind', valueTags.manifest);
  if (tag === valueTags.inline) {
    // Copy: the entry buffer must not be retained by whatever keeps the value.
    const bytes = readLengthPrefixed(reader, what, 'inline value', limits.objectInlineBytesMax);
    return { kind: 'inline', bytes: bytes.slice() };
  }
  if (tag !== valueTags.manifest) corrupt(what, `unknown value kind ${tag}`, reader);
  const size = readBoundedVarint(reader, what, 'size', 1, Number.MAX_SAFE_INTEGER);
  const sha256 = readSha256Hex(reader, what, 'sha256');
  const chunkSizeBytes = readBoundedVarint(
    reader,
    what,
    'chunkSizeBytes',
    1,
    limits.chunkSizeBytes,
  );
  const count = readBoundedVarint(reader, what, 'chunk count', 1, limits.metaManifestChunksMax);
  const chunks: ManifestChunk[] = [];
  for (let index = 0; index < count; index++) {
    const chunkSha256 = readSha256Hex(reader, what, 'chunk sha256');
    chunks.push({
      sha256: chunkSha256,
      size: readBoundedVarint(reader, what, 'chunk size', 1, chunkSizeBytes),
    });
  }
  return { kind: 'manifest', size, sha256, chunkSizeBytes, chunks };
}

const conditionTags = { none: 0, ifVersion: 1, ifAbsent: 2 } as const;

function writeCondition(writer: BinaryWriter, condition: WriteCondition | undefined): void {
  if (condition === undefined) writer.writeUint8(conditionTags.none);
  else if ('ifAbsent' in condition) writer.writeUint8(conditionTags.ifAbsent);
  else {
    writer.writeUint8(conditionTags.ifVersion);
    writer.writeVarint(condition.ifVersion);
  }
}

function readCondition(reader: BinaryReader): WriteCondition | undefined {
  const tag = readTag(reader, what, 'condition kind', conditionTags.ifAbsent);
  if (tag === conditionTags.none) return undefined;
  if (tag === conditionTags.ifAbsent) return { ifAbsent: true };
  return { ifVersion: readBoundedVarint(reader, what, 'ifVersion', 0, Number.MAX_SAFE_INTEGER) };
}

export function putProblem(command: PutObjectCommand): string | undefined {
  return (
    objectKeyProblem(command.key) ??
    objectValueProblem(command.value) ??
    conditionProblem(command.condition) ??
    requestIdProblem(command.requestId) ??
    writeStartProblem(command.value, command.writeStartIndex)
  );
}

/** A manifest names where its chunk writes began (1 or more); an inline value does not. */
export function writeStartProblem(
  value: ObjectValue,
  writeStartIndex: number | undefined,
): string | undefined {
  if (value.kind === 'inline')
    return writeStartIndex === undefined ? undefined : 'an inline value has no writeStartIndex';
  if (writeStartIndex === undefined)
    return 'a manifest names the Raft index its chunk writes began at (writeStartIndex)';
  return integerProblem(writeStartIndex, 'writeStartIndex', 1, Number.MAX_SAFE_INTEGER);
}

export function deleteProblem(command: DeleteObjectCommand): string | undefined {
  return (
    objectKeyProblem(command.key) ??
    conditionProblem(command.condition) ??
    requestIdProblem(command.requestId)
  );
}

export function objectValueProblem(value: ObjectValue): string | undefined {
  if (value.kind === 'inline') {
    if (!(value.bytes instanceof Uint8Array)) return 'an inline value is bytes';
    if (value.bytes.length > limits.objectInlineBytesMax) {
      return `an inline value is at most ${limits.objectInlineBytesMax} bytes (objectInlineBytesMax), got ${value.bytes.length}; use a manifest`;
    }
    return undefined;
  }
  const numberProblem =
    integerProblem(value.size, 'object size', 1, Number.MAX_SAFE_INTEGER) ??
    integerProblem(value.chunkSizeBytes, 'chunkSizeBytes', 1, limits.chunkSizeBytes) ??
    integerProblem(value.chunks.length, 'chunk count', 1, limits.metaManifestChunksMax);
  if (numberProblem !== undefined) return numberProblem;
  if (!isSha256Hex(value.sha256)) return 'the object sha256 must be 64 lowercase hex digits';
  let total = 0;
  for (let index = 0; index < value.chunks.length; index++) {
    const chunk = value.chunks[index] as ManifestChunk;
    if (!isSha256Hex(chunk.sha256)) return `chunk ${index} sha256 must be 64 lowercase hex digits`;
    const last = index === value.chunks.length - 1;
    const sizeProblem = integerProblem(
      chunk.size,
      `chunk ${index} size`,
      last ? 1 : value.chunkSizeBytes,
      value.chunkSizeBytes,
    );
    if (sizeProblem !== undefined) return sizeProblem;
    total += chunk.size;
  }
  if (total !== value.size)
    return `the chunk sizes add up to ${total}, the object size is ${value.size}`;
  return undefined;
}

function conditionProblem(condition: WriteCondition | undefined): string | undefined {
  if (condition === undefined) return undefined;
  if ('ifAbsent' in condition)
    return condition.ifAbsent === true ? undefined : 'ifAbsent must be true';
  return integerProblem(condition.ifVersion, 'ifVersion', 0, Number.MAX_SAFE_INTEGER);
}

export function requestIdProblem(requestId: string): string | undefined {
  if (
    typeof requestId !== 'string' ||
    requestId.length > limits.metaRequestIdBytesMax ||
    !requestIdPattern.test(requestId)
  ) {
    return `a requestId is 0 to ${limits.metaRequestIdBytesMax} printable ASCII characters without spaces`;
  }
  return undefined;
}
