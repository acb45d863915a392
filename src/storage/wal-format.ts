// The WAL's on-disk record framing. Pure functions over bytes, no I/O.
//
// A record is 8-byte aligned and little endian:
//   offset 0  u32  CRC32C of bytes [4, 16 + payloadLength)
//   offset 4  u32  payloadLength
//   offset 8  u8   type (1..255; 0 never occurs, so a zeroed header is "no record")
//   offset 9  3 bytes, zero
//   offset 12 u32  low 32 bits of the segment's sequence number (a record copied or
//                  left over from another segment does not validate here)
//   offset 16 payload, then zero padding up to the next multiple of 8
// A record is valid only if its checksum matches, its type is known, it fits in the
// segment and its padding is zero, so every byte of a written record is checked.

import { assert, assertInteger } from '../util/assert.js';
import { crc32c } from './crc32c.js';

export const recordHeaderBytes = 16;
export const recordAlignmentBytes = 8;

/** Types 1..252 belong to the WAL's user; the WAL's own types are at the top. */
export const userRecordTypeMin = 1;
export const userRecordTypeMax = 252;
/**
 * Ends every synced batch. Damage to any record of a synced batch is then followed by
 * a valid record (at least this marker), so it is reported as corruption instead of
 * being mistaken for a torn tail; only damage to the final marker itself looks torn,
 * and dropping a marker loses no data.
 */
export const batchEndRecordType = 253;
export const batchEndRecordBytes = 16;
export const segmentHeaderRecordType = 254;
export const segmentEndRecordType = 255;

/** Payload of a segment header record: u32 segment bytes, u32 flags (bit 0: preallocated). */
export const segmentHeaderPayloadBytes = 8;
export const segmentHeaderRecordBytes = recordHeaderBytes + segmentHeaderPayloadBytes;
export const segmentEndRecordBytes = recordHeaderBytes;

export function alignedRecordBytes(payloadLength: number): number {
  const raw = recordHeaderBytes + payloadLength;
  return raw + ((recordAlignmentBytes - (raw % recordAlignmentBytes)) % recordAlignmentBytes);
}

/** Encodes one record into `target` at `offset`; returns the aligned length written. */
export function encodeRecord(
  target: Uint8Array,
  offset: number,
  type: number,
  segment: number,
  payload: Uint8Array,
): number {
  assertInteger(type, 'record type', userRecordTypeMin, segmentEndRecordType);
  const length = alignedRecordBytes(payload.length);
  assert(
    offset % recordAlignmentBytes === 0 && offset + length <= target.length,
    'record fits the target, aligned',
  );
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  target.fill(0, offset, offset + length);
  view.setUint32(offset + 4, payload.length, true);
  target[offset + 8] = type;
  view.setUint32(offset + 12, segment >>> 0, true);
  target.set(payload, offset + recordHeaderBytes);
  view.setUint32(
    offset,
    crc32c(target, offset + 4, offset + recordHeaderBytes + payload.length),
    true,
  );
  return length;
}

export function encodeSegmentHeaderPayload(
  segmentBytes: number,
  preallocated: boolean,
): Uint8Array {
  const payload = new Uint8Array(segmentHeaderPayloadBytes);
  const view = new DataView(payload.buffer);
  view.setUint32(0, segmentBytes, true);
  view.setUint32(4, preallocated ? 1 : 0, true);
  return payload;
}

export interface DecodedRecord {
  readonly type: number;
  readonly payloadStart: number;
  readonly payloadLength: number;
  /** Offset of the next record. */
  readonly next: number;
}

/**
 * The valid record at `offset` of `bytes[0, end)`, or null if there is none (a zeroed
 * header, a torn write or corruption: the caller tells these apart).
 */
export function decodeRecord(
  bytes: Uint8Array,
  offset: number,
  end: number,
  segment: number,
  recordBytesMax: number,
): DecodedRecord | null {
  assert(offset % recordAlignmentBytes === 0, 'record offsets are aligned');
  if (offset + recordHeaderBytes > end) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloadLength = view.getUint32(offset + 4, true);
  const type = bytes[offset + 8]!;
  if (type < userRecordTypeMin || payloadLength > recordBytesMax) return null;
  if (bytes[offset + 9] !== 0 || bytes[offset + 10] !== 0 || bytes[offset + 11] !== 0) return null;
  if (view.getUint32(offset + 12, true) !== segment >>> 0) return null;
  const next = offset + alignedRecordBytes(payloadLength);
  if (next > end) return null;
  const payloadEnd = offset + recordHeaderBytes + payloadLength;
  if (view.getUint32(offset, true) !== crc32c(bytes, offset + 4, payloadEnd)) return null;
  for (let padding = payloadEnd; padding < next; padding++) if (bytes[padding] !== 0) return null;
  return { type, payloadStart: offset + recordHeaderBytes, payloadLength, next };
}

/** The offset of the first valid record at or after `from`, or -1. */
export function findValidRecordAfter(
  bytes: Uint8Array,
  from: number,
  end: number,
  segment: number,
  recordBytesMax: number,
): number {
  for (let offset = from; offset + recordHeaderBytes <= end; offset += recordAlignmentBytes) {
    // Cheap filter first: a valid record has a non-zero type byte.
    if (bytes[offset + 8] === 0) continue;
    if (decodeRecord(bytes, offset, end, segment, recordBytesMax) !== null) return offset;
  }
  return -1;
}

/** One past the last non-zero byte in `bytes[from, end)`, or `from` if all are zero. */
export function endOfNonZero(bytes: Uint8Array, from: number, end: number): number {
  for (let position = end - 1; position >= from; position--)
    if (bytes[position] !== 0) return position + 1;
  return from;
}

export function segmentFileName(sequence: number): string {
  assertInteger(sequence, 'segment sequence', 1);
  return `segment-${sequence.toString(16).padStart(16, '0')}.wal`;
}

/** The sequence of a segment file name, or null if the name is not a segment's. */
export function parseSegmentFileName(name: string): number | null {
  const match = /^segment-([0-9a-f]{16})\.wal$/.exec(name);
  if (match === null) return null;
  const sequence = Number.parseInt(match[1]!, 16);
  return Number.isSafeInteger(sequence) && sequence >= 1 ? sequence : null;
}
