// Parses --duration: a number with a unit (500ms, 30s, 2m, 1h); a bare number is seconds.

import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

const unitMilliseconds: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null)
    throw new InvalidArgumentError(
      `--duration must be a number with a unit (500ms, 30s, 2m, 1h), got "${text}"`,
    );
  const milliseconds = Math.round(Number(match[1]) * (unitMilliseconds[match[2] ?? 's'] as number));
  if (milliseconds <= 0 || milliseconds > limits.chaosDurationMillisecondsMax)
    throw new InvalidArgumentError(`--duration must be between 1ms and 24h, got "${text}"`);
  return milliseconds;
}
