import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type MetricsSource, NodeMetrics } from '../../src/node/metrics/registry.js';
import { readiness, renderHealth, type ReadinessSource } from '../../src/node/metrics/readiness.js';
import { expositionProblems, parseExposition } from '../helpers/prometheus-text.js';

function source(overrides: Partial<MetricsSource> = {}): MetricsSource {
  let syncs = 0;
  return {
    raftTerm: () => 3,
    raftCommitIndex: () => 10,
    raftAppliedIndex: () => 10,
    isLeader: () => true,
    hasLeader: () => true,
    proposalsPending: () => 2,
    walSyncs: () => (syncs += 5),
    entriesPersisted: () => 100,
    readRounds: () => 7,
    peerBatchesSent: () => 40,
    peerMessagesDropped: () => 0,
    chunksUnderReplicated: () => 4,
    diskFreeBytes: () => 1 << 30,
    ...overrides,
  };
}

test('the exposition is sound: HELP and TYPE everywhere, cumulative buckets, growing counters', async () => {
  const metrics = new NodeMetrics('n1', source());
  metrics.observeRequest('put', 'OK', 0.004, 256);
  metrics.observeRequest('put', 'CAIRN_ERR_UNAVAILABLE', 0.2);
  metrics.observeWalSync(0.0004);
  metrics.observeCommit(0.003);
  metrics.observeApply(0.001);
  metrics.observePeerRoundTrip('n2', 0.0007);
  metrics.leaderSeen('n1');
  const first = await metrics.render();
  metrics.observeRequest('get', 'OK', 0.001, 1024);
  metrics.leaderSeen('n2');
  const second = await metrics.render();
  assert.equal(expositionProblems(first), []);
  assert.equal(expositionProblems(second, first), []);
  const parsed = parseExposition(second);
  for (const [family, type] of [
    ['cairn_request_duration_seconds', 'histogram'],
    ['cairn_wal_fsync_duration_seconds', 'histogram'],
    ['cairn_raft_leader_changes_total', 'counter'],
    ['cairn_wal_syncs_total', 'counter'],
    ['cairn_raft_has_leader', 'gauge'],
    ['cairn_chunks_under_replicated', 'gauge'],
    ['cairn_disk_free_bytes', 'gauge'],
    ['cairn_process_cpu_seconds_total', 'counter'],
  ] as const)
    assert.is(parsed.types.get(family), type, family);
  assert.is(parsed.samples.get('cairn_raft_leader_changes_total{node="n1"}'), 2);
  assert.is(parsed.samples.get('cairn_chunks_under_replicated{node="n1"}'), 4);
  // A total read from the driver is exposed as a counter that follows it.
  assert.is(parsed.samples.get('cairn_wal_syncs_total{node="n1"}'), 10);
});

test('the checker catches what it must: no TYPE, buckets not cumulative, a counter going down', () => {
  const good = [
    '# HELP a_total A.',
    '# TYPE a_total counter',
    'a_total 5',
    '# HELP h H.',
    '# TYPE h histogram',
    'h_bucket{le="0.1"} 1',
    'h_bucket{le="1"} 3',
    'h_bucket{le="+Inf"} 3',
    'h_sum 1.2',
    'h_count 3',
    '',
  ].join('\n');
  assert.equal(expositionProblems(good), []);
  assert.ok(expositionProblems(good.replace('# TYPE a_total counter\n', '')).length > 0);
  assert.ok(
    expositionProblems(good.replace('h_bucket{le="1"} 3', 'h_bucket{le="1"} 0')).length > 0,
  );
  assert.ok(expositionProblems(good.replace('h_count 3', 'h_count 4')).length > 0);
  assert.ok(expositionProblems(good.replace('a_total 5', 'a_total 4'), good).length > 0);
  assert.ok(expositionProblems(`${good}stray_metric 1\n`).length > 0);
});

function readinessSource(overrides: Partial<ReadinessSource> = {}): ReadinessSource {
  return {
    fatalError: () => undefined,
    inCluster: () => true,
    hasLeader: () => true,
    linearizableRead: async () => undefined,
    diskFreeBytes: () => 1 << 30,
    diskReserveBytes: () => 64 << 20,
    probeChunkStore: async () => undefined,
    ...overrides,
  };
}

test('readiness names the failing check; verbose lists them all', async () => {
  const healthy = await readiness(readinessSource());
  assert.ok(healthy.ok);
  assert.match(renderHealth(healthy, true, 'readyz'), /\[\+\]linearizable-read ok/);
  assert.is(renderHealth(healthy, false, 'readyz'), 'readyz check passed\n');
  const lowDisk = await readiness(readinessSource({ diskFreeBytes: () => 1 << 20 }));
  assert.not.ok(lowDisk.ok);
  assert.match(
    renderHealth(lowDisk, false, 'readyz'),
    /^\[-\]disk-space failed: 1048576 bytes free/,
  );
  const noQuorum = await readiness(
    readinessSource({ linearizableRead: () => Promise.reject(new Error('no quorum')) }),
  );
  assert.equal(
    noQuorum.checks.filter((check) => !check.ok).map((check) => check.name),
    ['linearizable-read'],
  );
  const noLeader = await readiness(readinessSource({ hasLeader: () => false }));
  assert.equal(
    noLeader.checks.filter((check) => !check.ok).map((check) => check.name),
    ['has-leader', 'linearizable-read'],
  );
});

test.run();
