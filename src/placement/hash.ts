// Hashing for placement: MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of a
// string. Pure TypeScript (placement imports nothing but util), exact on every
// machine because it only uses 32-bit integer operations (Math.imul, shifts).
// Written from the published algorithm description; golden vectors in the tests.

import { assert, assertInteger } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

const multiplier1 = 0xcc9e2d51;
const multiplier2 = 0x1b873593;

// One scratch buffer reused by every call: a UTF-8 code point takes at most 3
// bytes per UTF-16 code unit, so 3x the length bound always fits.
const scratchBytes = new Uint8Array(3 * limits.placementHashInputBytesMax);

/** MurmurHash3 x86 32-bit of the UTF-8 encoding of `text`, as an unsigned 32-bit integer. */
export function murmurHash3String(text: string, seed = 0): number {
  if (text.length > limits.placementHashInputBytesMax) {
    throw new InvalidArgumentError(
      `placement key is longer than ${limits.placementHashInputBytesMax} bytes`,
      {
        limit: 'placementHashInputBytesMax',
      },
    );
  }
  const length = encodeUtf8(text, scratchBytes);
  if (length > limits.placementHashInputBytesMax) {
    throw new InvalidArgumentError(
      `placement key is longer than ${limits.placementHashInputBytesMax} bytes`,
      {
        limit: 'placementHashInputBytesMax',
      },
    );
  }
  return murmurHash3Bytes(scratchBytes, length, seed);
}

/** MurmurHash3 x86 32-bit of bytes[0, length). */
export function murmurHash3Bytes(bytes: Uint8Array, length: number, seed = 0): number {
  assertInteger(length, 'length', 0, bytes.length);
  assertInteger(seed, 'seed', 0, 0xffff_ffff);
  let hash = seed >>> 0;
  const blockEnd = length - (length % 4);
  for (let offset = 0; offset < blockEnd; offset += 4) {
    const block =
      (bytes[offset] as number) |
      ((bytes[offset + 1] as number) << 8) |
      ((bytes[offset + 2] as number) << 16) |
      ((bytes[offset + 3] as number) << 24);
    hash ^= scrambleBlock(block);
    hash = rotateLeft(hash, 13);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  const tailLength = length - blockEnd;
  if (tailLength === 3) tail ^= (bytes[blockEnd + 2] as number) << 16;
  if (tailLength >= 2) tail ^= (bytes[blockEnd + 1] as number) << 8;
  if (tailLength >= 1) {
    tail ^= bytes[blockEnd] as number;
    hash ^= scrambleBlock(tail);
  }
  hash ^= length;
  return finalMix(hash);
}

/** The MurmurHash3 finaliser: a bijection on 32 bits with full avalanche. */
export function finalMix(value: number): number {
  let hash = value | 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function scrambleBlock(block: number): number {
  let value = Math.imul(block, multiplier1);
  value = rotateLeft(value, 15);
  return Math.imul(value, multiplier2);
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * Encodes `text` as UTF-8 into `output`, returning the byte count. A lone
 * surrogate becomes U+FFFD, as TextEncoder does, so every string has one encoding.
 */
export function encodeUtf8(text: string, output: Uint8Array): number {
  assert(output.length >= 3 * text.length, 'output holds the worst-case encoding');
  let written = 0;
  for (let index = 0; index < text.length; index++) {
    let codePoint = text.charCodeAt(index);
    if (codePoint < 0x80) {
      output[written++] = codePoint;
      continue;
    }
    if (codePoint < 0x800) {
      output[written++] = 0xc0 | (codePoint >>> 6);
      output[written++] = 0x80 | (codePoint & 0x3f);
      continue;
    }
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      const next = index + 1 < text.length ? text.charCodeAt(index + 1) : 0;
      if (codePoint <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (next - 0xdc00);
        index++;
        output[written++] = 0xf0 | (codePoint >>> 18);
        output[written++] = 0x80 | ((codePoint >>> 12) & 0x3f);
        output[written++] = 0x80 | ((codePoint >>> 6) & 0x3f);
        output[written++] = 0x80 | (codePoint & 0x3f);
        continue;
      }
      codePoint = 0xfffd;
    }
    output[written++] = 0xe0 | (codePoint >>> 12);
    output[written++] = 0x80 | ((codePoint >>> 6) & 0x3f);
    output[written++] = 0x80 | (codePoint & 0x3f);
  }
  return written;
}
