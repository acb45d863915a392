// Chunk copies between nodes over the peer port: PUT stores a chunk durably (the
// 200 is sent only after fsync and rename), GET streams a verified chunk. Bulk data
// uses its own connection pools, so a large transfer never queues behind or ahead of
// Raft heartbeats on the same connection.

import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { routePath, routes } from '../api/index.js';
import { baseUrl, nodeDialOptions } from '../net/index.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { isSha256 } from '../storage/chunk-store.js';
import type { HintsStore } from '../storage/hints-store.js';
import { isHintHomeMemberId } from '../storage/hints-store.js';
import {
  CairnError,
  CorruptionError,
  InvalidArgumentError,
  NotFoundError,
} from '../util/errors.js';
import { limits } from '../util/limits.js';

function chunkPath(sha256: string): string {
  return routePath(routes.chunkPut, { sha256 });
}

/** On a chunk PUT: the copy stands in for this home member, which did not answer. */
export const hintHeader = 'x-cairn-hint-for';

/**
 * On a chunk PUT: the last garbage collection (its Raft index) the writer had applied; the
 * receiver stores the copy only once it reclaimed through it (src/node/chunk-reclaimer.ts).
 */
export const collectedThroughHeader = 'x-cairn-collected-through';

export interface ServeChunkHint {
  /** This node's hints store (without it a stand-in copy is stored but not hinted). */
  readonly hints?: HintsStore;
  /** The PUT's `x-cairn-hint-for` header, when it had one. */
  readonly homeMemberId?: string;
}

/**
 * Peer-port chunk routes (PUT stores durably, GET streams verified, HEAD asks). A PUT
 * standing in for a home node records its hint (durably, before the chunk is stored, so
 * a stored stand-in copy always has its hint; the hand-off drops a hint whose chunk never
 * arrived).
 */
export async function serveChunk(
  store: ChunkStore,
  method: 'PUT' | 'GET' | 'HEAD',
  sha256: string,
  request: AsyncIterable<Uint8Array>,
  response: ServerResponse,
  hint: ServeChunkHint = {},
): Promise<void> {
  if (!isSha256(sha256))
    throw new InvalidArgumentError(`"${sha256}" is not a lowercase hex SHA-256`);
  if (method === 'PUT') {
    const { hints, homeMemberId } = hint;
    let hinted = false;
    if (homeMemberId !== undefined && hints !== undefined) {
      if (!isHintHomeMemberId(homeMemberId))
        throw new InvalidArgumentError(`${hintHeader} "${homeMemberId}" is not a member id`);
      await hints.add({ sha256, homeMemberId });
      hinted = true;
    }
    const result = await store.write(request, sha256);
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ...result, hinted }));
    return;
  }
  if (!(await store.has(sha256))) throw new NotFoundError(`chunk ${sha256}`);
  if (method === 'HEAD') {
    response.writeHead(200).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  await pipeline(Readable.from(store.readStream(sha256)), response);
}

export class ChunkTransport {
  private readonly pools = new Map<string, Pool>();
  /**
   * The last collection this node applied, sent with every PUT. A node sets it from its
   * meta state (src/node/node-services.ts); 0 is right only for a writer with no state.
   */
  collectionIndex: () => number = () => 0;

  private pool(peerAddress: string): Pool {
    let pool = this.pools.get(peerAddress);
    if (pool === undefined) {
      pool = new Pool(baseUrl(peerAddress), {
        connections: 4,
        keepAliveTimeout: 30_000,
        ...nodeDialOptions(limits.peerConnectTimeoutMilliseconds),
      });
      this.pools.set(peerAddress, pool);
    }
    return pool;
  }

  /**
   * Stores `bytes` as chunk `sha256` on the peer; resolves once it is durable there.
   * `homeMemberId`: the copy stands in for that member (the peer records a hint).
   */
  async put(
    peerAddress: string,
    sha256: string,
    bytes: Uint8Array,
    options: { readonly homeMemberId?: string; readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    const response = await unreachableAsUnavailable(peerAddress, 'store', sha256, () =>
      this.pool(peerAddress).request({
        method: 'PUT',
        path: chunkPath(sha256),
        body: bytes,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(bytes.length),
          [collectedThroughHeader]: String(this.collectionIndex()),
          ...(options.homeMemberId === undefined ? {} : { [hintHeader]: options.homeMemberId }),
        },
        headersTimeout: limits.clientRequestTimeoutMilliseconds,
        bodyTimeout: limits.clientRequestTimeoutMilliseconds,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
    const text = await response.body.text();
    if (response.statusCode !== 200)
      throw peerError(peerAddress, 'store', sha256, response.statusCode, text);
  }

  /**
   * The chunk's bytes from the peer, verified by the caller. `headersTimeoutMilliseconds`:
   * a peer that has not begun to answer by then is given up (a reader tries the next).
   */
  async get(
    peerAddress: string,
    sha256: string,
    options: { readonly headersTimeoutMilliseconds?: number } = {},
  ): Promise<Uint8Array> {
    const response = await unreachableAsUnavailable(peerAddress, 'read', sha256, () =>
      this.pool(peerAddress).request({
        method: 'GET',
        path: chunkPath(sha256),
        headersTimeout:
          options.headersTimeoutMilliseconds ?? limits.clientRequestTimeoutMilliseconds,
        bodyTimeout: limits.clientRequestTimeoutMilliseconds,
      }),
    );
    if (response.statusCode !== 200)
      throw peerError(peerAddress, 'read', sha256, response.statusCode, await response.body.text());
    const bytes = new Uint8Array(await response.body.arrayBuffer());
    if (bytes.length > limits.chunkSizeBytes)
      throw new CorruptionError(
        `chunk ${sha256} from ${peerAddress} is ${bytes.length} bytes, above chunkSizeBytes`,
      );
    return bytes;
  }

  /** Whether the peer holds chunk `sha256` (HEAD; existence, not a re-hash). */
  async has(peerAddress: string, sha256: string): Promise<boolean> {
    const response = await unreachableAsUnavailable(peerAddress, 'look up', sha256, () =>
      this.pool(peerAddress).request({
        method: 'HEAD',
        path: chunkPath(sha256),
        headersTimeout: limits.clientRequestTimeoutMilliseconds,
      }),
    );
    const text = await response.body.text();
    if (response.statusCode === 200) return true;
    if (response.statusCode === 404) return false;
    throw peerError(peerAddress, 'look up', sha256, response.statusCode, text);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
  }
}

/**
 * A replica that cannot be reached fails the put before its manifest is proposed:
 * CAIRN_ERR_UNAVAILABLE with outcome "failed" (nothing was written), so clients may retry.
 */
async function unreachableAsUnavailable<T>(
  peerAddress: string,
  action: string,
  sha256: string,
  request: () => Promise<T>,
): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `could not ${action} chunk ${sha256.slice(0, 12)}… on ${peerAddress}: ${error instanceof Error ? error.message : String(error)}`,
      {
        details: { peer: peerAddress, outcome: 'failed' },
      },
    );
  }
}

function peerError(
  peerAddress: string,
  action: string,
  sha256: string,
  status: number,
  body: string,
): CairnError {
  let code = 'UNAVAILABLE';
  let message = body.slice(0, 200);
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  const errorCode =
    code === 'DISK_FULL'
      ? 'CAIRN_ERR_DISK_FULL'
      : code === 'NOT_FOUND'
        ? 'CAIRN_ERR_NOT_FOUND'
        : 'CAIRN_ERR_UNAVAILABLE';
  return new CairnError(
    errorCode,
    `could not ${action} chunk ${sha256.slice(0, 12)}… on ${peerAddress}: ${status} ${message}`,
    {
      details: { peer: peerAddress, status, outcome: 'failed' },
    },
  );
}
