// The framing every stored meta record shares: a format byte, then the record's fields
// in the binary codec. Decoding anything else throws CorruptionError (a damaged state
// store must stop the node, not be guessed at).

import { limits } from '../util/limits.js';
import {
  BinaryReader,
  BinaryWriter,
  corrupt,
  finishWithin,
  readBoundedString,
  readBoundedVarint,
  readTag,
} from './codec.js';

const recordFormatVersion = 1;
export const safeIntegerMax = Number.MAX_SAFE_INTEGER;

export function recordWriter(capacity = 64): BinaryWriter {
  const created = new BinaryWriter(capacity);
  created.writeUint8(recordFormatVersion);
  return created;
}

export function finishRecord(created: BinaryWriter): Uint8Array {
  return finishWithin(created, 'metaStoredValueBytesMax', limits.metaStoredValueBytesMax);
}

export function recordReader(bytes: Uint8Array, what: string): BinaryReader {
  const created = new BinaryReader(bytes, what);
  const format = readTag(created, what, 'record format', 0xff);
  if (format !== recordFormatVersion) corrupt(what, `unknown record format ${format}`, created);
  return created;
}

export function encodeCounter(value: number): Uint8Array {
  const out = recordWriter(16);
  out.writeVarint(value);
  return finishRecord(out);
}

export function decodeCounter(bytes: Uint8Array, what: string): number {
  const input = recordReader(bytes, what);
  const value = readBoundedVarint(input, what, 'value', 0, safeIntegerMax);
  input.expectEnd();
  return value;
}

export function encodeText(value: string): Uint8Array {
  const out = recordWriter(16 + value.length * 3);
  out.writeString(value);
  return finishRecord(out);
}

export function decodeText(bytes: Uint8Array, what: string, lengthBytesMax: number): string {
  const input = recordReader(bytes, what);
  const value = readBoundedString(input, what, 'value', lengthBytesMax);
  input.expectEnd();
  return value;
}
