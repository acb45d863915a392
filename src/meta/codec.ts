// Meta-specific helpers over the shared binary codec (src/util/codec.ts): bounded,
// canonical varints (one encoding per value, so encode(decode(bytes)) = bytes),
// SHA-256 digests as 32 raw bytes, float64 weights, and an encoding size limit.
// Every decoding problem becomes a CorruptionError naming the payload and field.

import { assert } from '../util/assert.js';
import { BinaryReader, BinaryWriter } from '../util/codec.js';
import { CorruptionError, LimitExceededError } from '../util/errors.js';

export { BinaryReader, BinaryWriter };

export const sha256Bytes = 32;
const float64Bytes = 8;
const sha256HexPattern = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return sha256HexPattern.test(value);
}

/** Bytes of the unsigned LEB128 encoding of `value`. */
export function varintLengthBytes(value: number): number {
  let length = 1;
  let remaining = value;
  while (remaining >= 0x80) {
    remaining = Math.floor(remaining / 0x80);
    length++;
  }
  return length;
}

export function corrupt(what: string, problem: string, reader: BinaryReader): never {
  throw new CorruptionError(`malformed ${what}: ${problem} at byte ${reader.position}`, {
    what,
    offset: reader.position,
  });
}

/** A canonical varint in [minimum, maximum]. */
export function readBoundedVarint(
  reader: BinaryReader,
  what: string,
  field: string,
  minimum: number,
  maximum: number,
): number {
  const start = reader.position;
  const value = reader.readVarint();
  if (reader.position - start !== varintLengthBytes(value))
    corrupt(what, `non-canonical varint ${field}`, reader);
  if (value < minimum || value > maximum)
    corrupt(what, `${field} ${value} outside [${minimum}, ${maximum}]`, reader);
  return value;
}

export function writeSha256Hex(writer: BinaryWriter, hex: string): void {
  assert(isSha256Hex(hex), `a SHA-256 is 64 lowercase hex digits, got ${JSON.stringify(hex)}`);
  const bytes = new Uint8Array(sha256Bytes);
  for (let index = 0; index < sha256Bytes; index++)
    bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  writer.writeBytes(bytes);
}

const hexDigits = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): string {
  let text = '';
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    text += (hexDigits[byte >>> 4] as string) + (hexDigits[byte & 15] as string);
  }
  return text;
}

export function readSha256Hex(reader: BinaryReader, what: string, field: string): string {
  const bytes = readLengthPrefixed(reader, what, field, sha256Bytes);
  if (bytes.length !== sha256Bytes)
    corrupt(what, `${field} has ${bytes.length} bytes, a SHA-256 has ${sha256Bytes}`, reader);
  return bytesToHex(bytes);
}

export function writeFloat64(writer: BinaryWriter, value: number): void {
  assert(Number.isFinite(value), 'float64 is finite');
  const bytes = new Uint8Array(float64Bytes);
  // -0 and 0 differ in bits; normalise so equal numbers give equal bytes.
  new DataView(bytes.buffer).setFloat64(0, value === 0 ? 0 : value, true);
  writer.writeBytes(bytes);
}

export function readFloat64(reader: BinaryReader, what: string, field: string): number {
  const bytes = readLengthPrefixed(reader, what, field, float64Bytes);
  if (bytes.length !== float64Bytes)
    corrupt(what, `${field} has ${bytes.length} bytes, a float64 has ${float64Bytes}`, reader);
  const value = new DataView(bytes.buffer, bytes.byteOffset, float64Bytes).getFloat64(0, true);
  if (!Number.isFinite(value) || Object.is(value, -0))
    corrupt(what, `${field} is not a canonical finite number`, reader);
  return value;
}

/** Length-prefixed bytes of at most `lengthBytesMax` (a view into the input, no copy). */
export function readLengthPrefixed(
  reader: BinaryReader,
  what: string,
  field: string,
  lengthBytesMax: number,
): Uint8Array {
  const start = reader.position;
  const bytes = reader.readBytes(lengthBytesMax);
  const prefixBytes = reader.position - start - bytes.length;
  if (prefixBytes !== varintLengthBytes(bytes.length))
    corrupt(what, `non-canonical length of ${field}`, reader);
  return bytes;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A length-prefixed, strictly decoded UTF-8 string of at most `lengthBytesMax` bytes. */
export function readBoundedString(
  reader: BinaryReader,
  what: string,
  field: string,
  lengthBytesMax: number,
): string {
  const bytes = readLengthPrefixed(reader, what, field, lengthBytesMax);
  try {
    return textDecoder.decode(bytes);
  } catch {
    return corrupt(what, `${field} is not valid UTF-8`, reader);
  }
}

/** A one-byte tag in [0, maximum]. */
export function readTag(
  reader: BinaryReader,
  what: string,
  field: string,
  maximum: number,
): number {
  if (reader.remainingBytes < 1) corrupt(what, `truncated before ${field}`, reader);
  const tag = reader.readUint8();
  if (tag > maximum) corrupt(what, `unknown ${field} ${tag}`, reader);
  return tag;
}

/** The finished encoding, refused when it exceeds `limitBytes` (named `limitName`). */
export function finishWithin(
  writer: BinaryWriter,
  limitName: string,
  limitBytes: number,
): Uint8Array {
  if (writer.byteLength > limitBytes)
    throw new LimitExceededError(limitName, limitBytes, writer.byteLength, 'bytes');
  return writer.finish();
}
