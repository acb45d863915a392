import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scrubChunks, TokenBucket } from '../../src/data/maintenance/index.js';
import { CairnError } from '../../src/util/errors.js';

function io(names: string[], corrupt: Set<string>, vanished: Set<string> = new Set()) {
  const verified: string[] = [];
  return {
    verified,
    io: {
      list: async () => names,
      sizeOf: async (sha256: string) => (vanished.has(sha256) ? undefined : 1000),
      verify: async (sha256: string) => {
        verified.push(sha256);
        return !corrupt.has(sha256);
      },
    },
  };
}

test('scrub checks every chunk and reports the corrupt and the vanished', async () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const { io: scrubIo, verified } = io(names, new Set(['b', 'e']), new Set(['c']));
  let time = 0;
  const report = await scrubChunks(scrubIo, {
    bucket: new TokenBucket(0, 0),
    now: () => time,
    sleep: async (milliseconds) => {
      time += milliseconds;
    },
    shouldContinue: () => true,
  });
  assert.equal(verified, ['a', 'b', 'd', 'e']);
  assert.equal(report.corrupt, ['b', 'e']);
  assert.is(report.chunksChecked, 4);
  assert.is(report.bytesChecked, 4000);
  assert.is(report.vanished, 1);
  assert.not.ok(report.interrupted);
});

test('scrub keeps to its rate and stops when told', async () => {
  const names = Array.from({ length: 10 }, (_, index) => `c${index}`);
  let time = 0;
  const report = await scrubChunks(io(names, new Set()).io, {
    bucket: new TokenBucket(1000, 0),
    now: () => time,
    sleep: async (milliseconds) => {
      time += milliseconds;
    },
    shouldContinue: () => true,
  });
  assert.is(report.chunksChecked, 10);
  assert.ok(time >= 9000, `10 kB at 1 kB/s after a 1 kB burst takes 9 s, took ${time} ms`);
  let checks = 0;
  const stopped = await scrubChunks(io(names, new Set()).io, {
    bucket: new TokenBucket(0, 0),
    now: () => 0,
    sleep: async () => undefined,
    shouldContinue: () => checks < 4,
    onChecked: () => {
      checks++;
    },
  });
  assert.is(stopped.chunksChecked, 4);
  assert.ok(stopped.interrupted);
});

test('a chunk removed while scrubbing is counted as vanished, other errors propagate', async () => {
  const gone = {
    list: async () => ['x'],
    sizeOf: async () => 10,
    verify: async () => {
      throw new CairnError('CAIRN_ERR_NOT_FOUND', 'gone');
    },
  };
  const report = await scrubChunks(gone, {
    bucket: new TokenBucket(0, 0),
    now: () => 0,
    sleep: async () => undefined,
    shouldContinue: () => true,
  });
  assert.is(report.vanished, 1);
  const broken = {
    ...gone,
    verify: async () => {
      throw new CairnError('CAIRN_ERR_IO', 'disk');
    },
  };
  try {
    await scrubChunks(broken, {
      bucket: new TokenBucket(0, 0),
      now: () => 0,
      sleep: async () => undefined,
      shouldContinue: () => true,
    });
    assert.unreachable('an I/O error must not be swallowed');
  } catch (error) {
    assert.is((error as CairnError).code, 'CAIRN_ERR_IO');
  }
});

test.run();
