import { limits } from '../util/limits.js';
import { formatBytes } from './output.js';

export interface LimitEntry {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly display: string;
}

// The unit is the last word of the name (limits are named with their unit last).
const unitSuffixes: readonly [string, string][] = [
  ['Bytes', 'bytes'],
  ['Ticks', 'ticks'],
  ['Milliseconds', 'milliseconds'],
  ['Keys', 'keys'],
  ['Entries', 'entries'],
  ['Attempts', 'attempts'],
  ['Days', 'days'],
];

function unitOf(name: string): string {
  const withoutBound = name.replace(/(Max|Min|Default)$/, '');
  for (const [suffix, unit] of unitSuffixes) if (withoutBound.endsWith(suffix)) return unit;
  return 'count';
}

export function limitEntries(): LimitEntry[] {
  return Object.entries(limits).map(([name, value]) => {
    const unit = unitOf(name);
    return {
      name,
      value,
      unit,
      display:
        unit === 'bytes' && value >= 1024 ? `${value} (${formatBytes(value)})` : String(value),
    };
  });
}
