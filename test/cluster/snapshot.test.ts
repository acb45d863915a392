// Snapshots and log compaction on real nodes: after the log is compacted, a node that
// joins can only catch up from a snapshot (InstallSnapshot), and a restarted node
// rebuilds from its state store plus the log after it. Snapshots are streamed files:
// with a 4 KiB piece (CAIRN_TEST_SNAPSHOT_PIECE_BYTES) the state is well over a hundred
// pieces, each its own request, and the joining node installs it from its staged file.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('snapshots');
const objectCount = 450;
const pieceBytes = 4096;
const valueBytes = 1024;

test.before(async (context) => {
  context.cluster = await TestCluster.start(
    'snapshot',
    3,
    { CAIRN_TEST_SNAPSHOT_PIECE_BYTES: String(pieceBytes) },
    ['--snapshot-entries', '200'],
  );
});

function objectValue(number: number): string {
  return `value-${number}-`.padEnd(valueBytes, 'x');
}

/** The events named `event` in a node's log. */
function events(logFile: string, event: string): Record<string, unknown>[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

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
          client.putObject(`snap/${start + offset}`, Buffer.from(objectValue(start + offset))),
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
    assert.is(text, objectValue(7));
  } finally {
    await local.close();
  }
  const received = events(fourth.logFile, 'snapshot-received');
  assert.ok(received.length >= 1, 'n4 received a snapshot file');
  const bytes = Number(received[0]?.['bytes']);
  assert.ok(bytes > 100 * pieceBytes, `the state (${bytes} bytes) is many pieces`);
  const sent = cluster.nodes.flatMap((node) => events(node.logFile, 'snapshot-sent'));
  const toFourth = sent.filter((line) => line['peer'] === 'n4' && line['alreadyHeld'] === false);
  assert.ok(toFourth.length >= 1, 'a member streamed the snapshot to n4');
  const pieces = Number(toFourth[0]?.['pieces']);
  assert.ok(pieces >= Math.ceil(bytes / pieceBytes), `${pieces} pieces of at most ${pieceBytes}`);
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
