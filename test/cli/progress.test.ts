import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { getObjectTo } from '../../src/cli/object-transfer.js';
import { formatDuration, ProgressLine } from '../../src/cli/progress.js';
import type { CairnClient } from '../../src/client/index.js';

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

/** A stdout that records what it gets; a terminal or a pipe. */
function fakeStdout(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  return Object.assign(stream, { isTTY, text: () => Buffer.concat(parts).toString('utf8') });
}

/** A client whose one object is `body`, in pieces (as a network would deliver it). */
function fakeClient(body: string): CairnClient {
  const bytes = Buffer.from(body);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const pieces = [bytes.subarray(0, 5), bytes.subarray(5)];
  return {
    getObject: async (key: string) => ({
      metadata: { key, version: 7, size: bytes.length, sha256 },
      body: Readable.from(pieces),
    }),
  } as unknown as CairnClient;
}

const body = 'hello, terminal\n';

test('cairn get to a terminal draws no bar: the body alone goes to the screen', async () => {
  const stdout = fakeStdout(true);
  const stderr = fakeStream(true);
  await getObjectTo(fakeClient(body), 'greeting', '-', 'linearizable', stdout, stderr);
  assert.is(stdout.text(), body);
  assert.equal(stderr.written, [], 'nothing drawn on the terminal beside the body');
});

test('cairn get piped or to a file draws the bar on a terminal stderr and clears it', async () => {
  const piped = fakeStdout(false);
  const stderr = fakeStream(true);
  await getObjectTo(fakeClient(body), 'greeting', '-', 'linearizable', piped, stderr);
  assert.is(piped.text(), body);
  assert.match(stderr.written[0] ?? '', /get greeting \[/);
  assert.is(stderr.written.at(-1), '\r\u001b[2K', 'the bar line is cleared at the end');
  const directory = mkdtempSync(join(tmpdir(), 'cairn-get-'));
  try {
    const file = join(directory, 'greeting.txt');
    const toFile = fakeStream(true);
    await getObjectTo(fakeClient(body), 'greeting', file, 'linearizable', fakeStdout(true), toFile);
    assert.is(readFileSync(file, 'utf8'), body);
    assert.ok(toFile.written.length >= 2, 'drawn and cleared while writing a file');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
