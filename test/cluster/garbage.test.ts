// Issue 13 item 4 with real `cairn serve` processes: garbage is reclaimed on evidence.
// Chunks of overwritten objects leave every node within seconds once nothing references
// them (the leader's background collection, then each node's reclaimer), and a put whose
// manifest commit is held back while the collector takes and deletes its chunks is
// refused at its commit (CHUNKS_COLLECTED, retryable), rewritten by its client, and
// reads back byte-identical: no data lost.
//
// CAIRN_TEST_HISTORY_REVISIONS=1 keeps the retained history short (replaced manifests
// hold their chunks only for 1 + historyCompactionStepRevisions revisions);
// CAIRN_TEST_HOLD_PUT_COMMIT holds a chunked put of a `hold/` key until a file exists.
import { createHash } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CairnClient } from '../../src/client/index.js';
import { limits } from '../../src/util/limits.js';
import { waitFor } from '../helpers/wait.js';
import { TestCluster, deterministicBytes } from './harness.js';

const test = suite<{ cluster?: TestCluster; release?: string }>('garbage cluster', {});
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const objectBytes = 300 * 1024; // one chunk: its SHA-256 is the object's
const historyPushRevisions = limits.historyCompactionStepRevisions + 8;

test.before(async (context) => {
  context.release = join(tmpdir(), `cairn-garbage-release-${process.pid}-${Date.now()}`);
  context.cluster = await TestCluster.start('garbage', 3, {
    CAIRN_TEST_HISTORY_REVISIONS: '1',
    CAIRN_TEST_HOLD_PUT_COMMIT: context.release,
  });
});

test.after(async (context) => {
  await context.cluster?.destroy();
  if (context.release !== undefined) rmSync(context.release, { force: true });
});

async function readAll(client: CairnClient, key: string): Promise<Buffer> {
  const { body } = await client.getObject(key);
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function chunkFile(dataDirectory: string, sha: string): string {
  return join(dataDirectory, 'chunks', sha.slice(0, 2), sha.slice(2, 4), sha);
}

function holders(cluster: TestCluster, sha: string): string[] {
  return cluster.nodes
    .filter((node) => existsSync(chunkFile(node.dataDirectory, sha)))
    .map((node) => node.name);
}

/** Small puts, so the history compacts past the replaced manifests. */
async function pushHistory(cluster: TestCluster): Promise<void> {
  const client = cluster.client();
  try {
    for (let index = 0; index < historyPushRevisions; index++)
      await client.putObject(`push/${index % 4}`, Buffer.from(`value ${index}`));
  } finally {
    await client.close();
  }
}

test("overwritten objects' chunks leave every node within seconds", async (context) => {
  const cluster = context.cluster as TestCluster;
  const client = cluster.client();
  const replaced: string[] = [];
  const current: Buffer[] = [];
  try {
    for (let index = 0; index < 8; index++) {
      const first = deterministicBytes(1000 + index, objectBytes);
      await client.putObject(`over/${index}`, first);
      replaced.push(sha256(first));
      const second = deterministicBytes(2000 + index, objectBytes);
      await client.putObject(`over/${index}`, second);
      current.push(second);
    }
    for (const sha of replaced) assert.ok(holders(cluster, sha).length >= 2, 'stored first');
    await pushHistory(cluster);
    const started = performance.now();
    await waitFor(
      'the replaced chunks gone from every node',
      async () => replaced.every((sha) => holders(cluster, sha).length === 0) || undefined,
      { timeoutMilliseconds: 3 * limits.garbageIntervalMilliseconds, intervalMilliseconds: 100 },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`  replaced chunks reclaimed ${seconds.toFixed(1)} s after the history let go`);
    for (const [index, bytes] of current.entries()) {
      const read = await readAll(client, `over/${index}`);
      assert.is(sha256(read), sha256(bytes), `over/${index} intact`);
      assert.is(holders(cluster, sha256(bytes)).length, 3, 'the current chunks stay');
    }
  } finally {
    await client.close();
  }
});

test('a put whose commit waits while the collector takes its chunks is refused, rewritten, intact', async (context) => {
  const cluster = context.cluster as TestCluster;
  const release = context.release as string;
  const client = cluster.client();
  const admin = cluster.client();
  const bytes = deterministicBytes(3000, objectBytes);
  const sha = sha256(bytes);
  try {
    // The put stores its chunk on its nodes, then holds its manifest commit.
    const put = client.putObject('hold/race', bytes);
    put.catch(() => undefined);
    await waitFor(
      'the held put stored its chunk',
      async () => holders(cluster, sha).length >= 2 || undefined,
      {
        timeoutMilliseconds: 20_000,
        intervalMilliseconds: 20,
      },
    );
    // The collector sees an unreferenced chunk file: it is garbage by every reference.
    const report = (await admin.requestJson('POST', '/v1/cluster/gc', {})) as {
      collected: number;
      collectionIndex: number;
    };
    assert.ok(report.collected >= 1, JSON.stringify(report));
    await waitFor(
      'every node deleted the collected chunk',
      async () => holders(cluster, sha).length === 0 || undefined,
      {
        timeoutMilliseconds: 20_000,
        intervalMilliseconds: 20,
      },
    );
    // Now the held commit goes on: its chunk is gone everywhere. It must not commit as is.
    writeFileSync(release, 'go');
    const answer = await put;
    assert.is(answer.size, objectBytes);
    const read = await readAll(client, 'hold/race');
    assert.is(sha256(read), sha, 'the object reads back byte-identical');
    assert.ok(holders(cluster, sha).length >= 2, 'its chunk was written again');
  } finally {
    await client.close();
    await admin.close();
  }
});

test.run();
