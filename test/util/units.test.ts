// The one parser of durations and sizes (src/util/units.ts), by table: every form the
// help promises, the plain number in the flag's own unit, and refusals that name the
// flag and the forms.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CairnError } from '../../src/util/errors.js';
import {
  formatDuration,
  formatSize,
  parseDurationMilliseconds,
  parseSizeBytes,
} from '../../src/util/units.js';

const timeout = {
  flag: '--timeout',
  plainUnit: 's',
  minimumMilliseconds: 1,
  maximumMilliseconds: 24 * 3_600_000,
} as const;

test('durations: every unit, fractions, a plain number in the flag unit', () => {
  const table: [string, number][] = [
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    [' 45 ', 45_000],
    ['10S', 10_000],
    ['0.0015s', 2],
  ];
  for (const [text, milliseconds] of table)
    assert.is(parseDurationMilliseconds(text, timeout), milliseconds, text);
  assert.is(parseDurationMilliseconds('250', { ...timeout, plainUnit: 'ms' }), 250);
});

test('durations: refusals name the flag and the forms, as a usage error (exit 2)', () => {
  const bad = ['', 'soon', '5x', '-1s', '1d', '30s/s', '1e3', 's', `${'9'.repeat(70)}s`];
  for (const text of bad) {
    let caught: unknown;
    try {
      parseDurationMilliseconds(text, timeout);
    } catch (error) {
      caught = error;
    }
    assert.instance(caught, CairnError, text);
    const error = caught as CairnError;
    assert.is(error.code, 'CAIRN_ERR_INVALID_ARGUMENT', text);
    assert.is(error.exitCode, 2, text);
    assert.match(error.message, /^--timeout must be a duration like 30s, 500ms, 2m, 1h/, text);
    assert.match(error.message, /a plain number is seconds/, text);
  }
  assert.throws(
    () => parseDurationMilliseconds('2h', { ...timeout, maximumMilliseconds: 3_600_000 }),
    /--timeout must be between 1ms and 1h, got "2h"/,
  );
  assert.throws(() => parseDurationMilliseconds('0s', timeout), /between/);
});

const rate = {
  flag: '--rate',
  perSecond: true,
  minimumBytes: 0,
  maximumBytes: 1024 ** 4,
} as const;

test('sizes: binary and decimal units, bare letters binary, a rate suffix', () => {
  const table: [string, number][] = [
    ['50MiB', 50 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['512KiB', 512 * 1024],
    ['100MB', 100_000_000],
    ['64kb', 64_000],
    ['10m', 10 * 1024 ** 2],
    ['1.5k', 1536],
    ['2048', 2048],
    ['0', 0],
    ['7B', 7],
    ['50MiB/s', 50 * 1024 ** 2],
    ['1TiB', 1024 ** 4],
  ];
  for (const [text, bytes] of table) assert.is(parseSizeBytes(text, rate), bytes, text);
});

test('sizes: refusals name the flag and the forms; no /s on a plain size', () => {
  for (const text of ['', 'lots', '5 parsecs', '-1', '1..5MiB', 'MiB']) {
    assert.throws(
      () => parseSizeBytes(text, rate),
      (error: unknown) =>
        error instanceof CairnError &&
        error.exitCode === 2 &&
        /^--rate must be a size like 50MiB, 1GiB, 512KiB, 100MB \(a plain number is bytes per second\)/.test(
          error.message,
        ),
      text,
    );
  }
  const size = { ...rate, flag: '--object-size-max', perSecond: false };
  assert.throws(() => parseSizeBytes('1MiB/s', size), /--object-size-max must be a size/);
  assert.throws(
    () => parseSizeBytes('9MiB', { ...size, minimumBytes: 1024, maximumBytes: 8 * 1024 ** 2 }),
    /--object-size-max must be between 1KiB and 8MiB, got "9MiB"/,
  );
  assert.throws(() => parseSizeBytes('2TiB', rate), /between 0B and 1TiB/);
});

test('formatting gives the shortest exact form', () => {
  assert.is(formatDuration(3_600_000), '1h');
  assert.is(formatDuration(90_000), '90s');
  assert.is(formatDuration(1500), '1500ms');
  assert.is(formatDuration(0), '0ms');
  assert.is(formatSize(8 * 1024 ** 2), '8MiB');
  assert.is(formatSize(1000), '1000B');
  assert.is(formatSize(1536), '1536B');
});

test.run();
