// Keep working with a node down (issue 13), on real processes: a member silent longer
// than a short down-after is marked down in the meta group (shown by `cairn status`),
// its chunks reach R copies on the other nodes, and once it is back it is marked up and
// the surplus copies go, leaving exactly R; every object reads back byte-identical.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DevNode } from '../../src/cli/dev-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { copiesByChunk } from './chunk-copies.js';
import { deterministicBytes, TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('keep-working');
const objectCount = 12;
const objectBytes = 300_000; // above the inline limit: one chunk each
const replicationFactor = 3;

test.before(async (context) => {
  context.cluster = await TestCluster.start('keep-working', 4);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

function downMembers(cluster: TestCluster): string[] | undefined {
  const status = cluster.cli(['status', '--json']);
  if (status.code !== 0) return undefined;
  const parsed = JSON.parse(status.stdout) as { settings?: { downMembers: { id: string }[] } };
  return parsed.settings?.downMembers.map((member) => member.id);
}

test('a node down past down-after: its chunks reach R copies elsewhere; back, surplus goes', async (context) => {
  const cluster = context.cluster as TestCluster;
  const set = cluster.cli(['settings', 'set', 'down-after=2s', '--json']);
  assert.is(set.code, 0, set.stderr);
  assert.is(JSON.parse(set.stdout).downAfterMilliseconds, 2_000);
  const client = cluster.client();
  try {
    for (let index = 0; index < objectCount; index++)
      await client.putObject(`keep/${index}`, deterministicBytes(index + 1, objectBytes));
  } finally {
    await client.close();
  }
  const before = copiesByChunk(cluster.nodes);
  assert.ok(before.size >= objectCount, 'every object has its chunk');
  for (const holders of before.values()) assert.is(holders.length, replicationFactor);
  // The victim: a node that holds copies, and not the leader (a simpler story to read).
  const leader = await cluster.waitForLeader();
  const victim = cluster.nodes.find(
    (node) =>
      node.name !== leader && [...before.values()].some((holders) => holders.includes(node.name)),
  ) as DevNode;
  assert.ok(victim !== undefined);
  await cluster.kill(victim.name);
  await waitFor('the victim marked down', () => downMembers(cluster)?.includes(victim.name), {
    timeoutMilliseconds: 30_000,
    intervalMilliseconds: 500,
  });
  const shown = cluster.cli(['status']);
  assert.match(shown.stdout, new RegExp(`down members: ${victim.name}`), shown.stdout);
  await waitFor(
    `every chunk at ${replicationFactor} copies without ${victim.name}`,
    () => {
      const copies = copiesByChunk(cluster.running());
      return [...before.keys()].every((sha) => (copies.get(sha)?.length ?? 0) >= 3);
    },
    { timeoutMilliseconds: 90_000, intervalMilliseconds: 500 },
  );
  await cluster.restart(victim.name);
  await waitFor('the victim marked up', () => downMembers(cluster)?.length === 0, {
    timeoutMilliseconds: 30_000,
    intervalMilliseconds: 500,
  });
  await waitFor(
    'surplus copies gone: exactly R copies of every chunk',
    () => {
      const copies = copiesByChunk(cluster.nodes);
      return [...before.keys()].every((sha) => copies.get(sha)?.length === replicationFactor);
    },
    { timeoutMilliseconds: 120_000, intervalMilliseconds: 1_000 },
  );
  const reader = cluster.client();
  try {
    for (let index = 0; index < objectCount; index++) {
      const { body } = await reader.getObject(`keep/${index}`);
      const pieces: Buffer[] = [];
      for await (const piece of body) pieces.push(piece as Buffer);
      assert.ok(
        Buffer.concat(pieces).equals(deterministicBytes(index + 1, objectBytes)),
        `keep/${index} reads back byte-identical`,
      );
    }
  } finally {
    await reader.close();
  }
});

test.run();
