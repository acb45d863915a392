// Crash tests on the real file system for chunk files and the LMDB state store:
// children are killed with SIGKILL at random moments (3 rounds each by default,
// CAIRN_CRASH_ROUNDS_SMALL to change; ~1 s per round).
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { StateStore } from '../../src/storage/state-store.js';
import { Prng } from '../../src/util/prng.js';
import { runAndKill } from './crash-child.js';
import { chunkContent, stateValue } from './fixtures/crash-workload.js';
import { bytesEqual, temporaryDirectory } from './helpers.js';

const rounds = Number(process.env['CAIRN_CRASH_ROUNDS_SMALL'] ?? 3);
const seed = Number(process.env['CAIRN_CRASH_SEED'] ?? 20261123);
const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

test(`chunks: a killed writer leaves whole verified chunks or none (${rounds} rounds, seed ${seed})`, async () => {
  const prng = new Prng(seed);
  const directory = temporaryDirectory('chunk-crash');
  try {
    const expected = new Map<string, number>();
    const reported = new Set<string>();
    let next = 0;
    for (let round = 0; round < rounds; round++) {
      for (let n = next; n < next + 200; n++)
        expected.set(createHash('sha256').update(chunkContent(n)).digest('hex'), n);
      const { lines } = await runAndKill(
        fixture('chunk-writer.ts'),
        [directory.path, String(next)],
        prng.nextIntegerInclusive(1, 12),
      );
      for (const line of lines.slice(1)) {
        const match = /^chunk (\d+) ([0-9a-f]{64})$/.exec(line);
        assert.ok(match !== null, `unexpected line ${line}`);
        reported.add(match[2]!);
        next = Math.max(next, Number(match[1]) + 1);
      }
      const store = await ChunkStore.open(new RealDisk(), directory.path);
      const present = await store.list();
      for (const hash of reported)
        assert.ok(present.includes(hash), `round ${round}: reported chunk ${hash} survives`);
      for (const hash of present) {
        const n = expected.get(hash);
        assert.ok(n !== undefined, `round ${round}: ${hash} is a chunk the writer wrote`);
        assert.ok(
          bytesEqual(await store.read(hash), chunkContent(n)),
          `round ${round}: chunk ${n} intact`,
        );
      }
      assert.equal(
        readdirSync(join(directory.path, 'tmp')),
        [],
        'temporary files are cleaned on open',
      );
      // The killed write may have completed unreported; the next child starts after it.
      next = Math.max(next, ...present.map((hash) => expected.get(hash)! + 1));
    }
    assert.ok(reported.size > 0);
  } finally {
    directory.remove();
  }
});

test(`state store: the applied index always matches the effects after SIGKILL (${rounds} rounds, seed ${seed})`, async () => {
  const prng = new Prng(seed + 1);
  const directory = temporaryDirectory('state-crash');
  try {
    let reported = 0;
    for (let round = 0; round < rounds; round++) {
      const { lines } = await runAndKill(
        fixture('state-writer.ts'),
        [directory.path, String(prng.nextUint32())],
        prng.nextIntegerInclusive(1, 15),
      );
      for (const line of lines.slice(1))
        reported = Math.max(reported, Number(/^applied (\d+)$/.exec(line)?.[1] ?? Number.NaN));
      assert.ok(Number.isSafeInteger(reported), 'progress lines parse');
      const store = StateStore.open(directory.path);
      try {
        const applied = store.appliedIndex();
        assert.ok(
          applied >= reported,
          `round ${round}: applied ${applied} >= reported ${reported}`,
        );
        assert.is(
          new TextDecoder().decode(store.get('last')),
          String(applied),
          'effects and index from the same transaction',
        );
        assert.is(
          store.get(`k/${String(applied + 1).padStart(10, '0')}`),
          undefined,
          'nothing beyond the applied index',
        );
        for (let index = Math.max(1, applied - 300); index <= applied; index++) {
          const value = store.get(`k/${String(index).padStart(10, '0')}`);
          assert.ok(
            value !== undefined && bytesEqual(value, stateValue(index)),
            `round ${round}: entry ${index} applied`,
          );
        }
      } finally {
        await store.close();
      }
    }
    assert.ok(reported > 0);
  } finally {
    directory.remove();
  }
});

test.run();
