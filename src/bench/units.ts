// Parsing the sizes and durations of the benchmark: "256", "64KiB", "4MB", "1KiB-64MiB",
// "10s", "500ms", "2m", by the one parser of every flag (src/util/units.ts: KiB, MiB,
// GiB are powers of 1024, KB, MB, GB powers of 1000).

import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import {
  parseDurationMilliseconds as parseUnitsDurationMilliseconds,
  parseSizeBytes as parseUnitsSizeBytes,
} from '../util/units.js';
import { assert, assertInteger } from '../util/assert.js';
import type { Prng } from '../util/prng.js';

/** A size by the one parser of sizes (src/util/units.ts), within benchValueBytesMax. */
export function parseSizeBytes(text: string, what = 'size'): number {
  return parseUnitsSizeBytes(text, {
    flag: what,
    perSecond: false,
    minimumBytes: 0,
    maximumBytes: limits.benchValueBytesMax,
  });
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

/** "10s", "500ms", "2m", "1h"; a bare number is seconds (src/util/units.ts). */
export function parseDurationMilliseconds(text: string): number {
  return parseUnitsDurationMilliseconds(text, {
    flag: '--duration',
    plainUnit: 's',
    minimumMilliseconds: 1,
    maximumMilliseconds: limits.benchDurationMillisecondsMax,
  });
}

export function mebibytes(bytes: number): number {
  return bytes / (1024 * 1024);
}
