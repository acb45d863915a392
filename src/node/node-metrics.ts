// Prometheus text exposition for /metrics: counters and latency sums per operation,
// plus the Raft and storage gauges an operator watches.

import type { RaftDriver } from './raft-driver.js';
import type { RaftStatus } from './meta-group.js';

/** What the metrics read: the group's gauges and the peer transport's counters. */
export interface MetricsSource {
  status(): RaftStatus | undefined;
  appliedIndex(): number;
  isLeader(): boolean;
  driverStatistics(): RaftDriver['statistics'] | undefined;
}

export interface TransportCounters {
  readonly requestsSent: number;
  readonly messagesDropped: number;
}

interface OperationTotals {
  count: number;
  bytes: number;
  milliseconds: number;
}

export class NodeMetrics {
  private readonly operations = new Map<string, OperationTotals>();

  observe(operation: string, milliseconds: number, bytes: number): void {
    const totals = this.operations.get(operation) ?? { count: 0, bytes: 0, milliseconds: 0 };
    totals.count++;
    totals.bytes += bytes;
    totals.milliseconds += milliseconds;
    this.operations.set(operation, totals);
  }

  render(node: MetricsSource, transport: TransportCounters): string {
    const lines: string[] = [];
    const gauge = (name: string, help: string, value: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
    };
    lines.push(
      '# HELP cairn_operations_total Client operations served by this node.',
      '# TYPE cairn_operations_total counter',
    );
    for (const [operation, totals] of this.operations)
      lines.push(`cairn_operations_total{operation="${operation}"} ${totals.count}`);
    lines.push(
      '# HELP cairn_operation_bytes_total Bytes of object data per operation.',
      '# TYPE cairn_operation_bytes_total counter',
    );
    for (const [operation, totals] of this.operations)
      lines.push(`cairn_operation_bytes_total{operation="${operation}"} ${totals.bytes}`);
    const status = node.status();
    gauge('cairn_raft_term', 'Current Raft term of the meta group.', status?.term ?? 0);
    gauge('cairn_raft_commit_index', 'Commit index of the meta group.', status?.commit ?? 0);
    gauge('cairn_raft_applied_index', 'Applied index of the meta group.', node.appliedIndex());
    gauge(
      'cairn_raft_is_leader',
      '1 when this node leads the meta group.',
      node.isLeader() ? 1 : 0,
    );
    const driver = node.driverStatistics();
    gauge(
      'cairn_wal_syncs_total',
      'fdatasync calls of the WAL (group commits).',
      driver?.syncs ?? 0,
    );
    gauge(
      'cairn_raft_entries_persisted_total',
      'Raft entries appended to the WAL.',
      driver?.entriesPersisted ?? 0,
    );
    gauge(
      'cairn_raft_read_rounds_total',
      'ReadIndex rounds (each serves a batch of reads).',
      driver?.readRounds ?? 0,
    );
    gauge(
      'cairn_peer_requests_total',
      'Raft message batches sent to peers.',
      transport.requestsSent,
    );
    gauge(
      'cairn_peer_messages_dropped_total',
      'Raft messages dropped (unreachable peer or full queue).',
      transport.messagesDropped,
    );
    return `${lines.join('\n')}\n`;
  }
}
