// Issue 6 item 3 with real processes: `cairn remove` of a live member drains it first
// (its chunks move to their new homes, the epoch settles), then takes it out; with the
// drained node stopped afterwards every object still reads back and every chunk has R
// copies on the others. ~40 s on the shared 2-core machine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CairnClient, parseEndpoints } from '../../src/client/index.js';
import { TestCluster, deterministicBytes } from '../cluster/harness.js';

const entry = new URL('../../bin/run.js', import.meta.url).pathname;
const test = suite<{ cluster?: TestCluster; written: Map<string, string> }>('drain', {
  written: new Map(),
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function inventory(address: string): Promise<string[]> {
  const client = new CairnClient({
    endpoints: parseEndpoints(address),
    retryAttemptsMax: 2,
    requestTimeoutMilliseconds: 30_000,
  });
  try {
    return (
      (await client.requestJson('GET', '/peer/v1/maintenance/inventory')) as { chunks: string[] }
    ).chunks;
  } finally {
    await client.close();
  }
}

test.before(async (context) => {
  context.cluster = await TestCluster.start('drain', 4);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('remove drains a live member first; afterwards the others hold R copies of everything', async (context) => {
  const cluster = context.cluster as TestCluster;
  const client = cluster.client();
  const chunkIds = new Set<string>();
  try {
    for (let index = 0; index < 40; index++) {
      const bytes = deterministicBytes(1000 + index, 70 * 1024 + index * 4096);
      await client.putObject(`drain/${index}`, bytes);
      context.written.set(`drain/${index}`, sha256(bytes));
      chunkIds.add(sha256(bytes)); // one chunk each: the chunk id is the object's hash
    }
  } finally {
    await client.close();
  }
  const leader = await cluster.waitForLeader();
  const leaving = ['n4', 'n3'].find((name) => name !== leader) as string;
  const before = (await inventory(cluster.node(leaving).peerAddress)).filter((id) =>
    chunkIds.has(id),
  );
  assert.ok(before.length > 10, `the leaving node holds data (${before.length} chunks)`);
  const removed = spawnSync(
    process.execPath,
    [entry, 'remove', leaving, '--timeout', '120', '--json'],
    {
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, NO_COLOR: '1', CAIRN_ENDPOINTS: cluster.endpoints(cluster.running()) },
    },
  );
  assert.is(removed.status, 0, removed.stderr);
  const status = await cluster.status(cluster.running().filter((node) => node.name !== leaving));
  assert.not.ok(
    status.members.some((member) => member.id === leaving),
    'the drained member is gone',
  );
  await cluster.kill(leaving);
  const remaining = cluster.running();
  const counts = new Map([...chunkIds].map((id) => [id, 0]));
  for (const node of remaining)
    for (const id of await inventory(node.peerAddress))
      if (counts.has(id)) counts.set(id, (counts.get(id) as number) + 1);
  assert.ok(
    [...counts.values()].every((count) => count === 3),
    `R copies on the 3 others: ${[...counts.values()].join(',')}`,
  );
  const reader = cluster.client(remaining);
  try {
    for (const [key, expected] of context.written) {
      const result = await reader.getObject(key);
      const hash = createHash('sha256');
      for await (const piece of result.body) hash.update(piece as Buffer);
      assert.is(hash.digest('hex'), expected, key);
    }
  } finally {
    await reader.close();
  }
});

test.run();
