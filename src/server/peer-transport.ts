// Sends Raft messages to peers over HTTP (undici, keep-alive). Messages for one peer
// are queued and leave in one request per round trip: while a request to a peer is in
// flight, new messages for it wait and go together in the next (batching without a
// timer). A failed request drops its messages (Raft retransmits) and reports the peer
// unreachable, so the leader probes it instead of streaming into the void.
//
// A snapshot message references a snapshot file (src/storage/snapshot-reference.ts):
// the file goes first, in pieces (snapshot-sender.ts), beside the peer's message
// batches so heartbeats keep flowing; then the message follows alone. One transfer per
// peer at a time: a snapshot message for a peer with a transfer under way is dropped
// (Raft asks again if the running one fails).

import { Pool } from 'undici';
import { routes } from '../api/index.js';
import { baseUrl, nodeDialOptions } from '../net/index.js';
import type { Message, NodeId } from '../raft/index.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { decodeSnapshotReference } from '../storage/snapshot-reference.js';
import { encodeMessageBatch } from './raft-message-codec.js';
import { sendSnapshotFile, type SnapshotSource, type SnapshotTransfer } from './snapshot-sender.js';

export const peerRaftPath = routes.raftMessages.path;

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
  /** Where the files of snapshot messages are read (absent: snapshots travel inline). */
  readonly snapshots?: SnapshotSource;
  /** A snapshot file transfer ended: what it sent, or why it failed. */
  readonly onSnapshotTransfer?: (
    peer: NodeId,
    index: number,
    outcome: SnapshotTransfer | Error,
  ) => void;
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
  private readonly transfers = new Set<NodeId>();
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
      if (this.options.snapshots !== undefined && next.snapshot !== undefined) {
        channel.queue.shift();
        channel.queuedBytes -= size;
        this.transferSnapshot(peer, channel, next);
        continue;
      }
      // A snapshot travels alone.
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
        headers: { 'content-type': 'application/octet-stream' },
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

  /** The snapshot's file first (in pieces), then the message itself. */
  private transferSnapshot(peer: NodeId, channel: PeerChannel, message: Message): void {
    const source = this.options.snapshots as SnapshotSource;
    const reference = decodeSnapshotReference((message.snapshot as { data: Uint8Array }).data);
    if (this.transfers.has(peer) || reference === null) {
      this.statistics.messagesDropped++;
      if (reference === null) this.reportSnapshots(peer, [message], false);
      return;
    }
    this.transfers.add(peer);
    void (async () => {
      try {
        const sent = await sendSnapshotFile(baseUrl(channel.address), reference, source);
        this.options.onSnapshotTransfer?.(peer, reference.index, sent);
        if (!this.closed) await this.post(peer, channel, [message]);
      } catch (error) {
        this.options.onSnapshotTransfer?.(peer, reference.index, error as Error);
        this.statistics.messagesDropped++;
        this.reportSnapshots(peer, [message], false);
      } finally {
        this.transfers.delete(peer);
      }
    })();
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
