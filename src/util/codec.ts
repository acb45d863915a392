// A small binary codec for hot paths (Raft entries, peer messages, meta commands):
// unsigned varints, length-prefixed bytes and UTF-8 strings. JSON and base64 stay off
// these paths (DESIGN.md section 4). The reader checks every bound and throws a
// CorruptionError on malformed input, never a RangeError from deep inside.

import { assert } from './assert.js';
import { CorruptionError } from './errors.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });
const initialCapacityBytes = 256;
const varintBytesMax = 8; // 7 bits each: 56 bits covers every safe integer we write.

export class BinaryWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = initialCapacityBytes) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  get byteLength(): number {
    return this.length;
  }

  private reserve(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  writeUint8(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xff, 'uint8 in range');
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  writeVarint(value: number): this {
    assert(
      Number.isSafeInteger(value) && value >= 0,
      `varint is a non-negative safe integer, got ${value}`,
    );
    this.reserve(varintBytesMax);
    let remaining = value;
    while (remaining >= 0x80) {
      this.buffer[this.length++] = (remaining % 0x80) | 0x80;
      remaining = Math.floor(remaining / 0x80);
    }
    this.buffer[this.length++] = remaining;
    return this;
  }

  writeBoolean(value: boolean): this {
    return this.writeUint8(value ? 1 : 0);
  }

  writeBytes(bytes: Uint8Array): this {
    this.writeVarint(bytes.length);
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  writeString(text: string): this {
    return this.writeBytes(textEncoder.encode(text));
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** A copy of the bytes written so far, sized exactly. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class BinaryReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what = 'record',
  ) {}

  get remainingBytes(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private fail(reason: string): never {
    throw new CorruptionError(`malformed ${this.what}: ${reason} at byte ${this.offset}`, {
      offset: this.offset,
    });
  }

  readUint8(): number {
    if (this.offset >= this.bytes.length) this.fail('unexpected end');
    return this.bytes[this.offset++] as number;
  }

  readVarint(): number {
    let value = 0;
    let multiplier = 1;
    for (let index = 0; index < varintBytesMax; index++) {
      const byte = this.readUint8();
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) this.fail('varint beyond a safe integer');
        return value;
      }
      multiplier *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  readBoolean(): boolean {
    const value = this.readUint8();
    if (value > 1) this.fail(`boolean byte ${value}`);
    return value === 1;
  }

  /** A view into the source bytes (no copy); bounded by `lengthBytesMax`. */
  readBytes(lengthBytesMax = Number.MAX_SAFE_INTEGER): Uint8Array {
    const length = this.readVarint();
    if (length > lengthBytesMax) this.fail(`length ${length} above the limit ${lengthBytesMax}`);
    if (length > this.remainingBytes) this.fail(`length ${length} beyond the end`);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  readString(lengthBytesMax = Number.MAX_SAFE_INTEGER): string {
    const bytes = this.readBytes(lengthBytesMax);
    try {
      return textDecoder.decode(bytes);
    } catch {
      return this.fail('invalid UTF-8');
    }
  }

  /** Asserts the whole input was consumed: trailing bytes mean a framing bug or corruption. */
  expectEnd(): void {
    if (this.remainingBytes !== 0) this.fail(`${this.remainingBytes} trailing bytes`);
  }
}
