// The bulk-data half of put and get (DESIGN.md sections 5 and 6a). Put: cut the stream
// into fixed-size chunks, hash each, store it durably on the first R healthy members of
// its preference list in parallel (a bounded number of chunks in flight; see
// chunk-quorum.ts: acknowledged at W copies, stand-ins hinted), and only then hand back
// the manifest for Raft. Get: stream chunks in order, verifying each, from the home
// nodes first, then the rest of the preference list (hinted copies), then older rings;
// a bad or missing copy is reported and the next member tried.

import { createHash } from 'node:crypto';
import type { ManifestChunk } from '../meta/commands.js';
import type { Ring } from '../placement/index.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import type { HintsStore } from '../storage/hints-store.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import { type ChunkQuorumSettings, storeChunkCopies } from './chunk-quorum.js';
import type { ChunkTransport } from './chunk-transfer.js';
import { MemberSuspicion } from './member-suspicion.js';

export interface ChunkPlacementContext {
  readonly selfId: string;
  readonly store: ChunkStore;
  readonly transport: ChunkTransport;
  /** This node's hints store: a stand-in copy written locally records its hint here. */
  readonly hints?: HintsStore;
  /**
   * Peers that failed lately, one per node (shared by all puts and gets): a put gives a
   * suspected home node's copy to a stand-in at once, a get tries it last.
   */
  readonly suspicion?: MemberSuspicion;
  /** Rings to read from, newest first (an epoch still migrating falls back to older ones). */
  readonly rings: () => readonly Ring[];
  readonly peerAddressOf: (memberId: string) => string | undefined;
  readonly onBadCopy?: (memberId: string, sha256: string, reason: string) => void;
  /** Test-only planted bug (CAIRN_TEST_INJECT_BUG=early-put-ack): store one copy, not R. */
  readonly firstReplicaOnly?: boolean;
  /**
   * Test-only planted bug (the behaviour before the write quorum): every chunk needs all
   * R home nodes, no stand-ins; one node down fails every large put.
   */
  readonly waitForAllCopies?: boolean;
}

export interface WrittenChunks {
  readonly chunks: ManifestChunk[];
  readonly size: number;
  readonly sha256: string;
  /** The fewest durable copies any chunk had when acknowledged (R when there are no chunks). */
  readonly copiesMin: number;
  /** Copies wanted per chunk: the ring's R. copiesMin below it means repair has work. */
  readonly copiesWanted: number;
}

const suspicionByTransport = new WeakMap<ChunkTransport, MemberSuspicion>();

/**
 * The context with its suspicion: the given one, or else one per transport (a node has
 * one transport, so this is one per node without any wiring).
 */
function withSuspicion(context: ChunkPlacementContext): ChunkPlacementContext {
  if (context.suspicion !== undefined) return context;
  let suspicion = suspicionByTransport.get(context.transport);
  if (suspicion === undefined) {
    suspicion = new MemberSuspicion();
    suspicionByTransport.set(context.transport, suspicion);
  }
  return { ...context, suspicion };
}

/** The default write quorum: a majority of R (2 of 3, 2 of 2, 3 of 5). */
export function majorityOf(replicationFactor: number): number {
  assert(Number.isSafeInteger(replicationFactor) && replicationFactor >= 1, 'R >= 1');
  return Math.floor(replicationFactor / 2) + 1;
}

export interface WriteChunksOptions {
  readonly chunkSizeBytes: number;
  /** Chunks being stored at once: bounds memory to about this many chunk buffers. */
  readonly inflightChunksMax: number;
  readonly objectSizeBytesMax: number;
  readonly onProgress?: (bytes: number) => void;
  /** Called with each chunk's SHA-256 before any copy of it is stored (puts in flight). */
  readonly onChunkHashed?: (sha256: string) => void;
  /**
   * Node-wide chunk buffers, shared by every put: a chunk's buffer is taken before it
   * is filled and given back once all its copies are stored. Without it, memory grows
   * with the number of concurrent puts (issue 8: 64 puts of 64 MiB).
   */
  readonly bufferPool?: ChunkBufferPool;
  /** Durable copies before a chunk is acknowledged, 1..R; default a majority of R. */
  readonly writeQuorum?: number;
  /** A copy unanswered this long gets a stand-in (default chunkCopyHedgeDelayMillisecondsDefault). */
  readonly hedgeDelayMilliseconds?: number;
  /** Once W copies are durable, the longest wait for the rest (default chunkCopyStragglerWait...). */
  readonly stragglerWaitMilliseconds?: number;
}

/** Stores every chunk of `source` on W..R members; `prefix` is data already read. */
export async function writeChunks(
  context: ChunkPlacementContext,
  source: AsyncIterable<Uint8Array>,
  prefix: Uint8Array,
  options: WriteChunksOptions,
): Promise<WrittenChunks> {
  assert(options.inflightChunksMax >= 1, 'at least one chunk in flight');
  const copyContext = withSuspicion(context);
  const objectHash = createHash('sha256');
  const chunks: ManifestChunk[] = [];
  const inflight: Promise<void>[] = [];
  let size = 0;
  const ring = context.rings()[0];
  if (ring === undefined)
    throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'this node has no placement ring yet');
  const pool = options.bufferPool;
  if (pool !== undefined)
    assert(pool.chunkSizeBytes === options.chunkSizeBytes, 'pool buffers are chunk-sized');
  const settings = quorumSettingsFor(context, ring.replicationFactor, options);
  const copiesWanted = settings.replicationFactor;
  let copiesMin = copiesWanted;
  const storeChunk = async (bytes: Uint8Array): Promise<void> => {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    options.onChunkHashed?.(sha256);
    chunks.push({ sha256, size: bytes.length });
    objectHash.update(bytes);
    size += bytes.length;
    if (size > options.objectSizeBytesMax)
      throw new CairnError(
        'CAIRN_ERR_LIMIT_EXCEEDED',
        `the object exceeds ${options.objectSizeBytesMax} bytes`,
      );
    if (inflight.length >= options.inflightChunksMax) await inflight.shift();
    const candidates =
      context.firstReplicaOnly === true
        ? ring.replicasFor(sha256).slice(0, 1)
        : context.waitForAllCopies === true
          ? ring.replicasFor(sha256)
          : ring.preferenceListFor(sha256);
    const copies = storeChunkCopies(copyContext, candidates, sha256, bytes, settings);
    const stored = copies.then((result) => {
      copiesMin = Math.min(copiesMin, result.holders.length);
      options.onProgress?.(bytes.length);
    });
    stored.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    inflight.push(stored);
    handedOver = true;
    // The buffer is reused only once no copy can still be reading it, failed ones included
    // (storeChunkCopies settles a failure only after every attempt has).
    void copies.then(
      (result) => result.settled.then(() => pool?.release(bytes)),
      () => pool?.release(bytes),
    );
  };
  // Whether the buffer of the chunk being handled has passed to its copies.
  let handedOver = true;
  for await (const bytes of cutIntoChunks(source, prefix, options.chunkSizeBytes, pool)) {
    handedOver = false;
    try {
      await storeChunk(bytes);
    } finally {
      if (!handedOver) pool?.release(bytes);
    }
  }
  await Promise.all(inflight);
  return { chunks, size, sha256: objectHash.digest('hex'), copiesMin, copiesWanted };
}

/** R, W and the waits of one put (planted test bugs included). */
function quorumSettingsFor(
  context: ChunkPlacementContext,
  ringReplicationFactor: number,
  options: WriteChunksOptions,
): ChunkQuorumSettings {
  const copiesWanted = context.firstReplicaOnly === true ? 1 : ringReplicationFactor;
  const settings = {
    replicationFactor: copiesWanted,
    writeQuorum:
      context.waitForAllCopies === true
        ? copiesWanted
        : Math.min(copiesWanted, options.writeQuorum ?? majorityOf(ringReplicationFactor)),
    hedgeDelayMilliseconds:
      options.hedgeDelayMilliseconds ?? limits.chunkCopyHedgeDelayMillisecondsDefault,
    stragglerWaitMilliseconds:
      options.stragglerWaitMilliseconds ?? limits.chunkCopyStragglerWaitMillisecondsDefault,
  };
  assert(
    Number.isSafeInteger(settings.writeQuorum) && settings.writeQuorum >= 1,
    `write quorum ${settings.writeQuorum} is an integer in 1..R`,
  );
  return settings;
}

/**
 * Yields chunks of exactly `chunkSizeBytes` (the last one shorter), copying each once.
 * With a pool, each buffer comes from it (so a put waits there, reading nothing more,
 * while the node's buffers are all in use) and the consumer gives every yielded chunk
 * back with `pool.release`; a buffer never yielded is given back here.
 */
export async function* cutIntoChunks(
  source: AsyncIterable<Uint8Array>,
  prefix: Uint8Array,
  chunkSizeBytes: number,
  pool?: ChunkBufferPool,
): AsyncGenerator<Uint8Array> {
  let buffer: Uint8Array | null = null;
  let filled = 0;
  try {
    for await (const piece of withPrefix(prefix, source)) {
      let offset = 0;
      while (offset < piece.length) {
        if (buffer === null) {
          buffer = pool === undefined ? new Uint8Array(chunkSizeBytes) : await pool.acquire();
          filled = 0;
        }
        const count = Math.min(chunkSizeBytes - filled, piece.length - offset);
        buffer.set(piece.subarray(offset, offset + count), filled);
        filled += count;
        offset += count;
        if (filled === chunkSizeBytes) {
          const full = buffer;
          buffer = null;
          yield full;
        }
      }
    }
    if (buffer !== null) {
      const last = buffer.subarray(0, filled);
      buffer = null;
      yield last;
    }
  } finally {
    if (buffer !== null) pool?.release(buffer);
  }
}

async function* withPrefix(
  prefix: Uint8Array,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (prefix.length > 0) yield prefix;
  yield* source;
}

/** Streams the object's chunks in order, each verified; prefetches one chunk ahead. */
export async function* readChunks(
  given: ChunkPlacementContext,
  chunks: readonly ManifestChunk[],
): AsyncGenerator<Uint8Array> {
  const context = withSuspicion(given);
  let next: Promise<Uint8Array> | undefined =
    chunks[0] === undefined ? undefined : readChunk(context, chunks[0]);
  for (let index = 0; index < chunks.length; index++) {
    const current = next as Promise<Uint8Array>;
    const following = chunks[index + 1];
    next = following === undefined ? undefined : readChunk(context, following);
    next?.catch(() => undefined); // surfaced when awaited in order
    yield await current;
  }
}

async function readChunk(
  context: ChunkPlacementContext,
  chunk: ManifestChunk,
): Promise<Uint8Array> {
  const candidates = replicaCandidates(context, chunk.sha256);
  const failures: string[] = [];
  for (let index = 0; index < candidates.length; index++) {
    const { memberId, expected } = candidates[index] as ReadCandidate;
    // A quick give-up only while another member is left to try; the last gets the full time.
    const last = index === candidates.length - 1;
    try {
      const bytes =
        memberId === context.selfId
          ? await context.store.read(chunk.sha256)
          : await fetchRemote(context, memberId, chunk.sha256, last);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== chunk.sha256 || bytes.length !== chunk.size)
        throw new Error(`content hashes to ${actual.slice(0, 12)}…, ${bytes.length} bytes`);
      context.suspicion?.noteSuccess(memberId);
      return bytes;
    } catch (error) {
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_UNAVAILABLE')
        context.suspicion?.noteFailure(memberId);
      const reason = error instanceof Error ? error.message : String(error);
      failures.push(`${memberId}: ${reason}`);
      // Beyond the home nodes a copy is only a maybe (a hinted stand-in): its absence is
      // no fault; anything else (a wrong copy, an unreachable member) is reported.
      if (expected || !isNotFound(error)) context.onBadCopy?.(memberId, chunk.sha256, reason);
    }
  }
  throw new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `no healthy copy of chunk ${chunk.sha256.slice(0, 12)}… (${failures.join('; ') || 'no replicas'})`,
  );
}

async function fetchRemote(
  context: ChunkPlacementContext,
  memberId: string,
  sha256: string,
  last: boolean,
): Promise<Uint8Array> {
  const address = context.peerAddressOf(memberId);
  if (address === undefined) throw new Error('no peer address known');
  if (last) return context.transport.get(address, sha256);
  return context.transport.get(address, sha256, {
    headersTimeoutMilliseconds: limits.chunkReadHeadersTimeoutMilliseconds,
  });
}

function isNotFound(error: unknown): boolean {
  return error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND';
}

interface ReadCandidate {
  readonly memberId: string;
  /** A home node of some ring: it should hold the chunk. */
  readonly expected: boolean;
}

/**
 * Where to look, in order: the newest ring's home nodes (self first among them), the
 * rest of its preference list (where stand-in copies land; self first), then older
 * epochs' home nodes (migration fallback). Each member once.
 */
function replicaCandidates(context: ChunkPlacementContext, sha256: string): ReadCandidate[] {
  const ordered: ReadCandidate[] = [];
  const seen = new Set<string>();
  const add = (memberIds: readonly string[], expected: boolean): void => {
    if (memberIds.includes(context.selfId) && !seen.has(context.selfId)) {
      seen.add(context.selfId);
      ordered.push({ memberId: context.selfId, expected });
    }
    for (const memberId of memberIds) {
      if (seen.has(memberId)) continue;
      seen.add(memberId);
      ordered.push({ memberId, expected });
    }
  };
  const rings = context.rings();
  const newest = rings[0];
  if (newest !== undefined) {
    const preferenceList = newest.preferenceListFor(sha256);
    add(preferenceList.slice(0, newest.replicationFactor), true);
    add(preferenceList.slice(newest.replicationFactor), false);
  }
  for (const ring of rings.slice(1)) add(ring.replicasFor(sha256), true);
  const suspicion = context.suspicion;
  if (suspicion === undefined) return ordered;
  // Members that failed lately go last (a hanging one would cost a request timeout).
  const suspected = ordered.filter((candidate) => suspicion.isSuspect(candidate.memberId));
  return [...ordered.filter((candidate) => !suspected.includes(candidate)), ...suspected];
}
