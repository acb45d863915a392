// Randomized faults, seeded: three stand-in servers answer each attempt of a write in a
// way drawn from the Prng (unavailable, not-leader with a hint, reset before or after
// applying, success). Whatever happens, the client must never call a write 'failed'
// when a server applied it, never call it done when none did, and stay within its
// attempt budget. A failure names the seed and the operation.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CairnClient } from '../../src/client/index.js';
import { CairnError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import {
  readBody,
  sendError,
  sendJson,
  sha256Hex,
  type StandInServer,
  startServer,
} from './stand-in-server.js';

type Behaviour = 'unavailable' | 'not-leader' | 'reset-before-apply' | 'reset-after-apply' | 'ok';
const behaviours: readonly Behaviour[] = [
  'unavailable',
  'not-leader',
  'reset-before-apply',
  'reset-after-apply',
  'ok',
];

interface World {
  readonly prng: Prng;
  readonly applied: Set<string>;
  readonly attemptsByKey: Map<string, Behaviour[]>;
  names: string[];
}

function faultyHandler(world: World): Parameters<typeof startServer>[0] {
  return async (request, response) => {
    const body = await readBody(request);
    const key = decodeURIComponent((request.url ?? '').slice('/v1/objects/'.length));
    const behaviour = world.prng.pick(behaviours);
    world.attemptsByKey.set(key, [...(world.attemptsByKey.get(key) ?? []), behaviour]);
    if (behaviour === 'unavailable') return sendError(response, 503, 'UNAVAILABLE', 'no quorum');
    if (behaviour === 'not-leader') {
      return sendError(response, 421, 'NOT_LEADER', 'not me', {
        leaderClientAddress: world.prng.pick(world.names),
      });
    }
    if (behaviour === 'reset-before-apply') return void response.socket?.destroy();
    world.applied.add(key); // the write takes effect (the server dedupes by request id)
    if (behaviour === 'reset-after-apply') return void response.socket?.destroy();
    sendJson(response, 200, { key, version: 1, size: body.byteLength, sha256: sha256Hex(body) });
  };
}

async function runSeed(
  seed: number,
  deduplicateWrites: boolean,
  operations: number,
): Promise<Record<string, number>> {
  const world: World = {
    prng: new Prng(seed),
    applied: new Set(),
    attemptsByKey: new Map(),
    names: [],
  };
  const servers: StandInServer[] = await Promise.all(
    [0, 1, 2].map(() => startServer(faultyHandler(world))),
  );
  world.names = servers.map((server) => server.name);
  const attemptsMax = 4;
  const client = new CairnClient({
    endpoints: world.names.join(','),
    retryAttemptsMax: attemptsMax,
    backoff: { baseMilliseconds: 0, maxMilliseconds: 0 },
    requestTimeoutMilliseconds: 5_000,
    prng: new Prng(seed + 1),
    deduplicateWrites,
  });
  const tally: Record<string, number> = { ok: 0, failed: 0, unknown: 0 };
  try {
    for (let operation = 0; operation < operations; operation++) {
      const key = `seed-${seed}/op-${operation}`;
      const where = `seed ${seed}, deduplicateWrites ${deduplicateWrites}, ${key}`;
      let outcome: string;
      try {
        await client.putObject(key, new Uint8Array([operation % 256]));
        outcome = 'ok';
        assert.ok(world.applied.has(key), `${where}: acknowledged but never applied`);
      } catch (error) {
        if (!(error instanceof CairnError)) throw error;
        outcome = String(error.details['outcome']);
        assert.ok(
          outcome === 'failed' || outcome === 'unknown',
          `${where}: ${error.code} without an outcome`,
        );
        if (outcome === 'failed')
          assert.not.ok(world.applied.has(key), `${where}: called failed, but a server applied it`);
      }
      tally[outcome] = (tally[outcome] ?? 0) + 1;
      const attempts = world.attemptsByKey.get(key) ?? [];
      assert.ok(
        attempts.length >= 1 && attempts.length <= attemptsMax,
        `${where}: ${attempts.length} attempts`,
      );
      if (!deduplicateWrites) {
        const firstReset = attempts.findIndex((behaviour) => behaviour.startsWith('reset'));
        assert.ok(
          firstReset === -1 || firstReset === attempts.length - 1,
          `${where}: retried after a reset: ${attempts.join(',')}`,
        );
      }
    }
  } finally {
    await client.close();
    await Promise.all(servers.map((server) => server.close()));
  }
  return tally;
}

test('writes under random faults: outcomes are never wrong, attempts bounded (with request ids)', async () => {
  const total: Record<string, number> = { ok: 0, failed: 0, unknown: 0 };
  for (const seed of [1, 2]) {
    const tally = await runSeed(seed, true, 40);
    for (const [name, count] of Object.entries(tally)) total[name] = (total[name] ?? 0) + count;
  }
  // The faults are frequent enough that every kind of ending happens: the test exercises them all.
  assert.ok(
    (total['ok'] ?? 0) > 0 && (total['failed'] ?? 0) > 0 && (total['unknown'] ?? 0) > 0,
    JSON.stringify(total),
  );
});

test('writes under random faults without request ids: never retried after a reset', async () => {
  const total: Record<string, number> = { ok: 0, failed: 0, unknown: 0 };
  for (const seed of [4, 5]) {
    const tally = await runSeed(seed, false, 30);
    for (const [name, count] of Object.entries(tally)) total[name] = (total[name] ?? 0) + count;
  }
  assert.ok((total['ok'] ?? 0) > 0 && (total['unknown'] ?? 0) > 0, JSON.stringify(total));
});

test.run();
