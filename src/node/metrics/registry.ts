// The node's Prometheus metrics (issue 13, DESIGN section 6), on prom-client: counters
// typed as counters, histograms in seconds, gauges read when /metrics is scraped, and
// Node's default process metrics. One registry per node (not prom-client's global one),
// so several nodes in one process (tests, the simulator) never share series.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { assert } from '../../util/assert.js';

/** What the gauges are read from when /metrics is scraped: a narrow view of the node. */
export interface MetricsSource {
  raftTerm(): number;
  raftCommitIndex(): number;
  raftAppliedIndex(): number;
  isLeader(): boolean;
  hasLeader(): boolean;
  proposalsPending(): number;
  walSyncs(): number;
  entriesPersisted(): number;
  readRounds(): number;
  peerBatchesSent(): number;
  peerMessagesDropped(): number;
  chunksUnderReplicated(): number;
  diskFreeBytes(): number;
}

/** Latency buckets in seconds: 0.1 ms to 30 s (a put of a large object). */
const latencyBucketsSeconds = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  30,
];

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'operation' | 'code'>;
  private readonly walSyncDuration: Histogram;
  private readonly commitDuration: Histogram;
  private readonly applyDuration: Histogram;
  private readonly peerRoundTrip: Histogram<'peer'>;
  private readonly leaderChanges: Counter;
  private readonly proposalsFailed: Counter<'reason'>;
  private readonly objectBytes: Counter<'operation'>;
  private lastLeaderId: string | null = null;

  constructor(nodeName: string, source: MetricsSource) {
    assert(nodeName.length > 0, 'metrics name their node');
    this.registry.setDefaultLabels({ node: nodeName });
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: 'cairn_request_duration_seconds',
      help: 'Client requests served by this node, by operation and answer code.',
      labelNames: ['operation', 'code'],
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.walSyncDuration = new Histogram({
      name: 'cairn_wal_fsync_duration_seconds',
      help: 'fdatasync of the WAL (one per group commit).',
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.commitDuration = new Histogram({
      name: 'cairn_raft_commit_duration_seconds',
      help: 'From a proposal on this node to its result (committed and applied).',
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.applyDuration = new Histogram({
      name: 'cairn_raft_apply_duration_seconds',
      help: 'Applying one batch of committed entries to the state store.',
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.peerRoundTrip = new Histogram({
      name: 'cairn_peer_round_trip_seconds',
      help: 'Round trip of one Raft message batch to a peer.',
      labelNames: ['peer'],
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.leaderChanges = new Counter({
      name: 'cairn_raft_leader_changes_total',
      help: 'Times the leader known to this node changed (elections seen).',
      registers,
    });
    this.proposalsFailed = new Counter({
      name: 'cairn_raft_proposals_failed_total',
      help: 'Proposals that did not commit (dropped, superseded, timed out).',
      labelNames: ['reason'],
      registers,
    });
    this.objectBytes = new Counter({
      name: 'cairn_object_bytes_total',
      help: 'Bytes of object data put and got through this node.',
      labelNames: ['operation'],
      registers,
    });
    this.defineGauges(source);
    collectDefaultMetrics({ register: this.registry, prefix: 'cairn_' });
  }

  private defineGauges(source: MetricsSource): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    const counterFrom = (name: string, help: string, read: () => number): void => {
      // A total kept elsewhere (the driver, the transport), exposed as a counter.
      let exposed = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read();
          if (value > exposed) this.inc(value - exposed);
          exposed = Math.max(exposed, value);
        },
      });
    };
    gauge('cairn_raft_term', 'Current Raft term of the meta group.', () => source.raftTerm());
    gauge('cairn_raft_commit_index', 'Commit index of the meta group.', () =>
      source.raftCommitIndex(),
    );
    gauge('cairn_raft_applied_index', 'Applied index of the meta group.', () =>
      source.raftAppliedIndex(),
    );
    gauge('cairn_raft_is_leader', '1 when this node leads the meta group.', () =>
      source.isLeader() ? 1 : 0,
    );
    gauge('cairn_raft_has_leader', '1 when this node knows a leader.', () =>
      source.hasLeader() ? 1 : 0,
    );
    gauge('cairn_raft_proposals_pending', 'Proposals waiting for their result.', () =>
      source.proposalsPending(),
    );
    gauge('cairn_chunks_under_replicated', 'Chunks known to have fewer than R copies.', () =>
      source.chunksUnderReplicated(),
    );
    gauge('cairn_disk_free_bytes', 'Free bytes on the data directory file system.', () =>
      source.diskFreeBytes(),
    );
    counterFrom('cairn_wal_syncs_total', 'fdatasync calls of the WAL (group commits).', () =>
      source.walSyncs(),
    );
    counterFrom('cairn_raft_entries_persisted_total', 'Raft entries appended to the WAL.', () =>
      source.entriesPersisted(),
    );
    counterFrom('cairn_raft_read_rounds_total', 'ReadIndex rounds (each serves reads).', () =>
      source.readRounds(),
    );
    counterFrom('cairn_peer_batches_sent_total', 'Raft message batches sent to peers.', () =>
      source.peerBatchesSent(),
    );
    counterFrom(
      'cairn_peer_messages_dropped_total',
      'Raft messages dropped (unreachable peer or full queue).',
      () => source.peerMessagesDropped(),
    );
  }

  observeRequest(operation: string, code: string, seconds: number, bytes = 0): void {
    assert(seconds >= 0 && bytes >= 0, 'durations and sizes are not negative');
    this.requestDuration.observe({ operation, code }, seconds);
    if (bytes > 0) this.objectBytes.inc({ operation }, bytes);
  }

  /** Object bytes put or got (the request's duration is observed by the dispatch). */
  observeObjectBytes(operation: string, bytes: number): void {
    assert(bytes >= 0, 'sizes are not negative');
    if (bytes > 0) this.objectBytes.inc({ operation }, bytes);
  }

  observeWalSync(seconds: number): void {
    this.walSyncDuration.observe(Math.max(0, seconds));
  }

  observeCommit(seconds: number): void {
    this.commitDuration.observe(Math.max(0, seconds));
  }

  observeApply(seconds: number): void {
    this.applyDuration.observe(Math.max(0, seconds));
  }

  observePeerRoundTrip(peer: string, seconds: number): void {
    this.peerRoundTrip.observe({ peer }, Math.max(0, seconds));
  }

  proposalFailed(reason: string): void {
    this.proposalsFailed.inc({ reason });
  }

  /** Called with every leader this node learns of; counts the changes. */
  leaderSeen(leaderId: string | null): void {
    if (leaderId !== null && leaderId !== this.lastLeaderId) this.leaderChanges.inc();
    if (leaderId !== null) this.lastLeaderId = leaderId;
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
