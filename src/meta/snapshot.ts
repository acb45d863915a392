// Snapshot and restore of the whole meta state as one byte stream, produced and
// consumed in bounded pieces (a follower too far behind receives it over HTTP).
//
// Stream: magic "CAIRNMETA", format byte 1; then per entry, in ascending key order:
// tag 1, varint key length, key (UTF-8), varint value length, value; then the
// trailer: tag 2, varint entry count, CRC32C (4 bytes, little-endian) of every byte
// before it. Pieces may cut anywhere, even inside a varint: the restorer buffers at
// most one entry. A stream that is truncated, reordered, damaged or followed by
// extra bytes is refused with CorruptionError.

import { assert, assertInteger } from '../util/assert.js';
import { BinaryWriter } from '../util/codec.js';
import { CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { crc32cUpdate } from '../storage/crc32c.js';
import { compareUtf8 } from './keys.js';
import type { MetaEntry, MetaReader, MetaTransaction } from './store.js';

const magic = new TextEncoder().encode('CAIRNMETA');
const snapshotFormatVersion = 1;
const headerBytes = magic.length + 1;
const entryTag = 1;
const trailerTag = 2;
const checksumBytes = 4;
/** Meta keys are a family prefix plus an object key at most (keys.ts). */
const snapshotKeyBytesMax = limits.keyLengthBytesMax + 16;
const readPageEntries = 256;
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A growable byte buffer that appends at the end and consumes from the front. */
class ByteQueue {
  private buffer = new Uint8Array(1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buffer.length) {
      const needed = this.length + bytes.length;
      if (needed <= this.buffer.length) {
        this.buffer.copyWithin(0, this.start, this.end); // compact in place
      } else {
        const grown = new Uint8Array(needed * 2);
        grown.set(this.buffer.subarray(this.start, this.end));
        this.buffer = grown;
      }
      this.end = this.length;
      this.start = 0;
    }
    this.buffer.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** A view of the unconsumed bytes (valid until the next append). */
  view(): Uint8Array {
    return this.buffer.subarray(this.start, this.end);
  }

  consume(count: number): void {
    assert(count >= 0 && count <= this.length, 'consume within the queue');
    this.start += count;
  }
}

/**
 * The snapshot of `reader` as pieces of at most `pieceBytesMax` bytes. The reader
 * must not change while the pieces are consumed (read inside one read transaction).
 */
export function* snapshotPieces(
  reader: MetaReader,
  pieceBytesMax: number = limits.raftSnapshotPieceBytesMax,
): Generator<Uint8Array> {
  assertInteger(pieceBytesMax, 'pieceBytesMax', 16, limits.raftSnapshotPieceBytesMax);
  const pending = new ByteQueue();
  let checksum = 0;
  const append = (bytes: Uint8Array): void => {
    checksum = crc32cUpdate(checksum, bytes);
    pending.append(bytes);
  };
  const header = new Uint8Array(headerBytes);
  header.set(magic);
  header[magic.length] = snapshotFormatVersion;
  append(header);
  let count = 0;
  let previousKey: string | undefined;
  for (let pages = 0; pages < Number.MAX_SAFE_INTEGER; pages++) {
    const page = reader.rangeEntries('', previousKey, readPageEntries);
    for (const entry of page) {
      assert(
        previousKey === undefined || compareUtf8(previousKey, entry.key) < 0,
        'the store lists keys in ascending order',
      );
      append(encodeEntry(entry));
      previousKey = entry.key;
      count++;
      // Records may span pieces; only whole pieces leave here.
      while (pending.length >= pieceBytesMax) {
        yield pending.view().slice(0, pieceBytesMax);
        pending.consume(pieceBytesMax);
      }
    }
    if (page.length < readPageEntries) break;
  }
  const trailer = new BinaryWriter(16);
  trailer.writeUint8(trailerTag);
  trailer.writeVarint(count);
  append(trailer.finish());
  const checksumField = new Uint8Array(checksumBytes);
  new DataView(checksumField.buffer).setUint32(0, checksum, true);
  pending.append(checksumField);
  while (pending.length > 0) {
    const size = Math.min(pieceBytesMax, pending.length);
    yield pending.view().slice(0, size);
    pending.consume(size);
  }
}

function encodeEntry(entry: MetaEntry): Uint8Array {
  const writer = new BinaryWriter(entry.key.length * 3 + entry.value.length + 16);
  writer.writeUint8(entryTag);
  writer.writeString(entry.key);
  writer.writeBytes(entry.value);
  return writer.finish();
}

type RestorePhase = 'header' | 'entries' | 'checksum' | 'done';

/**
 * Rebuilds a snapshot into an empty `target`, piece by piece. Entries are written as
 * they arrive, so a refused stream leaves `target` partly written: restore into a
 * transaction or store that is discarded unless finish() succeeds.
 */
export class MetaSnapshotRestorer {
  private readonly pending = new ByteQueue();
  private phase: RestorePhase = 'header';
  private checksum = 0;
  private count = 0;
  private previousKey: string | undefined;
  private streamOffset = 0;

  constructor(private readonly target: MetaTransaction) {
    assert(
      target.rangeEntries('', undefined, 1).length === 0,
      'a snapshot is restored into an empty store',
    );
  }

  get entryCount(): number {
    return this.count;
  }

  push(piece: Uint8Array): void {
    if (this.phase === 'done' && piece.length > 0) this.fail('bytes after the end of the snapshot');
    this.pending.append(piece);
    const stepsMax = this.pending.length + 2; // every step but the last consumes at least one byte
    for (let steps = 0; steps < stepsMax; steps++) {
      if (!this.step()) return;
    }
    assert(false, 'each parsing step consumes bytes');
  }

  /** Confirms the stream ended exactly at its trailer with the right count and checksum. */
  finish(): { entryCount: number } {
    if (this.phase !== 'done') this.fail(`the snapshot ended early (while reading ${this.phase})`);
    if (this.pending.length !== 0) this.fail('bytes after the end of the snapshot');
    return { entryCount: this.count };
  }

  /** Parses one unit (header, entry, trailer, checksum) if complete; false when more bytes are needed. */
  private step(): boolean {
    const bytes = this.pending.view();
    if (this.phase === 'header') {
      if (bytes.length < headerBytes) return false;
      for (let index = 0; index < magic.length; index++) {
        if (bytes[index] !== magic[index]) this.fail('not a cairn meta snapshot (bad magic)');
      }
      if (bytes[magic.length] !== snapshotFormatVersion)
        this.fail(`unknown snapshot format ${String(bytes[magic.length])}`);
      this.consumed(headerBytes, true);
      this.phase = 'entries';
      return true;
    }
    if (this.phase === 'entries') return this.stepRecord(bytes);
    if (this.phase === 'checksum') {
      if (bytes.length < checksumBytes) return false;
      const stored = new DataView(bytes.buffer, bytes.byteOffset, checksumBytes).getUint32(0, true);
      if (stored !== this.checksum)
        this.fail(`checksum mismatch: stored ${stored}, computed ${this.checksum}`);
      this.consumed(checksumBytes, false);
      this.phase = 'done';
      return false;
    }
    if (bytes.length > 0) this.fail('bytes after the end of the snapshot');
    return false;
  }

  private stepRecord(bytes: Uint8Array): boolean {
    if (bytes.length < 1) return false;
    const tag = bytes[0] as number;
    if (tag === trailerTag) {
      const count = readVarintPrefix(bytes, 1);
      if (count === undefined) return false;
      if (count === 'malformed') this.fail('malformed entry count');
      if (count.value !== this.count)
        this.fail(`the trailer counts ${count.value} entries, the stream has ${this.count}`);
      this.consumed(count.end, true);
      this.phase = 'checksum';
      return true;
    }
    if (tag !== entryTag) this.fail(`unknown record tag ${tag}`);
    const keyLength = readVarintPrefix(bytes, 1);
    if (keyLength === undefined) return false;
    if (keyLength === 'malformed' || keyLength.value > snapshotKeyBytesMax)
      this.fail('malformed key length');
    const keyEnd = keyLength.end + keyLength.value;
    const valueLength = readVarintPrefix(bytes, keyEnd);
    if (valueLength === undefined) return false;
    if (valueLength === 'malformed' || valueLength.value > limits.metaStoredValueBytesMax)
      this.fail('malformed value length');
    const valueEnd = valueLength.end + valueLength.value;
    if (bytes.length < valueEnd) return false;
    let key: string;
    try {
      key = textDecoder.decode(bytes.subarray(keyLength.end, keyEnd));
    } catch {
      return this.fail('a key is not valid UTF-8');
    }
    if (this.previousKey !== undefined && compareUtf8(this.previousKey, key) >= 0)
      this.fail('keys out of order or repeated');
    this.target.put(key, bytes.slice(valueLength.end, valueEnd));
    this.previousKey = key;
    this.count++;
    this.consumed(valueEnd, true);
    return true;
  }

  private consumed(count: number, checksummed: boolean): void {
    if (checksummed) this.checksum = crc32cUpdate(this.checksum, this.pending.view(), 0, count);
    this.pending.consume(count);
    this.streamOffset += count;
  }

  private fail(problem: string): never {
    throw new CorruptionError(`meta snapshot: ${problem} at byte ${this.streamOffset}`, {
      offset: this.streamOffset,
    });
  }
}

/**
 * A canonical varint starting at `start`: undefined when the bytes end inside it,
 * 'malformed' when it is longer than 8 bytes, non-canonical or not a safe integer.
 */
function readVarintPrefix(
  bytes: Uint8Array,
  start: number,
): { value: number; end: number } | undefined | 'malformed' {
  let value = 0;
  let scale = 1;
  for (let count = 0; count < 8; count++) {
    if (start + count >= bytes.length) return undefined;
    const byte = bytes[start + count] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if ((byte === 0 && count > 0) || !Number.isSafeInteger(value)) return 'malformed';
      return { value, end: start + count + 1 };
    }
    scale *= 128;
  }
  return 'malformed';
}

/** Restores a whole snapshot given as pieces into an empty `target`. */
export function restoreSnapshot(
  pieces: Iterable<Uint8Array>,
  target: MetaTransaction,
): { entryCount: number } {
  const restorer = new MetaSnapshotRestorer(target);
  for (const piece of pieces) restorer.push(piece);
  return restorer.finish();
}
