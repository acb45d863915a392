// A cairn storage node: storage opened from its data directory, the two HTTP servers,
// and — once it belongs to a cluster — the meta group's Raft loop. Object writes and
// reads follow DESIGN.md section 5: chunks first, manifest through Raft; reads after a
// ReadIndex barrier unless serializable.

import { mkdirSync, statfsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash, randomUUID } from 'node:crypto';
import { ChunkTransport, handleChunkRoute } from '../data/chunk-transfer.js';
import { ChunkBufferPool } from '../data/chunk-buffer-pool.js';
import { readChunks, writeChunks, type ChunkPlacementContext } from '../data/object-data.js';
import {
  commandChangesMembership,
  encodeCommand,
  getObject,
  listObjects,
  members as metaMembers,
  readIdentity as readClusterIdentity,
  validateObjectKey,
  currentRing,
  settledRing,
  type MetaCommand,
  type MetaResult,
  type ObjectValue,
} from '../meta/index.js';
import { Ring } from '../placement/index.js';
import type { Entry, MemoryLogStorage, RaftNode, SoftState } from '../raft/index.js';
import { createClientServer } from '../server/client-server.js';
import { createPeerServer } from '../server/peer-server.js';
import { PeerTransport } from '../server/peer-transport.js';
import { ChunkStore } from '../storage/chunk-store.js';
import { RaftLog } from '../storage/raft-log.js';
import { RealDisk } from '../storage/real-disk.js';
import { StateStore } from '../storage/state-store.js';
import { assert } from '../util/assert.js';
import { CairnError, NotFoundError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type {
  DeleteObjectOptions,
  LeaderHint,
  ListObjectsPage,
  ListObjectsRequest,
  MemberAddressing,
  NodeApi,
  NodeInfo,
  ObjectInfo,
  PutObjectOptions,
  ReadConsistency,
} from './api.js';
import { lockDataDirectory, readIdentity, writeIdentity, type NodeIdentity } from './identity.js';
import { MetaStateMachine } from './meta-state-machine.js';
import { ensureClusterRecorded, handleAdmin, promoteCaughtUpLearners } from './node-admin.js';
import { buildMemoryLog, createRaftNode, writeFoundingState } from './raft-group.js';
import { RaftDriver } from './raft-driver.js';
import { NodeMetrics } from './node-metrics.js';
import { NodeMaintenance } from './node-maintenance.js';
import { readTestHooks, type TestHooks } from './test-hooks.js';

export interface NodeConfig {
  readonly name: string;
  readonly dataDirectory: string;
  readonly clientListen: { readonly host: string; readonly port: number };
  readonly peerListen: { readonly host: string; readonly port: number };
  readonly zone: string;
  readonly weight: number;
  readonly version: string;
  readonly tickMilliseconds: number;
  /** Applied entries between two snapshots of the meta state (and log compactions). */
  readonly snapshotIntervalEntries: number;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

const proposalTimeoutMilliseconds = 15_000;
const readTimeoutMilliseconds = 10_000;
const chunksInflightMax = 3;
const fatalExitDelayMilliseconds = 5_000;
/** Below this much free space the leader refuses new writes, so applying committed entries does not meet ENOSPC. */
const diskReserveBytes = 64 * 1024 * 1024;
const diskCheckIntervalMilliseconds = 1_000;
/** Entries kept in the log behind a snapshot, so a follower slightly behind needs no snapshot. */
const snapshotRetainEntries = 1_000;

export class CairnNode implements NodeApi {
  identity: NodeIdentity | undefined;
  raft: RaftNode | undefined;
  driver: RaftDriver | undefined;
  private memoryLog: MemoryLogStorage | undefined;
  stateMachine: MetaStateMachine;
  readonly metrics = new NodeMetrics();
  /** Every put's chunk buffers together: bounds memory however many puts arrive at once. */
  private readonly chunkBuffers = new ChunkBufferPool(
    limits.chunkSizeBytes,
    limits.chunkBuffersPerNodeMax,
  );
  readonly peerTransport: PeerTransport;
  readonly chunkTransport = new ChunkTransport();
  readonly maintenance: NodeMaintenance = new NodeMaintenance(this);
  private softState: SoftState = { leaderId: null, role: 'follower' };
  private tickTimer: NodeJS.Timeout | undefined;
  private clientServer: Server | undefined;
  private peerServer: Server | undefined;
  private releaseLock: (() => void) | undefined;
  private clientAddress = '';
  private peerAddress = '';
  private fatalError: unknown;
  private ringCache: { generation: number; rings: Ring[] } | undefined;
  private membersCache: { generation: number; members: MemberAddressing[] } | undefined;
  /** Counts applied entries (and snapshots) that may have changed the members or rings. */
  private membershipGeneration = 0;
  private closing = false;
  private readonly testHooks: TestHooks = readTestHooks();

  private constructor(
    readonly config: NodeConfig,
    private readonly stateStore: StateStore,
    readonly chunkStore: ChunkStore,
    private readonly durableLog: RaftLog,
    private readonly replayed: Awaited<ReturnType<typeof RaftLog.open>>['replayed'],
  ) {
    this.stateMachine = new MetaStateMachine(stateStore);
    this.peerTransport = new PeerTransport({
      clusterId: () => this.identity?.clusterId ?? '',
      onUnreachable: (peer) => this.raft?.reportUnreachable(peer),
      onSnapshotReport: (peer, delivered) => {
        this.raft?.reportSnapshot(peer, delivered);
        this.driver?.schedule();
      },
    });
  }

  static async start(config: NodeConfig): Promise<CairnNode> {
    mkdirSync(config.dataDirectory, { recursive: true });
    const releaseLock = lockDataDirectory(config.dataDirectory);
    try {
      const disk = new RealDisk();
      const stateStore = StateStore.open(join(config.dataDirectory, 'state'));
      const chunkStore = await ChunkStore.open(disk, config.dataDirectory, {
        onQuarantine: (report) =>
          config.log('chunk-quarantined', { sha256: report.sha256, reason: report.reason }),
      });
      const { log: durableLog, replayed } = await RaftLog.open(
        disk,
        join(config.dataDirectory, 'wal'),
      );
      const node = new CairnNode(config, stateStore, chunkStore, durableLog, replayed);
      node.releaseLock = releaseLock;
      await node.listen();
      node.identity = readIdentity(config.dataDirectory);
      if (node.identity !== undefined) await node.startRaft();
      return node;
    } catch (error) {
      releaseLock();
      throw error;
    }
  }

  private async listen(): Promise<void> {
    this.clientServer = createClientServer(this);
    this.peerServer = createPeerServer({
      clusterId: () => this.identity?.clusterId,
      onMessages: (messages) => this.driver?.step(messages),
      route: (request, response) => handleChunkRoute(this.chunkStore, request, response),
    });
    this.clientAddress = await listenOn(
      this.clientServer,
      this.config.clientListen.host,
      this.config.clientListen.port,
    );
    this.peerAddress = await listenOn(
      this.peerServer,
      this.config.peerListen.host,
      this.config.peerListen.port,
    );
    this.config.log('listening', { client: this.clientAddress, peer: this.peerAddress });
  }

  /** Opens the Raft group from disk (after bootstrap or join, or at restart). */
  async startRaft(): Promise<void> {
    const identity = this.identity;
    assert(
      identity !== undefined && this.driver === undefined,
      'start raft once, with an identity',
    );
    if (identity.founding !== undefined && this.stateStore.appliedIndex() === 0) {
      await writeFoundingState(this.stateMachine, this.durableLog, {
        voters: identity.founding.members.map((member) => member.id),
        learners: [],
      });
    }
    const appliedIndex = this.stateStore.appliedIndex();
    const replayed =
      appliedIndex === 1 && this.replayed.snapshot.index === 0 && identity.founding !== undefined
        ? {
            ...this.replayed,
            snapshot: { index: 1, term: 1 },
            hardState: {
              term: Math.max(1, this.replayed.hardState.term),
              vote: this.replayed.hardState.vote,
              commit: Math.max(1, this.replayed.hardState.commit),
            },
          }
        : this.replayed;
    const memory = await buildMemoryLog(replayed, this.stateMachine, appliedIndex);
    const raft = createRaftNode(identity.nodeId, memory, appliedIndex);
    this.raft = raft;
    this.memoryLog = memory;
    this.lastSnapshotIndex = appliedIndex;
    this.refreshPeers();
    this.driver = new RaftDriver({
      raft,
      memory,
      durableLog: this.durableLog,
      stateMachine: this.stateMachine,
      send: (messages) => this.peerTransport.send(messages),
      onSoftState: (state) => this.onSoftState(state),
      onApplied: (entries) => this.onApplied(entries),
      onSnapshotInstalled: () => this.onMembershipMayHaveChanged(),
      onFatal: (error) => this.onFatal(error),
    });
    this.tickTimer = setInterval(() => this.onTick(), this.config.tickMilliseconds);
    this.maintenance.start();
    if (this.testHooks.injectedBug !== undefined)
      this.config.log('TEST-ONLY-BUG-INJECTED', { bug: this.testHooks.injectedBug });
    this.config.log('raft-started', {
      clusterId: identity.clusterId,
      applied: appliedIndex,
      lastIndex: memory.lastIndex(),
    });
    this.driver.schedule();
  }

  private tickCount = 0;
  private onTick(): void {
    this.driver?.tick();
    this.tickCount++;
    if (this.softState.role === 'leader' && this.tickCount % 10 === 0) void this.leaderDuties();
  }

  private onSoftState(state: SoftState): void {
    const previous = this.softState;
    this.softState = state;
    if (state.leaderId !== previous.leaderId || state.role !== previous.role)
      this.config.log('raft-role', {
        role: state.role,
        leader: state.leaderId,
        term: this.raft?.status().term,
      });
    if (state.role === 'leader') void this.leaderDuties();
  }

  private onApplied(entries: readonly Entry[]): void {
    if (entries.some(entryChangesMembership)) this.onMembershipMayHaveChanged();
    const applied = this.driver?.appliedIndex ?? 0;
    if (
      applied - this.lastSnapshotIndex >= this.config.snapshotIntervalEntries &&
      !this.snapshotting
    )
      void this.takeSnapshot();
  }

  private lastSnapshotIndex = 0;
  private snapshotting = false;

  /**
   * Snapshot the state machine and compact the log behind it: the in-memory log keeps
   * snapshotRetainEntries before the snapshot for followers slightly behind, and WAL
   * segments wholly below that point are deleted.
   */
  private async takeSnapshot(): Promise<void> {
    const driver = this.driver;
    const memory = this.memoryLog;
    if (driver === undefined || memory === undefined) return;
    this.snapshotting = true;
    try {
      await driver.runExclusive(async () => {
        const captured = await this.stateMachine.capture();
        if (captured.index <= memory.snapshot().metadata.index) return;
        memory.createSnapshot(captured.index, captured.confState, captured.data);
        this.lastSnapshotIndex = captured.index;
        const retain = Math.min(
          snapshotRetainEntries,
          Math.floor(this.config.snapshotIntervalEntries / 2),
        );
        const compactIndex = captured.index - retain;
        const term = compactIndex >= memory.firstIndex() ? memory.term(compactIndex) : undefined;
        let segmentsRemoved = 0;
        if (term !== undefined) {
          // The log is what re-applies entries the state store lost in a crash: the
          // store must hold them durably before the log lets go of them.
          await this.stateMachine.flush();
          memory.compact(compactIndex);
          segmentsRemoved = await this.durableLog.compact({ index: compactIndex, term });
        }
        this.config.log('snapshot', {
          index: captured.index,
          bytes: captured.data.length,
          compactedTo: memory.firstIndex() - 1,
          segmentsRemoved,
        });
      }, 60_000);
    } catch (error) {
      this.config.log('snapshot-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.snapshotting = false;
    }
  }

  private onFatal(error: unknown): void {
    this.fatalError = error;
    this.config.log('fatal', { error: error instanceof Error ? error.message : String(error) });
    // Exit with 1 even if a part of stop() never settles after the failure.
    setTimeout(() => process.exit(1), fatalExitDelayMilliseconds);
    void this.stop().finally(() => process.exit(1));
  }

  /** Peer addresses: founding members until the meta state knows the members. */
  private refreshPeers(): void {
    const known = this.memberAddressing();
    const self = this.identity?.nodeId;
    for (const member of known)
      if (member.id !== self)
        this.peerTransport.setPeerAddress(member.id, this.peerRoute(member.id, member.peerAddress));
  }

  /**
   * Members and rings are read from the meta state again only after an entry that may
   * change them (or a snapshot): reading them on every applied batch cost a range scan
   * and a ring build per small put (BENCHMARKS.md).
   */
  private onMembershipMayHaveChanged(): void {
    this.membershipGeneration++;
    this.refreshPeers();
  }

  /** Members and their addresses, read from the meta state once per membership change. */
  memberAddressing(): MemberAddressing[] {
    const generation = this.membershipGeneration;
    if (this.membersCache !== undefined && this.membersCache.generation === generation)
      return this.membersCache.members;
    const recorded = metaMembers(this.stateMachine.reader());
    const members =
      recorded.length > 0
        ? recorded.map((member) => ({
            id: member.id,
            clientAddress: member.clientAddress,
            peerAddress: member.peerAddress,
            zone: member.zone,
            weight: member.weight,
          }))
        : [...(this.identity?.founding?.members ?? this.identity?.joinedWith ?? [])];
    this.membersCache = { generation, members };
    return members;
  }

  /** What only the leader does: record the cluster at bootstrap, promote caught-up learners. */
  private leaderDuties = async (): Promise<void> => {
    try {
      await ensureClusterRecorded(this);
      await promoteCaughtUpLearners(this);
    } catch (error) {
      this.config.log('leader-duty-failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  // ------------------------------------------------------------------ NodeApi

  info(): NodeInfo {
    return {
      id: this.config.name,
      clientAddress: this.clientAddress,
      peerAddress: this.peerAddress,
      zone: this.config.zone,
      weight: this.config.weight,
      clusterId: this.identity?.clusterId ?? null,
      version: this.config.version,
    };
  }

  leader(): LeaderHint {
    const leaderId = this.softState.leaderId;
    const member =
      leaderId === null
        ? undefined
        : this.memberAddressing().find((candidate) => candidate.id === leaderId);
    return { leaderId, leaderClientAddress: member?.clientAddress ?? null };
  }

  isLeader(): boolean {
    return this.softState.role === 'leader';
  }

  private requireDriver(): RaftDriver {
    if (this.driver === undefined) {
      throw new CairnError(
        'CAIRN_ERR_NOT_IN_CLUSTER',
        `node ${this.config.name} belongs to no cluster yet; run cairn bootstrap or cairn join first`,
      );
    }
    return this.driver;
  }

  /** Proposes a meta command and waits for its result, bounded in time. */
  async proposeCommand(command: MetaCommand): Promise<MetaResult> {
    const driver = this.requireDriver();
    if (command.type === 'putObject') this.refuseWhenDiskLow();
    const result = await withTimeout(
      driver.propose(encodeCommand(command)),
      proposalTimeoutMilliseconds,
      'the write was not committed in time; its outcome is unknown',
    );
    return result as MetaResult;
  }

  private diskCheck: { at: number; freeBytes: number } | undefined;

  /** etcd's NOSPACE alarm, simplified: writes stop before the disk is full; reads go on. */
  private refuseWhenDiskLow(): void {
    const now = performance.now();
    if (this.diskCheck === undefined || now - this.diskCheck.at > diskCheckIntervalMilliseconds) {
      const stats = statfsSync(this.config.dataDirectory);
      this.diskCheck = { at: now, freeBytes: stats.bavail * stats.bsize };
    }
    if (this.diskCheck.freeBytes < diskReserveBytes) {
      throw new CairnError(
        'CAIRN_ERR_DISK_FULL',
        `node ${this.config.name} has ${this.diskCheck.freeBytes} bytes free, below its reserve of ${diskReserveBytes}; writes are refused until space is freed (reads go on)`,
        {
          details: { outcome: 'failed', freeBytes: this.diskCheck.freeBytes },
        },
      );
    }
  }

  async readBarrier(consistency: ReadConsistency): Promise<void> {
    const driver = this.requireDriver();
    if (consistency === 'serializable' || this.testHooks.injectedBug === 'stale-reads') return;
    await withTimeout(
      driver.readBarrier(),
      readTimeoutMilliseconds,
      'the read could not be confirmed by a quorum in time; retry',
    );
  }

  async putObject(key: string, body: Readable, options: PutObjectOptions): Promise<ObjectInfo> {
    validateObjectKey(key);
    this.requireDriver();
    const started = performance.now();
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    const { prefix, leftover } = await readPrefix(iterator, limits.objectInlineBytesMax + 1);
    let value: ObjectValue;
    let size: number;
    let sha256: string;
    if (prefix.length <= limits.objectInlineBytesMax) {
      value = { kind: 'inline', bytes: prefix };
      size = prefix.length;
      sha256 = createHash('sha256').update(prefix).digest('hex');
    } else {
      const written = await writeChunks(
        this.placementContext(),
        remaining(leftover, iterator),
        prefix,
        {
          chunkSizeBytes: limits.chunkSizeBytes,
          inflightChunksMax: chunksInflightMax,
          bufferPool: this.chunkBuffers,
          objectSizeBytesMax: limits.chunkSizeBytes * limits.metaManifestChunksMax,
        },
      );
      ({ size, sha256 } = written);
      value = {
        kind: 'manifest',
        size,
        sha256,
        chunkSizeBytes: limits.chunkSizeBytes,
        chunks: written.chunks,
      };
    }
    if (options.sizeBytes !== undefined && options.sizeBytes !== size) {
      throw new CairnError(
        'CAIRN_ERR_INVALID_ARGUMENT',
        `the body had ${size} bytes but content-length said ${options.sizeBytes}`,
      );
    }
    const condition =
      options.ifAbsent === true
        ? { ifAbsent: true as const }
        : options.ifVersion !== undefined
          ? { ifVersion: options.ifVersion }
          : undefined;
    const result = await this.proposeCommand({
      type: 'putObject',
      key,
      value,
      requestId: options.requestId ?? '',
      ...(condition === undefined ? {} : { condition }),
    });
    this.metrics.observe('put', performance.now() - started, size);
    return { key, version: versionOrThrow(result, key), size, sha256 };
  }

  async getObject(
    key: string,
    consistency: ReadConsistency,
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    validateObjectKey(key);
    await this.readBarrier(consistency);
    const object = getObject(this.stateMachine.reader(), key);
    if (object === undefined) throw new NotFoundError(`object "${key}"`);
    const info = { key, version: object.version, size: object.size, sha256: object.sha256 };
    this.metrics.observe('get', 0, object.size);
    if (object.body.kind === 'inline')
      return { info, body: Readable.from([Buffer.from(object.body.bytes)]) };
    return { info, body: Readable.from(readChunks(this.placementContext(), object.body.chunks)) };
  }

  async headObject(key: string, consistency: ReadConsistency): Promise<ObjectInfo> {
    validateObjectKey(key);
    await this.readBarrier(consistency);
    const object = getObject(this.stateMachine.reader(), key);
    if (object === undefined) throw new NotFoundError(`object "${key}"`);
    return { key, version: object.version, size: object.size, sha256: object.sha256 };
  }

  async deleteObject(
    key: string,
    options: DeleteObjectOptions,
  ): Promise<{ key: string; version: number }> {
    validateObjectKey(key);
    const result = await this.proposeCommand({
      type: 'deleteObject',
      key,
      requestId: options.requestId ?? '',
      ...(options.ifVersion === undefined ? {} : { condition: { ifVersion: options.ifVersion } }),
    });
    return { key, version: versionOrThrow(result, key) };
  }

  async listObjects(request: ListObjectsRequest): Promise<ListObjectsPage> {
    await this.readBarrier(request.consistency);
    const page = listObjects(this.stateMachine.reader(), {
      prefix: request.prefix,
      limit: request.limit,
      ...(request.after === '' ? {} : { after: request.after }),
    });
    return { items: page.items, nextAfter: page.nextAfter ?? null };
  }

  admin(method: string, path: string, body: unknown): Promise<unknown> {
    return handleAdmin(this, method, path, body);
  }

  health(): { ok: boolean; ready: boolean; reason: string } {
    if (this.fatalError !== undefined)
      return { ok: false, ready: false, reason: 'stopped after a storage failure' };
    if (this.driver === undefined)
      return { ok: true, ready: false, reason: 'not in a cluster yet' };
    if (this.softState.leaderId === null)
      return { ok: true, ready: false, reason: 'no leader known' };
    return { ok: true, ready: true, reason: 'ok' };
  }

  metricsText(): string {
    return this.metrics.render(this);
  }

  placementContext(): ChunkPlacementContext {
    return {
      selfId: this.config.name,
      store: this.chunkStore,
      transport: this.chunkTransport,
      rings: () => this.rings(),
      peerAddressOf: (memberId) => {
        const address = this.memberAddressing().find(
          (member) => member.id === memberId,
        )?.peerAddress;
        return address === undefined ? undefined : this.peerRoute(memberId, address);
      },
      ...(this.testHooks.injectedBug === 'early-put-ack' ? { firstReplicaOnly: true } : {}),
      onBadCopy: (memberId, sha256, reason) =>
        this.config.log('bad-chunk-copy', { member: memberId, sha256, reason }),
    };
  }

  /** Where to reach a peer: its advertised address, or a test proxy (CAIRN_TEST_PEER_ROUTES). */
  private peerRoute(memberId: string, advertised: string): string {
    return this.testHooks.peerRoutes.get(memberId) ?? advertised;
  }

  /** The current ring first, then the settled one while an epoch migrates. */
  rings(): Ring[] {
    const generation = this.membershipGeneration;
    if (this.ringCache !== undefined && this.ringCache.generation === generation)
      return this.ringCache.rings;
    const reader = this.stateMachine.reader();
    const rings: Ring[] = [];
    const current = currentRing(reader);
    const settled = settledRing(reader);
    if (current !== undefined) rings.push(Ring.fromDescription(current));
    if (settled !== undefined && current !== undefined && settled.epoch !== current.epoch)
      rings.push(Ring.fromDescription(settled));
    this.ringCache = { generation, rings };
    return rings;
  }

  clusterRecorded(): boolean {
    return readClusterIdentity(this.stateMachine.reader()) !== undefined;
  }

  softStateValue(): SoftState {
    return this.softState;
  }

  /** Becomes a member of `clusterId` (bootstrap or join) and starts Raft. */
  async adoptIdentity(identity: NodeIdentity): Promise<void> {
    if (this.identity !== undefined) {
      throw new CairnError(
        'CAIRN_ERR_ALREADY_IN_CLUSTER',
        `node ${this.config.name} already belongs to cluster ${this.identity.clusterId}`,
      );
    }
    writeIdentity(this.config.dataDirectory, identity);
    this.identity = identity;
    this.membershipGeneration++;
    await this.startRaft();
  }

  newClusterId(): string {
    return randomUUID();
  }

  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.maintenance.stop();
    this.driver?.stop(new CairnError('CAIRN_ERR_UNAVAILABLE', 'the node is shutting down'));
    await this.driver?.idle(5_000);
    await Promise.allSettled([closeServer(this.clientServer), closeServer(this.peerServer)]);
    await Promise.allSettled([this.peerTransport.close(), this.chunkTransport.close()]);
    await this.durableLog.close().catch(() => undefined);
    await this.stateStore.close().catch(() => undefined);
    this.releaseLock?.();
    this.config.log('stopped');
  }
}

function versionOrThrow(result: MetaResult, key: string): number {
  switch (result.type) {
    case 'ok':
      return result.version;
    case 'conflict':
      throw new CairnError(
        'CAIRN_ERR_PRECONDITION_FAILED',
        result.currentVersion === 0
          ? `object "${key}" does not exist`
          : `object "${key}" is at version ${result.currentVersion}`,
        {
          details: { currentVersion: result.currentVersion },
        },
      );
    case 'notFound':
      throw new NotFoundError(`object "${key}"`);
    case 'rejected':
      throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', result.message);
  }
}

/** Reads at least `bytesMax` bytes (or to the end); what came beyond is the leftover. */
async function readPrefix(
  iterator: AsyncIterator<Uint8Array>,
  bytesMax: number,
): Promise<{ prefix: Uint8Array; leftover: Uint8Array }> {
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total < bytesMax) {
    const next = await iterator.next();
    if (next.done === true) break;
    parts.push(next.value);
    total += next.value.length;
  }
  const joined = Buffer.concat(parts, total);
  if (total <= bytesMax) return { prefix: joined, leftover: new Uint8Array(0) };
  return { prefix: joined.subarray(0, bytesMax), leftover: joined.subarray(bytesMax) };
}

async function* remaining(
  leftover: Uint8Array,
  iterator: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (leftover.length > 0) yield leftover;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new CairnError('CAIRN_ERR_TIMEOUT', message, { details: { outcome: 'unknown' } })),
      milliseconds,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function listenOn(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new CairnError(
          'CAIRN_ERR_USAGE',
          `cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the address is in use' : error.message}`,
        ),
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(
        typeof address === 'object' && address !== null
          ? `${host}:${address.port}`
          : `${host}:${port}`,
      );
    });
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
  });
}

/** A configuration change, or a meta command that may change members or rings. */
function entryChangesMembership(entry: Entry): boolean {
  if (entry.type === 'confChange') return true;
  return entry.data.length > 0 && commandChangesMembership(entry.data);
}
