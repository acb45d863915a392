// Snapshots and log compaction on real nodes: after the log is compacted, a node that
// joins can only catch up from a snapshot (InstallSnapshot), and a restarted node
// rebuilds from its state store plus the log after it.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('snapshots');
const objectCount = 450;

test.before(async (context) => {
  context.cluster = await TestCluster.start('snapshot', 3, {}, ['--snapshot-entries', '200']);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('a node joining after compaction catches up from a snapshot and serves every object', async (context) => {
  const cluster = context.cluster as TestCluster;
  const client = cluster.client();
  try {
    const batch = 25;
    for (let start = 0; start < objectCount; start += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, objectCount - start) }, (_, offset) =>
          client.putObject(`snap/${start + offset}`, Buffer.from(`value-${start + offset}`)),
        ),
      );
    }
  } finally {
    await client.close();
  }
  await waitFor(
    'a snapshot on every node',
    () =>
      cluster.nodes.every((node) =>
        readFileSync(node.logFile, 'utf8').includes('"event":"snapshot"'),
      ),
    { timeoutMilliseconds: 20_000, intervalMilliseconds: 200 },
  );
  const fourth = await cluster.addNode();
  const joined = cluster.cli(['join', '--node', fourth.clientAddress]);
  assert.is(joined.code, 0, joined.stderr);
  await waitFor(
    'n4 to apply everything',
    async () => {
      const status = await cluster.status();
      const self = status.members.find((member) => member.id === 'n4');
      const leader = status.members.find((member) => member.id === status.leaderId);
      return self !== undefined && leader !== undefined && self.appliedIndex >= leader.commitIndex;
    },
    { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
  );
  const local = cluster.client([fourth]);
  try {
    const page = await local.listObjects({ prefix: 'snap/', limit: 1000 });
    assert.is(page.items.length, objectCount, 'every object is listed on the new node');
    const { body } = await local.getObject('snap/7', { consistency: 'serializable' });
    let text = '';
    for await (const chunk of body) text += (chunk as Buffer).toString();
    assert.is(text, 'value-7');
  } finally {
    await local.close();
  }
});

test('a node restarted after compaction rebuilds from its state store and log', async (context) => {
  const cluster = context.cluster as TestCluster;
  await cluster.restart('n2');
  const local = cluster.client([cluster.node('n2')]);
  try {
    await waitFor(
      'n2 serves reads again',
      async () =>
        (await local.listObjects({ prefix: 'snap/', limit: 1000 })).items.length === objectCount,
      { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
    );
  } finally {
    await local.close();
  }
});

test.run();
