// Parsing the sizes, durations and rates users type: "256", "64KiB", "4MB", "1KiB-64MiB",
// "10s", "500ms", "2m". Binary units (KiB, MiB, GiB) are powers of 1024; KB/MB/GB are
// accepted as the same (as most storage tools do), and said so in the help.

import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { assert, assertInteger } from '../util/assert.js';
import type { Prng } from '../util/prng.js';

const sizeUnits: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

export function parseSizeBytes(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = sizeUnits[(match?.[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined)
    throw new InvalidArgumentError(
      `${what} "${text}" is not a size (examples: 256, 64KiB, 4MiB, 1GiB)`,
    );
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > limits.benchValueBytesMax) {
    throw new InvalidArgumentError(
      `${what} "${text}" is outside 0..${limits.benchValueBytesMax} bytes (benchValueBytesMax)`,
    );
  }
  return bytes;
}

export interface SizeRange {
  readonly minimumBytes: number;
  readonly maximumBytes: number;
}

/** "64MiB" (a fixed size) or "1KiB-64MiB" (a range). */
export function parseSizeRange(text: string): SizeRange {
  const parts = text.split('-');
  if (parts.length > 2)
    throw new InvalidArgumentError(
      `--sizes "${text}" is not SIZE or MIN-MAX (example: 1KiB-64MiB)`,
    );
  const minimumBytes = parseSizeBytes(parts[0] ?? '', '--sizes minimum');
  const maximumBytes =
    parts.length === 2 ? parseSizeBytes(parts[1] ?? '', '--sizes maximum') : minimumBytes;
  if (minimumBytes < 1 || maximumBytes < minimumBytes)
    throw new InvalidArgumentError(`--sizes "${text}" needs 1 <= MIN <= MAX`);
  return { minimumBytes, maximumBytes };
}

/**
 * A log-uniform draw in [minimum, maximum]: as many objects between 1 KiB and 1 MiB
 * as between 1 MiB and 1 GiB, the shape object stores see in practice.
 */
export function logUniformSizeBytes(range: SizeRange, prng: Prng): number {
  assert(
    range.minimumBytes >= 1 && range.minimumBytes <= range.maximumBytes,
    'size range is ordered and positive',
  );
  if (range.minimumBytes === range.maximumBytes) return range.minimumBytes;
  const low = Math.log(range.minimumBytes);
  const high = Math.log(range.maximumBytes + 1);
  const bytes = Math.floor(Math.exp(low + prng.nextFloat() * (high - low)));
  const clamped = Math.min(Math.max(bytes, range.minimumBytes), range.maximumBytes);
  assertInteger(clamped, 'drawn size', range.minimumBytes, range.maximumBytes);
  return clamped;
}

const durationUnits: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  '': 1000,
  m: 60_000,
  h: 3_600_000,
};

/** "10s", "500ms", "2m", "1h"; a bare number is seconds. */
export function parseDurationMilliseconds(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*$/.exec(text);
  const unit = durationUnits[match?.[2] ?? 'x'];
  if (match === null || unit === undefined)
    throw new InvalidArgumentError(
      `--duration "${text}" is not a duration (examples: 10s, 500ms, 2m)`,
    );
  const milliseconds = Math.round(Number(match[1]) * unit);
  if (milliseconds < 1 || milliseconds > limits.benchDurationMillisecondsMax) {
    throw new InvalidArgumentError(
      `--duration "${text}" is outside 1 ms..${limits.benchDurationMillisecondsMax} ms (benchDurationMillisecondsMax)`,
    );
  }
  return milliseconds;
}

export function mebibytes(bytes: number): number {
  return bytes / (1024 * 1024);
}
