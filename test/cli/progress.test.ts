import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration, ProgressLine } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { written: string[] } {
  const written: string[] = [];
  return {
    isTTY,
    written,
    write: (text: string) => written.push(text) > 0,
  } as unknown as NodeJS.WriteStream & { written: string[] };
}

test('renders bytes, percentage, rate and ETA', () => {
  let now = 0;
  const progress = new ProgressLine({
    label: 'put',
    total: 4 * 1024 * 1024,
    unit: 'bytes',
    stream: fakeStream(false),
    nowMilliseconds: () => now,
  });
  now = 1000;
  progress.advance(1024 * 1024);
  assert.is(
    progress.render(now),
    'put [######------------------] 25% 1.00 MiB/4.00 MiB 1.00 MiB/s ETA 3s',
  );
});

test('stays silent when the stream is not a terminal', () => {
  const stream = fakeStream(false);
  const progress = new ProgressLine({ label: 'get', total: 10, unit: 'items', stream });
  progress.advance(5);
  progress.finish();
  assert.equal(stream.written, []);
});

test('draws on a terminal, throttled, and clears the line at the end', () => {
  let now = 0;
  const stream = fakeStream(true);
  const progress = new ProgressLine({
    label: 'x',
    total: 100,
    unit: 'items',
    stream,
    nowMilliseconds: () => now,
  });
  for (let step = 0; step < 10; step++) {
    now += 20;
    progress.advance(1);
  }
  assert.is(stream.written.length, 2, 'drawn at most every 100 ms'); // at 20 ms and at 120 ms
  progress.finish();
  assert.is(stream.written.at(-1), '\r\u001b[2K');
});

test('unknown total shows amount and rate only', () => {
  let now = 0;
  const progress = new ProgressLine({
    label: 'ls',
    unit: 'items',
    stream: fakeStream(false),
    nowMilliseconds: () => now,
  });
  now = 2000;
  progress.advance(10);
  assert.is(progress.render(now), 'ls 10 5/s');
});

test('formatDuration', () => {
  assert.is(formatDuration(5), '5s');
  assert.is(formatDuration(65), '1m05s');
  assert.is(formatDuration(3725), '1h02m');
  assert.is(formatDuration(Infinity), '--');
});

test('progress never moves backwards', () => {
  const progress = new ProgressLine({ label: 'x', unit: 'items', stream: fakeStream(false) });
  assert.throws(() => progress.advance(-1), /forward/);
});

test.run();
