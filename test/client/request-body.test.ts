import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RequestBody } from '../../src/client/request-body.js';
import { limits } from '../../src/util/limits.js';

async function drain(
  iterable: Uint8Array | AsyncIterable<Uint8Array>,
  chunksMax = 10_000,
): Promise<Buffer> {
  if (iterable instanceof Uint8Array) return Buffer.from(iterable);
  const chunks: Buffer[] = [];
  const iterator = iterable[Symbol.asyncIterator]();
  for (let index = 0; index < chunksMax; index++) {
    const next = await iterator.next();
    if (next.done === true) break;
    chunks.push(Buffer.from(next.value));
  }
  return Buffer.concat(chunks);
}

test('a Uint8Array replays on every attempt and reports progress per slice', async () => {
  const bytes = new Uint8Array(limits.clientBodySliceBytes * 2 + 10).fill(4);
  const progress: number[] = [];
  const body = new RequestBody(bytes, (sent) => progress.push(sent));
  assert.is(body.knownSize, bytes.byteLength);
  for (let attempt = 0; attempt < 2; attempt++) {
    assert.ok(body.canReplay());
    assert.equal(await drain(body.startAttempt()), Buffer.from(bytes));
    body.endAttempt();
  }
  const slice = limits.clientBodySliceBytes;
  assert.equal(
    progress,
    [slice, 2 * slice, 2 * slice + 10, slice, 2 * slice, 2 * slice + 10],
    'progress restarts on a retry',
  );
});

test('without onProgress a Uint8Array goes to undici whole', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const body = new RequestBody(bytes, undefined);
  assert.is(body.startAttempt(), bytes);
});

test('a Readable replays only while no byte of it was read, and is never destroyed', async () => {
  const stream = Readable.from([Buffer.from('ab'), Buffer.from('cd')]);
  const body = new RequestBody(stream, undefined);
  assert.is(body.knownSize, undefined);
  assert.ok(body.canReplay());
  body.startAttempt();
  body.endAttempt(); // an attempt that failed before reading anything
  assert.ok(body.canReplay());
  const iterator = (body.startAttempt() as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.equal(Buffer.from(first.value as Uint8Array).toString(), 'ab');
  body.endAttempt();
  assert.not.ok(body.canReplay());
  assert.is((await iterator.next()).done, true, 'a detached pump yields nothing more');
  body.dispose();
  assert.is(stream.destroyed, false, "the caller's stream is the caller's");
  assert.equal(
    Buffer.from(stream.read() as Buffer).toString(),
    'cd',
    'the unread rest is still in the stream',
  );
});

test('a pump waiting for data lets go when the attempt ends, without taking the next chunk', async () => {
  const stream = new Readable({ read: () => undefined });
  const body = new RequestBody(stream, undefined);
  const iterator = (body.startAttempt() as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const pending = iterator.next();
  body.endAttempt();
  assert.is((await pending).done, true);
  stream.push(Buffer.from('late'));
  stream.push(null);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(body.canReplay(), 'nothing was taken');
  assert.equal(
    String(await drain(body.startAttempt())),
    'late',
    'the next attempt sends every byte',
  );
  body.dispose();
});

test('a factory opens a fresh stream per attempt and closes the ones it opened', async () => {
  const opened: Readable[] = [];
  const body = new RequestBody(() => {
    const stream = Readable.from([Buffer.from('xyz')]);
    opened.push(stream);
    return stream;
  }, undefined);
  for (let attempt = 0; attempt < 3; attempt++) {
    assert.equal(String(await drain(body.startAttempt())), 'xyz');
    body.endAttempt();
    assert.ok(body.canReplay());
  }
  body.dispose();
  assert.is(opened.length, 3);
  assert.ok(opened.every((stream) => stream.destroyed));
});

test('an error of the stream is recorded as the source error, and stops replays', async () => {
  const stream = new Readable({ read: () => undefined });
  const body = new RequestBody(stream, undefined);
  const iterator = (body.startAttempt() as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const pending = iterator.next();
  stream.destroy(new Error('source broke'));
  try {
    await pending;
    assert.unreachable('the pump should fail');
  } catch (error) {
    assert.match(String(error), /source broke/);
  }
  assert.match(String(body.sourceError), /source broke/);
  body.endAttempt();
  assert.not.ok(body.canReplay());
  body.dispose();
});

test.run();
