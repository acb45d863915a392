// Writes go on with nodes down (issue 13, with the write quorum of src/data): 3 nodes
// R = 3 with one SIGKILLed take 200 puts of 0 B to 8 MiB that read back byte-identical,
// and once it is back every chunk has 3 copies again within a bound; 5 nodes R = 3
// with two down serve every put and get. Needs the quorum branch (W of R, stand-ins).
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CairnClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { copiesByChunk } from './chunk-copies.js';
import { deterministicBytes, TestCluster } from './harness.js';

const mebibyte = 1024 * 1024;

/** 0 B, inline sizes, just above the inline limit, 1 MiB and a few of 8 MiB. */
function sizeOf(index: number): number {
  if (index === 0) return 0;
  if (index % 40 === 0) return 8 * mebibyte;
  if (index % 5 === 0) return mebibyte + index;
  return index % 2 === 0 ? (index * 997) % 60_000 : 70_000 + index * 13;
}

async function putAndReadBack(client: CairnClient, prefix: string, count: number) {
  for (let index = 0; index < count; index++)
    await client.putObject(`${prefix}/${index}`, deterministicBytes(index + 7, sizeOf(index)));
  for (let index = 0; index < count; index++) {
    const { body } = await client.getObject(`${prefix}/${index}`);
    const hash = createHash('sha256');
    for await (const piece of body) hash.update(piece as Buffer);
    const expected = createHash('sha256').update(deterministicBytes(index + 7, sizeOf(index)));
    assert.is(hash.digest('hex'), expected.digest('hex'), `${prefix}/${index} byte-identical`);
  }
}

const three = suite<{ cluster?: TestCluster }>('three nodes, one killed');
three.before(async (context) => {
  context.cluster = await TestCluster.start('keep-quorum-3', 3);
});
three.after(async (context) => {
  await context.cluster?.destroy();
});

three(
  '200 puts of 0 B..8 MiB succeed with one node killed; back, every chunk has 3 copies',
  async (context) => {
    const cluster = context.cluster as TestCluster;
    const leader = await cluster.waitForLeader();
    const victim = cluster.nodes.find((node) => node.name !== leader)?.name as string;
    await cluster.kill(victim);
    const client = cluster.client(cluster.running());
    try {
      await putAndReadBack(client, 'killed', 200);
    } finally {
      await client.close();
    }
    await cluster.restart(victim);
    const fullyCopied = (): boolean => {
      const copies = copiesByChunk(cluster.nodes);
      return copies.size > 0 && [...copies.values()].every((holders) => holders.length >= 3);
    };
    // The leader's own passes bring every chunk back: the sweep asked for by the node's
    // return, and the retry of a pass that found it not answering yet (pass-retry.ts;
    // before it, one CI run waited out 120 s for the 10-minute background repair).
    await waitFor('every chunk at 3 copies again', fullyCopied, {
      timeoutMilliseconds: 90_000,
      intervalMilliseconds: 1_000,
    });
  },
);

three.run();

const five = suite<{ cluster?: TestCluster }>('five nodes, two down');
five.before(async (context) => {
  context.cluster = await TestCluster.start('keep-quorum-5', 5);
});
five.after(async (context) => {
  await context.cluster?.destroy();
});

five('R = 3 with two nodes down: every put and get succeeds', async (context) => {
  const cluster = context.cluster as TestCluster;
  const leader = await cluster.waitForLeader();
  const victims = cluster.nodes.filter((node) => node.name !== leader).slice(0, 2);
  for (const victim of victims) await cluster.kill(victim.name);
  await cluster.waitForLeader(cluster.running(), 30_000);
  const client = cluster.client(cluster.running());
  try {
    await putAndReadBack(client, 'two-down', 60);
  } finally {
    await client.close();
  }
});

five.run();
