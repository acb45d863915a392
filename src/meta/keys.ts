// Object keys (DESIGN.md section 5) and what every family's key layout shares.
//
// Object keys: UTF-8, 1 to keyLengthBytesMax bytes, no NUL; '/' is an ordinary
// character used for prefix listing. Keys order by their UTF-8 bytes everywhere
// (LMDB compares bytes; MemoryMetaStore compares code points, the same order).
//
// Meta key space: a one-letter family prefix, '/', then the family's own key. Each
// family owns its keys (cluster/keys.ts, objects/keys.ts; the registry checks that
// no two overlap), each a contiguous, order-preserving range, so listing one is a
// prefix scan.

import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

const fixedWidthHexDigits = 16;

/** A non-negative safe integer as 16 hex digits: string order = numeric order. */
export function fixedWidthHex(value: number): string {
  return value.toString(16).padStart(fixedWidthHexDigits, '0');
}

export function parseFixedWidthHex(text: string): number | undefined {
  if (text.length !== fixedWidthHexDigits || !/^[0-9a-f]+$/.test(text)) return undefined;
  const value = parseInt(text, 16);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Why `key` is not a valid object key, or undefined when it is. One function for
 * the API edge (InvalidArgumentError) and the decoder (CorruptionError).
 */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'an object key must not be empty';
  let lengthBytes = 0;
  for (let index = 0; index < key.length; index++) {
    const unit = key.charCodeAt(index);
    if (unit === 0) return `an object key must not contain NUL (at character ${index})`;
    if (unit < 0x80) lengthBytes += 1;
    else if (unit < 0x800) lengthBytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = index + 1 < key.length ? key.charCodeAt(index + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff)
        return `an object key must be valid Unicode (lone surrogate at character ${index})`;
      lengthBytes += 4;
      index++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return `an object key must be valid Unicode (lone surrogate at character ${index})`;
    } else lengthBytes += 3;
    if (lengthBytes > limits.keyLengthBytesMax) {
      return `an object key is at most ${limits.keyLengthBytesMax} bytes of UTF-8 (keyLengthBytesMax), this one is longer`;
    }
  }
  return undefined;
}

/** Throws InvalidArgumentError (code CAIRN_ERR_INVALID_KEY) saying what is wrong. */
export function validateObjectKey(key: string): void {
  if (typeof key !== 'string') throw new InvalidKeyError('an object key must be a string');
  const problem = objectKeyProblem(key);
  if (problem !== undefined) throw new InvalidKeyError(problem);
}

export class InvalidKeyError extends InvalidArgumentError {
  constructor(message: string) {
    super(message);
    // The stable code scripts match on for a bad key; still an InvalidArgumentError (exit code 2).
    (this as { code: string }).code = 'CAIRN_ERR_INVALID_KEY';
    this.name = 'InvalidKeyError';
  }
}

/**
 * Orders strings by Unicode code point, which is the order of their UTF-8 bytes.
 * Plain `<` compares UTF-16 units and puts U+E000..U+FFFF after astral characters.
 */
export function compareUtf8(left: string, right: string): number {
  if (left === right) return 0;
  // Fast path: below U+D800 UTF-16 order is code point order (a native comparison).
  if (!highUnitPattern.test(left) || !highUnitPattern.test(right)) return left < right ? -1 : 1;
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index);
    const b = right.charCodeAt(index);
    if (a === b) continue;
    return codePointOrderOfUnit(a) - codePointOrderOfUnit(b);
  }
  return left.length - right.length;
}

const highUnitPattern = /[\ud800-\uffff]/;

// Moves surrogates (astral characters) above U+E000..U+FFFF, keeping the rest in place.
function codePointOrderOfUnit(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
