// Sends Raft messages to peers over HTTP (undici, keep-alive). Messages for one peer
// are queued and leave in one request per round trip: while a request to a peer is in
// flight, new messages for it wait and go together in the next (batching without a
// timer). A failed request drops its messages (Raft retransmits) and reports the peer
// unreachable, so the leader probes it instead of streaming into the void.

import { Pool } from 'undici';
import { routes } from '../api/index.js';
import { baseUrl, nodeDialOptions } from '../net/index.js';
import type { Message, NodeId } from '../raft/index.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { encodeMessageBatch } from './raft-message-codec.js';

export const peerRaftPath = routes.raftMessages.path;
/** Marks a request whose batch holds a snapshot: the peer accepts a larger body for it. */
export const snapshotHeader = 'x-cairn-snapshot';

export interface PeerTransportOptions {
  readonly clusterId: () => string;
  readonly onUnreachable: (peer: NodeId) => void;
  /** A snapshot message was delivered (true) or lost (false): Raft stops waiting for it. */
  readonly onSnapshotReport?: (peer: NodeId, delivered: boolean) => void;
  /** Queued messages per peer beyond which new ones are dropped (Raft resends). */
  readonly queuedMessagesPerPeerMax?: number;
  readonly requestTimeoutMilliseconds?: number;
  /** A batch was answered: its round trip in seconds (for /metrics). */
  readonly onRoundTrip?: (peer: NodeId, seconds: number) => void;
}

interface PeerChannel {
  address: string;
  pool: Pool;
  queue: Message[];
  queuedBytes: number;
  sending: boolean;
}

export interface PeerTransportStatistics {
  requestsSent: number;
  messagesSent: number;
  messagesDropped: number;
  requestsFailed: number;
}

export class PeerTransport {
  private readonly channels = new Map<NodeId, PeerChannel>();
  private closed = false;
  readonly statistics: PeerTransportStatistics = {
    requestsSent: 0,
    messagesSent: 0,
    messagesDropped: 0,
    requestsFailed: 0,
  };

  constructor(private readonly options: PeerTransportOptions) {}

  /** Sets or changes where a peer listens (host:port of its peer port). */
  setPeerAddress(peer: NodeId, address: string): void {
    const existing = this.channels.get(peer);
    if (existing?.address === address) return;
    if (existing) void existing.pool.close();
    this.channels.set(peer, {
      address,
      pool: new Pool(baseUrl(address), {
        connections: 2,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        ...nodeDialOptions(),
      }),
      queue: existing?.queue ?? [],
      queuedBytes: existing?.queuedBytes ?? 0,
      sending: false,
    });
  }

  removePeer(peer: NodeId): void {
    const channel = this.channels.get(peer);
    if (!channel) return;
    this.channels.delete(peer);
    void channel.pool.close();
  }

  hasPeer(peer: NodeId): boolean {
    return this.channels.has(peer);
  }

  send(messages: readonly Message[]): void {
    const touched = new Map<NodeId, PeerChannel>();
    const queuedMax = this.options.queuedMessagesPerPeerMax ?? 4096;
    for (const message of messages) {
      const channel = this.channels.get(message.to);
      if (!channel || this.closed || channel.queue.length >= queuedMax) {
        this.statistics.messagesDropped++;
        if (!channel) this.options.onUnreachable(message.to);
        continue;
      }
      channel.queue.push(message);
      channel.queuedBytes += approximateBytes(message);
      touched.set(message.to, channel);
    }
    for (const [peer, channel] of touched) if (!channel.sending) this.flush(peer, channel);
  }

  private flush(peer: NodeId, channel: PeerChannel): void {
    assert(!channel.sending, 'one request in flight per peer');
    if (channel.queue.length === 0 || this.closed) return;
    const batch: Message[] = [];
    let batchBytes = 0;
    while (channel.queue.length > 0) {
      const next = channel.queue[0] as Message;
      const size = approximateBytes(next);
      // A snapshot travels alone, under the larger snapshot body limit.
      if (
        batch.length > 0 &&
        (batchBytes + size > limits.raftMessageBatchBytesMax || next.snapshot !== undefined)
      )
        break;
      batch.push(next);
      batchBytes += size;
      channel.queue.shift();
      if (next.snapshot !== undefined) break;
    }
    channel.queuedBytes -= batchBytes;
    channel.sending = true;
    void this.post(peer, channel, batch).finally(() => {
      channel.sending = false;
      if (this.channels.get(peer) === channel) this.flush(peer, channel);
    });
  }

  private async post(peer: NodeId, channel: PeerChannel, batch: Message[]): Promise<void> {
    const body = encodeMessageBatch({ clusterId: this.options.clusterId(), messages: batch });
    this.statistics.requestsSent++;
    const started = performance.now();
    try {
      const response = await channel.pool.request({
        method: 'POST',
        path: peerRaftPath,
        body,
        headers: {
          'content-type': 'application/octet-stream',
          ...(batch.some((message) => message.snapshot !== undefined)
            ? { [snapshotHeader]: '1' }
            : {}),
        },
        headersTimeout: this.options.requestTimeoutMilliseconds ?? 5_000,
        bodyTimeout: this.options.requestTimeoutMilliseconds ?? 5_000,
      });
      await response.body.dump();
      if (response.statusCode !== 204) throw new Error(`peer answered ${response.statusCode}`);
      this.statistics.messagesSent += batch.length;
      this.options.onRoundTrip?.(peer, (performance.now() - started) / 1000);
      this.reportSnapshots(peer, batch, true);
    } catch {
      this.statistics.requestsFailed++;
      this.statistics.messagesDropped += batch.length;
      if (!this.closed) this.options.onUnreachable(peer);
      this.reportSnapshots(peer, batch, false);
    }
  }

  private reportSnapshots(peer: NodeId, batch: readonly Message[], delivered: boolean): void {
    if (this.closed || this.options.onSnapshotReport === undefined) return;
    for (const message of batch)
      if (message.type === 'snapshot') this.options.onSnapshotReport(peer, delivered);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.channels.values()].map((channel) => channel.pool.close());
    this.channels.clear();
    await Promise.allSettled(pools);
  }
}

function approximateBytes(message: Message): number {
  let bytes = 64 + (message.context?.length ?? 0) + (message.snapshot?.data.length ?? 0);
  for (const entry of message.entries) bytes += 24 + entry.data.length;
  return bytes;
}
