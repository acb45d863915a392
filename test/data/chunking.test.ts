import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cutIntoChunks,
  writeChunks,
  type ChunkPlacementContext,
} from '../../src/data/object-data.js';
import type { ChunkTransport } from '../../src/data/chunk-transfer.js';
import type { ChunkStore } from '../../src/storage/chunk-store.js';
import { Prng } from '../../src/util/prng.js';
import { ChunkBufferPool } from '../../src/data/chunk-buffer-pool.js';
import { members, ring } from './maintenance-helpers.js';

async function* pieces(bytes: Uint8Array, prng: Prng): AsyncGenerator<Uint8Array> {
  let offset = 0;
  while (offset < bytes.length) {
    const size = prng.nextIntegerInclusive(1, 700);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

test('chunks have the fixed size, the last one shorter, and concatenate to the input', async () => {
  const prng = new Prng(3);
  for (const total of [0, 1, 999, 1000, 1001, 5000, 12_345]) {
    const input = new Uint8Array(total).map(() => prng.nextUint32() & 0xff);
    const prefixLength = Math.min(total, prng.nextIntegerInclusive(0, 1500));
    const chunks: Uint8Array[] = [];
    for await (const chunk of cutIntoChunks(
      pieces(input.subarray(prefixLength), prng),
      input.subarray(0, prefixLength),
      1000,
    ))
      chunks.push(chunk.slice());
    assert.is(chunks.length, Math.ceil(total / 1000), `chunk count for ${total}`);
    for (const chunk of chunks.slice(0, -1)) assert.is(chunk.length, 1000);
    const joined = Buffer.concat(chunks);
    assert.is(
      createHash('sha256').update(joined).digest('hex'),
      createHash('sha256').update(input).digest('hex'),
    );
  }
});

/**
 * Puts whose copies go to peers through a transport that answers only when told to:
 * the network is what cannot be made slow on demand here. `failOn` fails that chunk.
 */
function slowPlacement(failOn?: number): {
  context: ChunkPlacementContext;
  pending: (() => void)[];
  stored: number[];
} {
  const pending: (() => void)[] = [];
  const stored: number[] = [];
  const transport = {
    put: (_address: string, _sha256: string, bytes: Uint8Array) =>
      new Promise<void>((resolve, reject) =>
        pending.push(() =>
          bytes[0] === failOn
            ? reject(new Error('peer failed'))
            : (stored.push(bytes[0] as number), resolve()),
        ),
      ),
  } as unknown as ChunkTransport;
  const context: ChunkPlacementContext = {
    selfId: 'client-side', // not a member: every copy goes through the transport
    store: undefined as unknown as ChunkStore,
    transport,
    rings: () => [ring(members(3), 1)],
    peerAddressOf: (memberId) => `${memberId}:1`,
  };
  return { context, pending, stored };
}

async function* numberedChunks(count: number, size: number): AsyncGenerator<Uint8Array> {
  for (let index = 0; index < count; index++) yield new Uint8Array(size).fill(index);
}

/** Answer every pending copy until the put settles (bounded rounds), checking the budget meanwhile. */
async function drive(
  put: Promise<unknown>,
  pending: (() => void)[],
  budget: ChunkBufferPool,
  heldMax: number,
): Promise<number> {
  let settled = false;
  let waitingMax = 0;
  void put.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let round = 0; round < 10_000 && !settled; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(budget.held() <= heldMax, `held ${budget.held()} of ${heldMax}`);
    waitingMax = Math.max(waitingMax, budget.waiting());
    pending.shift()?.();
  }
  assert.ok(settled, 'the put settled');
  return waitingMax;
}

test('a node-wide buffer pool bounds the chunks of concurrent puts, and every buffer comes back', async () => {
  const budget = new ChunkBufferPool(1000, 3);
  const { context, pending, stored } = slowPlacement();
  const options = {
    chunkSizeBytes: 1000,
    inflightChunksMax: 3,
    objectSizeBytesMax: 1_000_000,
    bufferPool: budget,
  };
  const puts = Promise.all(
    [0, 1, 2, 3].map(() =>
      writeChunks(context, numberedChunks(5, 1000), new Uint8Array(0), options),
    ),
  );
  const waitingMax = await drive(puts, pending, budget, 3);
  assert.ok(waitingMax >= 1, 'puts waited for the budget');
  const results = await puts;
  for (const result of results) assert.is(result.size, 5000);
  // Buffers are reused: each copy still held its own chunk's content when it completed.
  for (let value = 0; value < 5; value++)
    assert.is(stored.filter((first) => first === value).length, 4 * 3, `copies of chunk ${value}`);
  assert.is(stored.length, 4 * 5 * 3, 'every copy of every chunk stored');
  assert.is(budget.held(), 0, 'all permits released');
});

test('a failed put gives its buffers back', async () => {
  const budget = new ChunkBufferPool(1000, 2);
  const { context, pending } = slowPlacement(2);
  const options = {
    chunkSizeBytes: 1000,
    inflightChunksMax: 3,
    objectSizeBytesMax: 1_000_000,
    bufferPool: budget,
  };
  const put = writeChunks(context, numberedChunks(6, 1000), new Uint8Array(0), options);
  await drive(put, pending, budget, 2);
  await put.then(
    () => assert.unreachable('chunk 2 failed'),
    (error: Error) => assert.match(error.message, /peer failed/),
  );
  for (let round = 0; round < 100 && pending.length > 0; round++) pending.shift()?.();
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(budget.held(), 0, 'no buffer leaked');
});

test('the pool reuses its buffers, and refuses one released twice or not its own', async () => {
  const pool = new ChunkBufferPool(16, 2);
  const first = await pool.acquire();
  const second = await pool.acquire();
  let third: Uint8Array | undefined;
  const waiting = pool.acquire().then((buffer) => (third = buffer));
  assert.is(pool.waiting(), 1);
  pool.release(first.subarray(0, 5)); // a view of the last, short chunk gives back the whole buffer
  await waiting;
  assert.is(third?.buffer, first.buffer, 'the released buffer is handed out again');
  assert.is(third?.length, 16);
  assert.throws(() => pool.release(new Uint8Array(16)), /did not hand out/);
  pool.release(second);
  assert.throws(() => pool.release(second), /released twice/);
});

test.run();
