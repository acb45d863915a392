// A progress line for long work (large put/get, rebalance, repair, bench): bytes or
// items done, rate, ETA. Drawn only on a terminal, at most every redrawIntervalMilliseconds,
// on stderr so stdout stays clean for data; silent when piped.

import { assert } from '../util/assert.js';
import { formatBytes } from './output.js';

export interface ProgressOptions {
  readonly label: string;
  readonly total?: number;
  readonly unit: 'bytes' | 'items';
  readonly stream?: NodeJS.WriteStream;
  /** Injected for tests; defaults to performance.now. */
  readonly nowMilliseconds?: () => number;
  readonly enabled?: boolean;
}

const redrawIntervalMilliseconds = 100;
const barWidthCharacters = 24;

export class ProgressLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly now: () => number;
  private readonly startedMilliseconds: number;
  private readonly enabled: boolean;
  private lastDrawMilliseconds = -Infinity;
  private done = 0;
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.nowMilliseconds ?? (() => performance.now());
    this.startedMilliseconds = this.now();
    this.enabled = options.enabled ?? this.stream.isTTY === true;
    if (options.total !== undefined) assert(options.total >= 0, 'progress total is not negative');
  }

  advance(amount: number): void {
    assert(amount >= 0, 'progress only moves forward');
    this.done += amount;
    const now = this.now();
    if (this.enabled && now - this.lastDrawMilliseconds >= redrawIntervalMilliseconds) {
      this.lastDrawMilliseconds = now;
      this.draw(now);
    }
  }

  /** Clears the line (a final summary is the command's job). */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\u001b[2K');
  }

  render(nowMilliseconds: number): string {
    const seconds = Math.max((nowMilliseconds - this.startedMilliseconds) / 1000, 1e-3);
    const rate = this.done / seconds;
    const amount = (value: number): string =>
      this.options.unit === 'bytes' ? formatBytes(Math.round(value)) : String(Math.round(value));
    const rateText = `${amount(rate)}/s`;
    const total = this.options.total;
    if (total === undefined || total === 0)
      return `${this.options.label} ${amount(this.done)} ${rateText}`;
    const fraction = Math.min(this.done / total, 1);
    const filled = Math.round(fraction * barWidthCharacters);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(barWidthCharacters - filled)}`;
    const remainingSeconds = rate > 0 ? (total - this.done) / rate : Infinity;
    return `${this.options.label} [${bar}] ${(fraction * 100).toFixed(0)}% ${amount(this.done)}/${amount(total)} ${rateText} ETA ${formatDuration(remainingSeconds)}`;
  }

  private draw(now: number): void {
    this.drawn = true;
    this.stream.write(`\r\u001b[2K${this.render(now)}`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}
