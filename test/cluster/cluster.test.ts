// Issue 5 end to end, with real `cairn serve` processes of the built CLI on 127.0.0.x:
// objects of every size class, leader failure, membership changes, full restart.
// One cluster is shared by the tests of this file, in order; each waits on conditions.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/wait.js';
import { TestCluster, deterministicBytes } from './harness.js';

const test = suite<{ cluster?: TestCluster; written: Map<string, string> }>('cluster', {
  written: new Map(),
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

test.before(async (context) => {
  context.cluster = await TestCluster.start('objects', 3);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('objects of 0 B, 1 KiB, 64 KiB + 1 and 100 MiB come back byte-identical through the CLI', async (context) => {
  const cluster = context.cluster as TestCluster;
  const sizes = [0, 1024, 64 * 1024 + 1, 100 * 1024 * 1024];
  for (const [index, size] of sizes.entries()) {
    const key = `sizes/object-${size}`;
    const source = join(cluster.directory, `in-${size}`);
    const target = join(cluster.directory, `out-${size}`);
    const bytes = deterministicBytes(index + 1, size);
    writeFileSync(source, bytes);
    const put = cluster.cli(['put', key, source, '--json']);
    assert.is(put.code, 0, `put ${size}: ${put.stderr}`);
    const stored = JSON.parse(put.stdout) as { size: number; sha256: string; version: number };
    assert.is(stored.size, size);
    assert.is(stored.sha256, sha256(bytes));
    const get = cluster.cli(['get', key, target]);
    assert.is(get.code, 0, `get ${size}: ${get.stderr}`);
    assert.is(sha256(readFileSync(target)), sha256(bytes), `content of ${size} B`);
    context.written.set(key, sha256(bytes));
  }
  const listed = cluster.cli(['ls', 'sizes/']);
  assert.equal(
    listed.stdout.trim().split('\n'),
    sizes.map((size) => `sizes/object-${size}`).sort(),
  );
});

test('bad input fails clearly with the right exit code and loses nothing', async (context) => {
  const cluster = context.cluster as TestCluster;
  const missing = cluster.cli(['get', 'no/such/key']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /CAIRN_ERR_NOT_FOUND/);
  const badKey = cluster.cli(['put', 'x'.repeat(1025), '-'], Buffer.from('v'));
  assert.is(badKey.code, 2, badKey.stderr);
  assert.match(badKey.stderr, /1024/);
  const badFlag = cluster.cli(['put', 'k', '-', '--if-version', 'abc']);
  assert.is(badFlag.code, 2);
  const conflict = cluster.cli(
    ['put', 'sizes/object-0', '-', '--if-absent'],
    Buffer.from('overwrite?'),
  );
  assert.is(conflict.code, 1);
  assert.match(conflict.stderr, /PRECONDITION_FAILED/);
  const again = cluster.cli(['bootstrap']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /ALREADY_IN_CLUSTER/);
  const still = cluster.cli(['stat', 'sizes/object-0', '--json']);
  assert.is(
    (JSON.parse(still.stdout) as { size: number }).size,
    0,
    'the failed writes changed nothing',
  );
});

test('compare-and-set: --if-version succeeds on the current version only', async (context) => {
  const cluster = context.cluster as TestCluster;
  const first = JSON.parse(
    cluster.cli(['put', 'cas/key', '-', '--json'], Buffer.from('one')).stdout,
  ) as { version: number };
  const stale = cluster.cli(
    ['put', 'cas/key', '-', '--if-version', String(first.version - 1)],
    Buffer.from('two'),
  );
  assert.is(stale.code, 1);
  const fresh = cluster.cli(
    ['put', 'cas/key', '-', '--if-version', String(first.version)],
    Buffer.from('three'),
  );
  assert.is(fresh.code, 0, fresh.stderr);
  assert.is(cluster.cli(['get', 'cas/key']).stdout, 'three');
  context.written.set('cas/key', sha256(Buffer.from('three')));
});

test('killing the leader elects a new one, writes go on, and the old leader catches up', async (context) => {
  const cluster = context.cluster as TestCluster;
  const leader = await cluster.waitForLeader();
  await cluster.kill(leader, 'SIGKILL');
  const survivors = cluster.running();
  const newLeader = await cluster.waitForLeader(survivors);
  assert.is.not(newLeader, leader);
  const client = cluster.client(survivors);
  try {
    for (let index = 0; index < 20; index++) {
      const value = Buffer.from(`after-failover-${index}`);
      await client.putObject(`failover/${index}`, value);
      context.written.set(`failover/${index}`, sha256(value));
    }
  } finally {
    await client.close();
  }
  await cluster.restart(leader);
  const rejoined = cluster.node(leader);
  await waitFor(
    'the restarted node to catch up',
    async () => {
      const status = await cluster.status();
      const self = status.members.find((member) => member.id === leader);
      const current = status.members.find((member) => member.id === status.leaderId);
      return (
        self !== undefined && current !== undefined && self.appliedIndex >= current.commitIndex
      );
    },
    { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
  );
  const local = cluster.client([rejoined]);
  try {
    const { body } = await local.getObject('failover/19', { consistency: 'serializable' });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    assert.is(Buffer.concat(chunks).toString(), 'after-failover-19');
  } finally {
    await local.close();
  }
});

test('a 4th node joins and the leader leaves (handing over first); every object stays readable', async (context) => {
  const cluster = context.cluster as TestCluster;
  const fourth = await cluster.addNode();
  const joined = cluster.cli(['join', '--node', fourth.clientAddress, '--json']);
  assert.is(joined.code, 0, joined.stderr);
  await waitFor(
    'n4 promoted to voter',
    async () =>
      (await cluster.status()).members.find((member) => member.id === 'n4')?.membership === 'voter',
    { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
  );
  const leaving = cluster.node(await cluster.waitForLeader());
  const left = cluster.cli(['leave', '--node', leaving.clientAddress]);
  assert.is(left.code, 0, left.stderr);
  const status = await cluster.status(cluster.running().filter((node) => node !== leaving));
  assert.not.ok(
    status.members.some((member) => member.id === leaving.name),
    'the leaver is gone from the member list',
  );
  await cluster.kill(leaving.name, 'SIGTERM');
  await assertAllReadable(cluster, context.written);
});

test('a cluster restarted from disk has every acknowledged object', async (context) => {
  const cluster = context.cluster as TestCluster;
  const members = cluster.running();
  for (const node of members) await cluster.kill(node.name, 'SIGTERM');
  for (const node of members) await cluster.restart(node.name);
  await cluster.waitForLeader(members, 30_000);
  await assertAllReadable(cluster, context.written);
});

async function assertAllReadable(
  cluster: TestCluster,
  written: Map<string, string>,
): Promise<void> {
  const client = cluster.client(cluster.running());
  try {
    for (const [key, expected] of written) {
      const { body, metadata } = await client.getObject(key);
      const hash = createHash('sha256');
      for await (const chunk of body) hash.update(chunk as Buffer);
      assert.is(hash.digest('hex'), expected, `content of ${key}`);
      assert.is(metadata.sha256, expected, `recorded SHA-256 of ${key}`);
    }
  } finally {
    await client.close();
  }
}

test.run();
