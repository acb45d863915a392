import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cutIntoChunks } from '../../src/data/object-data.js';
import { Prng } from '../../src/util/prng.js';

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
    for await (const chunk of cutIntoChunks(pieces(input.subarray(prefixLength), prng), input.subarray(0, prefixLength), 1000)) chunks.push(chunk.slice());
    assert.is(chunks.length, Math.ceil(total / 1000), `chunk count for ${total}`);
    for (const chunk of chunks.slice(0, -1)) assert.is(chunk.length, 1000);
    const joined = Buffer.concat(chunks);
    assert.is(createHash('sha256').update(joined).digest('hex'), createHash('sha256').update(input).digest('hex'));
  }
});

test.run();
