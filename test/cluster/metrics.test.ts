// /metrics, /livez and /readyz of real nodes: a scrape before and after traffic is a
// sound exposition (HELP and TYPE on every family, counters only grow, cumulative
// buckets), the instrumented series moved with the traffic, and readiness names its
// checks (and the failing one when a node has lost its quorum).
import { request } from 'undici';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expositionProblems, parseExposition } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait.js';
import { deterministicBytes, TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('metrics');

test.before(async (context) => {
  context.cluster = await TestCluster.start('metrics', 3);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

async function get(address: string, path: string): Promise<{ status: number; text: string }> {
  const response = await request(`http://${address}${path}`, {
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return { status: response.statusCode, text: await response.body.text() };
}

/** Sum of every sample of `family` whose name and labels contain `part`. */
function sumOf(text: string, family: string, part = ''): number {
  let total = 0;
  for (const [name, value] of parseExposition(text).samples)
    if (name.startsWith(family) && name.includes(part)) total += value;
  return total;
}

test('two scrapes around traffic are sound, and the instrumented series moved', async (context) => {
  const cluster = context.cluster as TestCluster;
  const leaderName = await cluster.waitForLeader();
  const leader = cluster.node(leaderName);
  const first = await get(leader.clientAddress, '/metrics');
  assert.is(first.status, 200);
  assert.equal(expositionProblems(first.text), []);
  const client = cluster.client();
  try {
    for (let index = 0; index < 20; index++) {
      const size = index % 2 === 0 ? 200 : 300_000; // inline and chunked
      await client.putObject(`metrics/${index}`, deterministicBytes(index + 1, size));
    }
    for (let index = 0; index < 20; index++) await client.getObject(`metrics/${index}`);
  } finally {
    await client.close();
  }
  const second = await get(leader.clientAddress, '/metrics');
  assert.equal(expositionProblems(second.text, first.text), []);
  const types = parseExposition(second.text).types;
  for (const [family, type] of [
    ['cairn_request_duration_seconds', 'histogram'],
    ['cairn_wal_fsync_duration_seconds', 'histogram'],
    ['cairn_raft_commit_duration_seconds', 'histogram'],
    ['cairn_raft_apply_duration_seconds', 'histogram'],
    ['cairn_peer_round_trip_seconds', 'histogram'],
    ['cairn_raft_leader_changes_total', 'counter'],
    ['cairn_raft_proposals_failed_total', 'counter'],
    ['cairn_wal_syncs_total', 'counter'],
    ['cairn_raft_has_leader', 'gauge'],
    ['cairn_raft_proposals_pending', 'gauge'],
    ['cairn_disk_free_bytes', 'gauge'],
    ['cairn_chunks_under_replicated', 'gauge'],
    ['cairn_process_cpu_seconds_total', 'counter'],
  ] as const)
    assert.is(types.get(family), type, `${family} is a ${type}`);
  const puts = (text: string) =>
    sumOf(text, 'cairn_request_duration_seconds_count', 'operation="putObject",code="200"');
  assert.ok(puts(second.text) - puts(first.text) >= 20, 'every put was observed with its code');
  const commits = (text: string) => sumOf(text, 'cairn_raft_commit_duration_seconds_count');
  assert.ok(commits(second.text) - commits(first.text) >= 20, 'each put committed one entry');
  const syncs = (text: string) => sumOf(text, 'cairn_wal_fsync_duration_seconds_count');
  assert.ok(syncs(second.text) > syncs(first.text), 'WAL syncs observed');
  const applies = (text: string) => sumOf(text, 'cairn_raft_apply_duration_seconds_count');
  assert.ok(applies(second.text) > applies(first.text), 'applies observed');
  assert.ok(sumOf(second.text, 'cairn_peer_round_trip_seconds_count') > 0, 'peer round trips');
  assert.is(sumOf(second.text, 'cairn_raft_has_leader'), 1);
  assert.is(sumOf(second.text, 'cairn_raft_is_leader'), 1, 'the leader says so');
  assert.ok(sumOf(second.text, 'cairn_disk_free_bytes') > 0, 'disk free bytes read');
  assert.ok(sumOf(second.text, 'cairn_raft_leader_changes_total') >= 1, 'the election counted');
});

test('/livez and /readyz name their checks; a node without quorum fails readiness by name', async (context) => {
  const cluster = context.cluster as TestCluster;
  const node = cluster.nodes[0];
  assert.ok(node !== undefined);
  const live = await get(node.clientAddress, '/livez?verbose');
  assert.is(live.status, 200);
  assert.match(live.text, /\[\+\]storage ok/);
  assert.match(live.text, /livez check passed/);
  const ready = await get(node.clientAddress, '/readyz?verbose');
  assert.is(ready.status, 200, ready.text);
  for (const check of [
    'storage',
    'cluster',
    'has-leader',
    'linearizable-read',
    'disk-space',
    'chunk-store-writable',
  ])
    assert.match(ready.text, new RegExp(`\\[\\+\\]${check} ok`), `${check} listed`);
  const quiet = await get(node.clientAddress, '/readyz');
  assert.is(quiet.text, 'readyz check passed\n', 'without ?verbose only the verdict');
  const alias = await get(node.clientAddress, '/ready');
  assert.is(alias.status, 200);
  assert.is(alias.text, quiet.text, '/ready is an alias of /readyz');
  assert.is((await get(node.clientAddress, '/health')).text, 'livez check passed\n');
  // Two of three down: the survivor is alive but not ready, and says which check failed.
  await cluster.kill('n2');
  await cluster.kill('n3');
  const failing = await waitFor(
    'readiness to fail on the survivor',
    async () => {
      const answer = await get(node.clientAddress, '/readyz');
      return answer.status === 503 ? answer : undefined;
    },
    { timeoutMilliseconds: 20_000, intervalMilliseconds: 200 },
  );
  assert.match(failing.text, /\[-\](linearizable-read|has-leader) failed: /);
  assert.match(failing.text, /readyz check failed/);
  assert.not.match(failing.text, /\[\+\]/, 'without ?verbose only the failing checks');
  assert.is((await get(node.clientAddress, '/livez')).status, 200, 'still alive');
});

test.run();
