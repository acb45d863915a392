// Parses --duration: a number with a unit (500ms, 30s, 2m, 1h); a bare number is seconds.
// The one parser of durations (src/util/units.ts), within chaosDurationMillisecondsMax.

import { limits } from '../util/limits.js';
import { parseDurationMilliseconds } from '../util/units.js';

export function parseDuration(text: string): number {
  return parseDurationMilliseconds(text, {
    flag: '--duration',
    plainUnit: 's',
    minimumMilliseconds: 1,
    maximumMilliseconds: limits.chaosDurationMillisecondsMax,
  });
}
