// Sealing: AES-256-GCM encryption of bytes at rest, in segments (encryption at rest,
// `cairn serve --encryption-key-file`). One format for everything sealed: chunk files,
// state store values, WAL entry payloads, snapshot files.
//
//   header   "CRSL", u8 version 1, u8 0, u16 0, u32 key id, u32 segment plaintext bytes,
//            16 random bytes naming this sealed blob                          (32 bytes)
//   segment  12-byte random nonce, ciphertext, 16-byte GCM tag; every segment holds
//            exactly `segment plaintext bytes` except the last, which holds 0 to that many
//
// The additional data of segment i is: the header, the caller's context (what the bytes
// are: a chunk, the state value of key K, the log entry at index I and term T), u64 i,
// u8 1 if it is the last segment. So a segment cannot be moved to another position or
// another blob, a blob cannot stand for another context, and cutting a blob at a segment
// boundary is refused (the new last segment was sealed as "not last"). Segments are
// opened one by one, so a chunk streams and is checked piece by piece.
//
// Random 96-bit nonces: with one key, about 2^32 segments (256 TiB at 64 KiB) keep the
// chance of a repeated nonce below 2^-32; add a key (rotation) long before that.

import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { assert, assertInteger } from '../util/assert.js';
import { CairnError, CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export const sealedHeaderBytes = 32;
const nonceBytes = 12;
const tagBytes = 16;
export const segmentOverheadBytes = nonceBytes + tagBytes;
const keyBytes = 32;
const magic = [0x43, 0x52, 0x53, 0x4c]; // "CRSL"
const formatVersion = 1;
/** Random bytes drawn from the system at once: one call costs ~3 us, a seal needs 28 bytes. */
const randomPoolBytes = 4096;

/** Fresh random bytes from a pool refilled from the CSPRNG; every byte is given out once. */
class RandomPool {
  private readonly pool = new Uint8Array(randomPoolBytes);
  private position = randomPoolBytes;

  take(count: number): Uint8Array {
    assert(count > 0 && count <= randomPoolBytes, 'a small random draw');
    if (this.position + count > randomPoolBytes) {
      randomFillSync(this.pool);
      this.position = 0;
    }
    const taken = this.pool.slice(this.position, this.position + count);
    this.position += count;
    return taken;
  }
}

const random = new RandomPool();

export interface EncryptionKey {
  /** 1, 2, ...: the highest id seals, every id opens. */
  readonly id: number;
  readonly key: Uint8Array;
}

/** The keys of a node: the newest (highest id) seals, all of them open. */
export class Keyring {
  private readonly byId = new Map<number, Uint8Array>();
  readonly currentKeyId: number;

  constructor(keys: readonly EncryptionKey[]) {
    assert(keys.length >= 1 && keys.length <= limits.encryptionKeysMax, 'a keyring holds keys');
    for (const { id, key } of keys) {
      assertInteger(id, 'key id', 1, 0xffff_ffff);
      assert(key.length === keyBytes, 'an AES-256 key is 32 bytes');
      assert(!this.byId.has(id), `key id ${id} is unique`);
      this.byId.set(id, key);
    }
    this.currentKeyId = Math.max(...this.byId.keys());
  }

  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }

  key(id: number): Uint8Array | undefined {
    return this.byId.get(id);
  }

  /** A keyring of one of its keys (the key check record seals under each key alone). */
  only(id: number): Keyring {
    const key = this.byId.get(id);
    assert(key !== undefined, `key ${id} is in the keyring`);
    return new Keyring([{ id, key }]);
  }
}

/** Sealed size of `plaintextLength` bytes. */
export function sealedLength(
  plaintextLength: number,
  segmentBytes: number = limits.encryptionSegmentPlaintextBytes,
): number {
  const segments = Math.max(1, Math.ceil(plaintextLength / segmentBytes));
  return sealedHeaderBytes + plaintextLength + segments * segmentOverheadBytes;
}

/** Plaintext size of a well-formed sealed blob of `length` bytes (header read separately). */
export function plaintextLength(length: number, segmentBytes: number): number {
  const body = length - sealedHeaderBytes;
  const segments = Math.max(1, Math.ceil(body / (segmentBytes + segmentOverheadBytes)));
  return Math.max(0, body - segments * segmentOverheadBytes);
}

interface Header {
  readonly bytes: Uint8Array;
  readonly key: Uint8Array;
  readonly segmentBytes: number;
}

function newHeader(keyring: Keyring, segmentBytes: number): Header {
  assertInteger(segmentBytes, 'segment bytes', 1, limits.encryptionSegmentPlaintextBytesMax);
  const bytes = new Uint8Array(sealedHeaderBytes);
  bytes.set(magic, 0);
  bytes[4] = formatVersion;
  const view = new DataView(bytes.buffer);
  view.setUint32(8, keyring.currentKeyId, true);
  view.setUint32(12, segmentBytes, true);
  bytes.set(random.take(16), 16);
  return { bytes, key: keyring.key(keyring.currentKeyId)!, segmentBytes };
}

function readHeader(keyring: Keyring, bytes: Uint8Array, what: string): Header {
  const view = new DataView(bytes.buffer, bytes.byteOffset, sealedHeaderBytes);
  const magicMatches = magic.every((byte, index) => bytes[index] === byte);
  if (!magicMatches || bytes[4] !== formatVersion || bytes[5] !== 0 || view.getUint16(6) !== 0)
    throw corrupt(what, 'not a sealed blob of format 1 (bad header)');
  const keyId = view.getUint32(8, true);
  const segmentBytes = view.getUint32(12, true);
  if (segmentBytes < 1 || segmentBytes > limits.encryptionSegmentPlaintextBytesMax)
    throw corrupt(what, `segment size ${segmentBytes} out of range`);
  const key = keyring.key(keyId);
  if (key === undefined) {
    throw new CairnError(
      'CAIRN_ERR_ENCRYPTION_KEY',
      `${what} is sealed under key id ${keyId}, which the key file lacks (it has ${keyring.ids().join(', ')}); add that key back to the key file`,
      { details: { keyId } },
    );
  }
  return { bytes: bytes.slice(0, sealedHeaderBytes), key, segmentBytes };
}

function corrupt(what: string, why: string): CorruptionError {
  return new CorruptionError(`${what}: ${why}`, { file: what, offset: -1 });
}

/** The additional data buffer: header, context, then u64 segment index and u8 last. */
function additionalData(header: Header, context: string): Uint8Array {
  const contextBytes = Buffer.from(context, 'utf8');
  const data = new Uint8Array(sealedHeaderBytes + contextBytes.length + 9);
  data.set(header.bytes, 0);
  data.set(contextBytes, sealedHeaderBytes);
  return data;
}

function setPosition(data: Uint8Array, segment: number, last: boolean): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  view.setBigUint64(data.length - 9, BigInt(segment), true);
  data[data.length - 1] = last ? 1 : 0;
}

function sealSegment(header: Header, data: Uint8Array, plain: Uint8Array, out: Uint8Array): void {
  assert(out.length === plain.length + segmentOverheadBytes, 'segment output size');
  const nonce = random.take(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', header.key, nonce);
  cipher.setAAD(data);
  out.set(nonce, 0);
  const body = cipher.update(plain);
  out.set(body, nonceBytes);
  const tail = cipher.final();
  out.set(tail, nonceBytes + body.length);
  out.set(cipher.getAuthTag(), nonceBytes + plain.length);
}

function openSegment(
  header: Header,
  data: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
  failure: () => CorruptionError,
): void {
  assert(out.length === sealed.length - segmentOverheadBytes, 'segment output size');
  const decipher = createDecipheriv('aes-256-gcm', header.key, sealed.subarray(0, nonceBytes));
  decipher.setAAD(data);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  const body = decipher.update(sealed.subarray(nonceBytes, sealed.length - tagBytes));
  try {
    const tail = decipher.final();
    out.set(body, 0);
    out.set(tail, body.length);
  } catch {
    throw failure();
  }
}

/** Seals bytes held in memory (a state value, a log entry). */
export function seal(
  keyring: Keyring,
  context: string,
  plaintext: Uint8Array,
  segmentBytes: number = limits.encryptionSegmentPlaintextBytes,
): Uint8Array {
  const header = newHeader(keyring, segmentBytes);
  const data = additionalData(header, context);
  const out = new Uint8Array(sealedLength(plaintext.length, segmentBytes));
  out.set(header.bytes, 0);
  const segments = Math.max(1, Math.ceil(plaintext.length / segmentBytes));
  let at = sealedHeaderBytes;
  for (let segment = 0; segment < segments; segment++) {
    const plain = plaintext.subarray(segment * segmentBytes, (segment + 1) * segmentBytes);
    setPosition(data, segment, segment === segments - 1);
    sealSegment(header, data, plain, out.subarray(at, at + plain.length + segmentOverheadBytes));
    at += plain.length + segmentOverheadBytes;
  }
  assert(at === out.length, 'sealed every byte');
  return out;
}

/** Opens a sealed blob held in memory; CorruptionError if anything was changed. */
export function openSealed(keyring: Keyring, context: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < sealedHeaderBytes + segmentOverheadBytes)
    throw corrupt(context, `sealed blob of ${sealed.length} bytes is too short`);
  const header = readHeader(keyring, sealed, context);
  const data = additionalData(header, context);
  const out = new Uint8Array(plaintextLength(sealed.length, header.segmentBytes));
  const sealedSegmentBytes = header.segmentBytes + segmentOverheadBytes;
  const segments = Math.max(1, Math.ceil((sealed.length - sealedHeaderBytes) / sealedSegmentBytes));
  for (let segment = 0; segment < segments; segment++) {
    const start = sealedHeaderBytes + segment * sealedSegmentBytes;
    const piece = sealed.subarray(start, Math.min(start + sealedSegmentBytes, sealed.length));
    if (piece.length < segmentOverheadBytes) throw corrupt(context, 'truncated segment');
    setPosition(data, segment, segment === segments - 1);
    const plainStart = segment * header.segmentBytes;
    const into = out.subarray(plainStart, plainStart + piece.length - segmentOverheadBytes);
    openSegment(header, data, piece, into, () => segmentFailure(context, segment));
  }
  return out;
}

function segmentFailure(context: string, segment: number): CorruptionError {
  return corrupt(
    context,
    `sealed segment ${segment} failed authentication (damaged, moved, truncated or sealed under another key)`,
  );
}

/** Seals a stream piece by piece: push plaintext, take sealed pieces, finish once. */
export class SealingStream {
  private readonly header: Header;
  private readonly data: Uint8Array;
  private readonly pending: Uint8Array;
  private pendingLength = 0;
  private segment = 0;
  private started = false;
  private finished = false;

  constructor(
    keyring: Keyring,
    context: string,
    segmentBytes: number = limits.encryptionSegmentPlaintextBytes,
  ) {
    this.header = newHeader(keyring, segmentBytes);
    this.data = additionalData(this.header, context);
    this.pending = new Uint8Array(segmentBytes);
  }

  /** Sealed bytes ready so far (a full segment is held until more follows or finish). */
  push(plaintext: Uint8Array): Uint8Array[] {
    assert(!this.finished, 'push before finish');
    const out = this.takeHeader();
    // Bounded: each round consumes up to one segment of the piece.
    for (let at = 0; at < plaintext.length; ) {
      if (this.pendingLength === this.pending.length) out.push(this.sealPending(false));
      const take = Math.min(this.pending.length - this.pendingLength, plaintext.length - at);
      this.pending.set(plaintext.subarray(at, at + take), this.pendingLength);
      this.pendingLength += take;
      at += take;
    }
    return out;
  }

  finish(): Uint8Array[] {
    assert(!this.finished, 'finish once');
    const out = this.takeHeader();
    out.push(this.sealPending(true));
    this.finished = true;
    return out;
  }

  private takeHeader(): Uint8Array[] {
    if (this.started) return [];
    this.started = true;
    return [this.header.bytes];
  }

  private sealPending(last: boolean): Uint8Array {
    const plain = this.pending.subarray(0, this.pendingLength);
    const out = new Uint8Array(plain.length + segmentOverheadBytes);
    setPosition(this.data, this.segment++, last);
    sealSegment(this.header, this.data, plain, out);
    this.pendingLength = 0;
    return out;
  }
}

/** Opens a sealed stream piece by piece; each segment is authenticated before it is given out. */
export class OpeningStream {
  private header: Header | null = null;
  private data: Uint8Array = new Uint8Array(0);
  private pending: Uint8Array = new Uint8Array(0);
  private segment = 0;
  private finished = false;

  constructor(
    private readonly keyring: Keyring,
    private readonly context: string,
  ) {}

  /** Plaintext of every segment known not to be the last. */
  push(sealed: Uint8Array): Uint8Array[] {
    assert(!this.finished, 'push before finish');
    this.pending = this.pending.length === 0 ? sealed : Buffer.concat([this.pending, sealed]);
    if (this.header === null) {
      if (this.pending.length < sealedHeaderBytes) return [];
      this.header = readHeader(this.keyring, this.pending, this.context);
      this.data = additionalData(this.header, this.context);
      this.pending = this.pending.subarray(sealedHeaderBytes);
    }
    const sealedSegmentBytes = this.header.segmentBytes + segmentOverheadBytes;
    const out: Uint8Array[] = [];
    // Bounded: each round consumes one segment; the last full one waits for finish.
    while (this.pending.length > sealedSegmentBytes) {
      out.push(this.openNext(this.pending.subarray(0, sealedSegmentBytes), false));
      this.pending = this.pending.subarray(sealedSegmentBytes);
    }
    return out;
  }

  /** The last segment's plaintext; CorruptionError if the stream was cut short. */
  finish(): Uint8Array {
    assert(!this.finished, 'finish once');
    this.finished = true;
    if (this.header === null) throw corrupt(this.context, 'sealed stream ends inside its header');
    if (this.pending.length < segmentOverheadBytes)
      throw corrupt(this.context, 'sealed stream ends inside a segment');
    return this.openNext(this.pending, true);
  }

  private openNext(sealed: Uint8Array, last: boolean): Uint8Array {
    const header = this.header!;
    const out = new Uint8Array(sealed.length - segmentOverheadBytes);
    const segment = this.segment++;
    setPosition(this.data, segment, last);
    openSegment(header, this.data, sealed, out, () => segmentFailure(this.context, segment));
    return out;
  }
}
