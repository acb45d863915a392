// The one parser of the durations and sizes users type in flags: "30s", "500ms",
// "2m", "1h"; "50MiB", "1GiB", "512KiB", "100MB". Binary units (KiB, MiB, GiB, TiB and
// the bare letters K, M, G, T) are powers of 1024; KB, MB, GB, TB are powers of 1000.
// A plain number keeps the meaning the flag always had (seconds for --timeout, bytes
// for a size). Pure; an error names the flag and the accepted forms (exit 2).

import { assert } from './assert.js';
import { InvalidArgumentError } from './errors.js';

export const durationForms = '30s, 500ms, 2m, 1h';
export const sizeForms = '50MiB, 1GiB, 512KiB, 100MB';

const millisecondsByUnit: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const bytesByUnit: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

// Longer text is no duration or size: refused before the regular expression runs.
const quantityTextCharactersMax = 64;

export interface DurationOptions {
  /** The flag, as the user typed it ("--timeout"), for the error message. */
  readonly flag: string;
  /** What a plain number means: 's' (seconds) for every flag so far, or 'ms'. */
  readonly plainUnit: 's' | 'ms';
  readonly minimumMilliseconds: number;
  readonly maximumMilliseconds: number;
}

export interface SizeOptions {
  readonly flag: string;
  /** A rate: "50MiB/s" is accepted too, and the plain number is bytes per second. */
  readonly perSecond: boolean;
  readonly minimumBytes: number;
  readonly maximumBytes: number;
}

interface Quantity {
  readonly amount: number;
  readonly unit: string;
  readonly perSecond: boolean;
}

function quantityOf(text: string): Quantity | undefined {
  if (text.length > quantityTextCharactersMax) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(\/s)?\s*$/i.exec(text);
  if (match === null) return undefined;
  return {
    amount: Number(match[1]),
    unit: (match[2] ?? '').toLowerCase(),
    perSecond: match[3] !== undefined,
  };
}

/** Milliseconds, a whole number within the bounds. */
export function parseDurationMilliseconds(text: string, options: DurationOptions): number {
  assert(options.minimumMilliseconds <= options.maximumMilliseconds, 'duration bounds ordered');
  const plain = options.plainUnit === 's' ? 'seconds' : 'milliseconds';
  const quantity = quantityOf(text);
  const unit = quantity === undefined ? undefined : quantity.unit || options.plainUnit;
  const scale = unit === undefined ? undefined : millisecondsByUnit[unit];
  if (quantity === undefined || quantity.perSecond || scale === undefined) {
    throw new InvalidArgumentError(
      `${options.flag} must be a duration like ${durationForms} (a plain number is ${plain}), got "${text}"`,
      { flag: options.flag, value: text.slice(0, quantityTextCharactersMax) },
    );
  }
  const milliseconds = Math.round(quantity.amount * scale);
  if (milliseconds < options.minimumMilliseconds || milliseconds > options.maximumMilliseconds) {
    throw new InvalidArgumentError(
      `${options.flag} must be between ${formatDuration(options.minimumMilliseconds)} and ` +
        `${formatDuration(options.maximumMilliseconds)}, got "${text}"`,
      { flag: options.flag, value: text, milliseconds },
    );
  }
  return milliseconds;
}

/** Bytes (or bytes per second), a whole number within the bounds. */
export function parseSizeBytes(text: string, options: SizeOptions): number {
  assert(options.minimumBytes <= options.maximumBytes, 'size bounds ordered');
  const quantity = quantityOf(text);
  const scale = quantity === undefined ? undefined : bytesByUnit[quantity.unit || 'b'];
  const suffixAllowed = quantity === undefined || !quantity.perSecond || options.perSecond;
  if (quantity === undefined || scale === undefined || !suffixAllowed) {
    const plain = options.perSecond ? 'bytes per second' : 'bytes';
    throw new InvalidArgumentError(
      `${options.flag} must be a size like ${sizeForms} (a plain number is ${plain}), got "${text}"`,
      { flag: options.flag, value: text.slice(0, quantityTextCharactersMax) },
    );
  }
  const bytes = Math.round(quantity.amount * scale);
  if (
    !Number.isSafeInteger(bytes) ||
    bytes < options.minimumBytes ||
    bytes > options.maximumBytes
  ) {
    throw new InvalidArgumentError(
      `${options.flag} must be between ${formatSize(options.minimumBytes)} and ` +
        `${formatSize(options.maximumBytes)}, got "${text}"`,
      { flag: options.flag, value: text },
    );
  }
  return bytes;
}

/** The shortest exact form: 3600000 -> "1h", 1500 -> "1500ms". */
export function formatDuration(milliseconds: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const scale = millisecondsByUnit[unit] as number;
    if (milliseconds >= scale && milliseconds % scale === 0)
      return `${milliseconds / scale}${unit}`;
  }
  return `${milliseconds}ms`;
}

/** The shortest exact binary form: 8388608 -> "8MiB", 1000 -> "1000B". */
export function formatSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
    const scale = bytesByUnit[unit.toLowerCase()] as number;
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return `${bytes}B`;
}
