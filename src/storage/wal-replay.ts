// Reading WAL segments back on start: replay, torn-tail repair, corruption detection.
// See wal.ts for the rules.

import { posix } from 'node:path';
import type { Disk } from './disk.js';
import { readFully } from './disk.js';
import {
  batchEndRecordType,
  decodeRecord,
  endOfNonZero,
  findValidRecordAfter,
  parseSegmentFileName,
  segmentEndRecordType,
  segmentFileName,
  segmentHeaderPayloadBytes,
  segmentHeaderRecordType,
} from './wal-format.js';
import { assert } from '../util/assert.js';
import { CorruptionError } from '../util/errors.js';

export interface ReplayedRecord {
  readonly type: number;
  /** A copy; the caller may keep it. */
  readonly payload: Uint8Array;
  readonly segment: number;
  readonly offset: number;
}

/** Segment sequences present, oldest first; removes leftovers of interrupted creations. */
export async function listSegments(disk: Disk, directory: string): Promise<number[]> {
  const names = await disk.readdir(directory);
  const segments: number[] = [];
  for (const name of names) {
    if (name.endsWith('.wal.tmp')) {
      await disk.unlink(posix.join(directory, name));
      continue;
    }
    const sequence = parseSegmentFileName(name);
    if (sequence !== null) segments.push(sequence);
  }
  segments.sort((a, b) => a - b);
  for (let i = 1; i < segments.length; i++) {
    const expected = segments[i - 1]! + 1;
    if (segments[i] !== expected) {
      const file = posix.join(directory, segmentFileName(expected));
      throw new CorruptionError(
        `wal segment ${file} is missing (found ${segmentFileName(segments[i]!)})`,
        { file, offset: 0 },
      );
    }
  }
  return segments;
}

interface SegmentHeader {
  readonly end: number;
  readonly firstRecord: number;
  /** The size the segment was created for (appends must stay below it). */
  readonly declaredBytes: number;
}

/** Where appends resume in the last segment, and that segment's size. */
export interface SegmentTail {
  readonly offset: number;
  readonly segmentBytes: number;
}

function readSegmentHeader(
  bytes: Uint8Array,
  file: string,
  segment: number,
  recordBytesMax: number,
): SegmentHeader {
  const header = decodeRecord(bytes, 0, bytes.length, segment, recordBytesMax);
  if (
    header === null ||
    header.type !== segmentHeaderRecordType ||
    header.payloadLength !== segmentHeaderPayloadBytes
  ) {
    throw new CorruptionError(`wal segment ${file} has no valid header at offset 0`, {
      file,
      offset: 0,
    });
  }
  const view = new DataView(
    bytes.buffer,
    bytes.byteOffset + header.payloadStart,
    segmentHeaderPayloadBytes,
  );
  const declaredBytes = view.getUint32(0, true);
  const preallocated = (view.getUint32(4, true) & 1) === 1;
  if (preallocated && bytes.length !== declaredBytes) {
    const offset = Math.min(bytes.length, declaredBytes);
    throw new CorruptionError(
      `wal segment ${file} is ${bytes.length} bytes, its header says ${declaredBytes} (truncated?) at offset ${offset}`,
      { file, offset },
    );
  }
  return {
    end: preallocated ? declaredBytes : bytes.length,
    firstRecord: header.next,
    declaredBytes,
  };
}

/**
 * Replays one segment. Returns where appends resume in the last segment, or null when
 * the segment is sealed (complete). Repairs a torn tail of the last segment by zeroing.
 */
export async function scanSegment(
  disk: Disk,
  directory: string,
  segment: number,
  isLast: boolean,
  recordBytesMax: number,
  onRecord: (record: ReplayedRecord) => void,
): Promise<SegmentTail | null> {
  const path = posix.join(directory, segmentFileName(segment));
  const file = await disk.open(path, isLast ? 'readWrite' : 'read');
  try {
    const size = await file.size();
    const bytes = new Uint8Array(size);
    assert((await readFully(file, bytes, 0)) === size, 'segment read in full');
    const header = readSegmentHeader(bytes, path, segment, recordBytesMax);
    let offset = header.firstRecord;
    // Bounded: every record advances by at least 16 bytes.
    for (let step = 0; step <= header.end / 16; step++) {
      const record = decodeRecord(bytes, offset, header.end, segment, recordBytesMax);
      if (record === null) break;
      if (record.type === segmentEndRecordType) return null;
      if (record.type === batchEndRecordType) {
        offset = record.next;
        continue;
      }
      if (record.type === segmentHeaderRecordType)
        throw new CorruptionError(`wal segment ${path}: a second header at offset ${offset}`, {
          file: path,
          offset,
        });
      onRecord({
        type: record.type,
        payload: bytes.slice(record.payloadStart, record.payloadStart + record.payloadLength),
        segment,
        offset,
      });
      offset = record.next;
    }
    if (!isLast) {
      throw new CorruptionError(
        `wal segment ${path}: invalid record at offset ${offset} (segment not sealed)`,
        { file: path, offset },
      );
    }
    const later = findValidRecordAfter(bytes, offset + 8, header.end, segment, recordBytesMax);
    if (later >= 0) {
      throw new CorruptionError(
        `wal segment ${path}: invalid record at offset ${offset} followed by a valid one at ${later}`,
        { file: path, offset },
      );
    }
    const garbageEnd = endOfNonZero(bytes, offset, size);
    if (garbageEnd > offset) {
      // A torn tail: zero it so that stale bytes never mix with records appended later.
      await file.write(new Uint8Array(garbageEnd - offset), offset);
      await file.datasync();
    }
    return { offset, segmentBytes: header.declaredBytes };
  } finally {
    await file.close();
  }
}
