// The snapshot stream format (state store contents at one applied index). Pure.
//
//   header   8 bytes magic "CAIRNSNP", u32 version (1), u32 zero, u64 index, u64 term
//   records  u8 tag 1, u32 key length, u32 value length, key bytes, value bytes
//   trailer  u8 tag 2, u64 record count, u32 CRC32C of every byte before this field
// Little endian. Records are in key order. Any split into pieces is valid; senders use
// pieces of at most limits.raftSnapshotPieceBytesMax. A stream is accepted only whole:
// a bad magic, a bad checksum, a wrong count, a truncation or bytes after the trailer
// throw CorruptionError with the stream offset.

import { assert, assertInteger } from '../util/assert.js';
import { CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { crc32cUpdate } from './crc32c.js';

const magic = new TextEncoder().encode('CAIRNSNP');
export const snapshotHeaderBytes = 32;
const recordTag = 1;
const trailerTag = 2;
const recordHeaderBytes = 9;
const trailerBytes = 13;

export interface SnapshotIdentity {
  readonly index: number;
  readonly term: number;
}

/** Turns a sequence of key/value pairs into pieces of at most `pieceBytesMax`. */
export class SnapshotEncoder {
  private piece: Uint8Array;
  private filled = 0;
  private crc = 0;
  private count = 0;
  private readonly done: Uint8Array[] = [];

  constructor(
    identity: SnapshotIdentity,
    private readonly pieceBytesMax: number = limits.raftSnapshotPieceBytesMax,
  ) {
    assertInteger(pieceBytesMax, 'pieceBytesMax', 64);
    this.piece = new Uint8Array(pieceBytesMax);
    const header = new Uint8Array(snapshotHeaderBytes);
    const view = new DataView(header.buffer);
    header.set(magic, 0);
    view.setUint32(8, 1, true);
    view.setBigUint64(16, BigInt(identity.index), true);
    view.setBigUint64(24, BigInt(identity.term), true);
    this.emit(header);
  }

  add(key: Uint8Array, value: Uint8Array): void {
    assert(
      key.length <= limits.stateKeyBytesMax && value.length <= limits.stateValueBytesMax,
      'snapshot record within limits',
    );
    const header = new Uint8Array(recordHeaderBytes);
    const view = new DataView(header.buffer);
    header[0] = recordTag;
    view.setUint32(1, key.length, true);
    view.setUint32(5, value.length, true);
    this.emit(header);
    this.emit(key);
    this.emit(value);
    this.count++;
  }

  /** Completed pieces since the last call (hand them to the network or a file). */
  takePieces(): Uint8Array[] {
    return this.done.splice(0, this.done.length);
  }

  /** Appends the trailer; returns the remaining pieces. */
  finish(): Uint8Array[] {
    const trailer = new Uint8Array(trailerBytes);
    trailer[0] = trailerTag;
    new DataView(trailer.buffer).setBigUint64(1, BigInt(this.count), true);
    this.emit(trailer.subarray(0, 9));
    new DataView(trailer.buffer).setUint32(9, this.crc, true);
    this.emitRaw(trailer.subarray(9));
    if (this.filled > 0) this.done.push(this.piece.slice(0, this.filled));
    this.filled = 0;
    return this.takePieces();
  }

  private emit(bytes: Uint8Array): void {
    this.crc = crc32cUpdate(this.crc, bytes);
    this.emitRaw(bytes);
  }

  private emitRaw(bytes: Uint8Array): void {
    let position = 0;
    while (position < bytes.length) {
      const count = Math.min(bytes.length - position, this.pieceBytesMax - this.filled);
      this.piece.set(bytes.subarray(position, position + count), this.filled);
      this.filled += count;
      position += count;
      if (this.filled === this.pieceBytesMax) {
        this.done.push(this.piece);
        this.piece = new Uint8Array(this.pieceBytesMax);
        this.filled = 0;
      }
    }
  }
}

export type SnapshotItem =
  | { kind: 'header'; identity: SnapshotIdentity }
  | { kind: 'record'; key: Uint8Array; value: Uint8Array };

/** Incremental parser: push pieces, get items; `finish` checks the trailer and checksum. */
export class SnapshotParser {
  private buffer: Uint8Array = new Uint8Array(0);
  private consumed = 0;
  private crc = 0;
  private count = 0;
  private sawHeader = false;
  private complete = false;

  constructor(private readonly name: string) {}

  push(piece: Uint8Array): SnapshotItem[] {
    if (this.complete && piece.length > 0) this.fail('bytes after the trailer', this.consumed);
    this.buffer = this.buffer.length === 0 ? piece.slice() : concatenate(this.buffer, piece);
    const items: SnapshotItem[] = [];
    // Bounded: each iteration consumes a header, a record or the trailer.
    const stepsMax = this.buffer.length + 1;
    for (let step = 0; step < stepsMax; step++) {
      const item = this.next();
      if (item === null) break;
      if (item !== 'trailer') items.push(item);
    }
    return items;
  }

  /** Throws unless the whole stream, trailer included, arrived intact. */
  finish(): void {
    if (!this.complete) this.fail('truncated (no trailer)', this.consumed + this.buffer.length);
  }

  private next(): SnapshotItem | 'trailer' | null {
    if (this.complete) {
      if (this.buffer.length > 0) this.fail('bytes after the trailer', this.consumed);
      return null;
    }
    if (!this.sawHeader) return this.readHeader();
    if (this.buffer.length < 1) return null;
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    const tag = this.buffer[0];
    if (tag === trailerTag) return this.readTrailer(view);
    if (tag !== recordTag) this.fail(`unknown tag ${tag}`, this.consumed);
    if (this.buffer.length < recordHeaderBytes) return null;
    const keyLength = view.getUint32(1, true);
    const valueLength = view.getUint32(5, true);
    if (keyLength > limits.stateKeyBytesMax || valueLength > limits.stateValueBytesMax)
      this.fail('record larger than the limits', this.consumed);
    const total = recordHeaderBytes + keyLength + valueLength;
    if (this.buffer.length < total) return null;
    const key = this.buffer.slice(recordHeaderBytes, recordHeaderBytes + keyLength);
    const value = this.buffer.slice(recordHeaderBytes + keyLength, total);
    this.consume(total, true);
    this.count++;
    return { kind: 'record', key, value };
  }

  private readHeader(): SnapshotItem | null {
    if (this.buffer.length < snapshotHeaderBytes) return null;
    for (let i = 0; i < magic.length; i++)
      if (this.buffer[i] !== magic[i]) this.fail('bad magic', 0);
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    if (view.getUint32(8, true) !== 1) this.fail('unknown version', 8);
    const index = Number(view.getBigUint64(16, true));
    const term = Number(view.getBigUint64(24, true));
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term))
      this.fail('index or term out of range', 16);
    this.consume(snapshotHeaderBytes, true);
    this.sawHeader = true;
    return { kind: 'header', identity: { index, term } };
  }

  private readTrailer(view: DataView): 'trailer' | null {
    if (this.buffer.length < trailerBytes) return null;
    const count = Number(view.getBigUint64(1, true));
    const expectedCrc = view.getUint32(9, true);
    const trailerOffset = this.consumed;
    this.consume(9, true);
    if (count !== this.count)
      this.fail(`record count ${this.count}, trailer says ${count}`, trailerOffset);
    if (expectedCrc !== this.crc) this.fail('checksum mismatch', trailerOffset);
    this.consume(4, false);
    this.complete = true;
    return 'trailer';
  }

  private consume(length: number, checksummed: boolean): void {
    if (checksummed) this.crc = crc32cUpdate(this.crc, this.buffer, 0, length);
    this.buffer = this.buffer.subarray(length);
    this.consumed += length;
  }

  private fail(why: string, offset: number): never {
    throw new CorruptionError(`snapshot ${this.name}: ${why} at offset ${offset}`, {
      file: this.name,
      offset,
    });
  }
}

function concatenate(a: Uint8Array, b: Uint8Array): Uint8Array {
  const result = new Uint8Array(a.length + b.length);
  result.set(a, 0);
  result.set(b, a.length);
  return result;
}
