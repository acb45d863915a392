import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCopies, TokenBucket, type CopyTask } from '../../src/data/maintenance/index.js';

function tasks(count: number, bytes = 1000): CopyTask[] {
  return Array.from({ length: count }, (_, index) => ({
    sha256: `c${index}`,
    bytes,
    targetId: 't',
    sourceIds: ['a', 'b'],
  }));
}

function fakeClock(): {
  now: () => number;
  sleep: (milliseconds: number) => Promise<void>;
  slept: () => number;
} {
  let time = 0;
  let slept = 0;
  return {
    now: () => time,
    sleep: async (milliseconds) => {
      time += milliseconds;
      slept += milliseconds;
    },
    slept: () => slept,
  };
}

test('never more than `parallel` copies in flight, and every task is done once', async () => {
  let inflight = 0;
  let inflightMax = 0;
  const done = new Set<string>();
  const clock = fakeClock();
  const result = await runCopies(tasks(50), {
    parallel: 4,
    bucket: new TokenBucket(0, 0),
    now: clock.now,
    sleep: clock.sleep,
    shouldContinue: () => true,
    copy: async (task) => {
      inflight++;
      inflightMax = Math.max(inflightMax, inflight);
      await new Promise((resolve) => setImmediate(resolve));
      inflight--;
      assert.not.ok(done.has(task.sha256), 'copied once');
      done.add(task.sha256);
    },
  });
  assert.is(result.copiedChunks, 50);
  assert.is(result.copiedBytes, 50_000);
  assert.is(inflightMax, 4);
  assert.is(done.size, 50);
});

test('a failing source falls back to the next; a task fails only when all sources fail', async () => {
  const clock = fakeClock();
  const result = await runCopies(tasks(4), {
    parallel: 2,
    bucket: new TokenBucket(0, 0),
    now: clock.now,
    sleep: clock.sleep,
    shouldContinue: () => true,
    copy: async (task, sourceId) => {
      if (sourceId === 'a') throw new Error('a is down');
      if (task.sha256 === 'c3') throw new Error('b lost it');
    },
  });
  assert.is(result.copiedChunks, 3);
  assert.is(result.failedCount, 1);
  assert.is(result.failures[0]?.sha256, 'c3');
  assert.match(result.failures[0]?.reason ?? '', /a: a is down; b: b lost it/);
});

test('the rate limit spaces the copies: bytes over rate, less one burst', async () => {
  const clock = fakeClock();
  const result = await runCopies(tasks(20, 100_000), {
    parallel: 3,
    bucket: new TokenBucket(200_000, 0),
    now: clock.now,
    sleep: clock.sleep,
    shouldContinue: () => true,
    copy: async () => undefined,
  });
  assert.is(result.copiedBytes, 2_000_000);
  // 2,000,000 bytes at 200,000 B/s with a 200,000-byte initial burst: at least 9 s of waiting.
  assert.ok(clock.now() >= 9_000, `clock advanced ${clock.now()} ms`);
});

test('a pause stops the run before the next task and says it was interrupted', async () => {
  const clock = fakeClock();
  let copied = 0;
  const result = await runCopies(tasks(10), {
    parallel: 1,
    bucket: new TokenBucket(0, 0),
    now: clock.now,
    sleep: clock.sleep,
    shouldContinue: () => copied < 3,
    copy: async () => {
      copied++;
    },
  });
  assert.is(result.copiedChunks, 3);
  assert.ok(result.interrupted);
});

test('token bucket: unlimited never waits; a limited one goes into debt and repays at the rate', () => {
  const unlimited = new TokenBucket(0, 0);
  assert.is(unlimited.take(10 * 1024 * 1024, 0), 0);
  const bucket = new TokenBucket(1000, 0);
  assert.is(bucket.take(1000, 0), 0, 'the first second is a burst');
  assert.is(bucket.take(500, 0), 500, '500 bytes of debt at 1000 B/s is 500 ms');
  assert.is(bucket.take(0, 500), 0, 'repaid after 500 ms');
  assert.is(bucket.take(4000, 500), 4000, 'a chunk above the burst waits its time');
  bucket.setRate(0, 600);
  assert.is(bucket.take(1_000_000, 600), 0, 'rate 0 turns the limit off');
  assert.throws(() => new TokenBucket(-1, 0));
  assert.throws(() => bucket.take(-1, 0));
});

test.run();
