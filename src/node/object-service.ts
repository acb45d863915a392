// Objects (DESIGN.md section 5): put, get, head, delete, list. Chunks first, manifest
// through Raft; reads after a ReadIndex barrier unless serializable.

import { createHash } from 'node:crypto';
import type { DeletedObject, ListObjectsPage, ObjectInfo, ReadConsistency } from '../api/index.js';
import { ChunkBufferPool } from '../data/chunk-buffer-pool.js';
import { readChunks, writeChunks, type ChunkPlacementContext } from '../data/object-data.js';
import {
  chunksCollectedMessagePrefix,
  type DeleteObjectCommand,
  type FamilyCommand,
  fencedMessagePrefix,
  getObject,
  listObjects,
  listObjectsAtRevision,
  readProgress,
  requestApplied,
  validateObjectKey,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
  type ObjectValue,
  type PutObjectCommand,
} from '../meta/index.js';
import { CairnError, NotFoundError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { InFlightChunks } from './in-flight-chunks.js';
import { fencedError } from './lock-service.js';

const chunksInflightMax = 3;

type CopiesMade = NonNullable<ObjectInfo['copies']>;

/** What the object service needs of the meta group. */
export interface ObjectGroup {
  propose(command: MetaCommand): Promise<MetaResult>;
  readBarrier(consistency: ReadConsistency): Promise<void>;
  reader(): MetaReader;
  /** Throws NOT_IN_CLUSTER before bootstrap or join. */
  requireMember(): void;
}

export interface ObjectServiceOptions {
  readonly group: ObjectGroup;
  readonly placement: () => ChunkPlacementContext;
  readonly refuseWritesWhenLow: () => void;
  readonly observe: (operation: string, milliseconds: number, bytes: number) => void;
  /** W from the cluster settings (undefined: a majority of R). */
  readonly writeQuorum?: () => number | undefined;
  /** A put was acknowledged with fewer than R copies of some chunk: repair has work. */
  readonly onUnderReplicated?: (copiesMade: number, copiesWanted: number) => void;
  /** Throws FENCED when a fence's lease is past its deadline here (lock service). */
  readonly checkFenceUsable?: (fence: Fence) => void;
  /** Whether a lease is past its deadline by this node's clock (lease service). */
  readonly leasePast?: (leaseId: number) => boolean;
  /** TEST ONLY (CAIRN_TEST_INJECT_BUG=fence-unchecked): fenced writes apply unchecked. */
  readonly ignoreFences?: boolean;
  /** Chunks of puts in flight, which the leader's garbage collection leaves (liveness). */
  readonly inFlight?: InFlightChunks;
  /** Test only (CAIRN_TEST_HOLD_PUT_COMMIT): runs after a chunked put's chunks are stored. */
  readonly beforeChunkedCommit?: (key: string) => Promise<void>;
}

/** A large body's chunks, stored and placed, with the index their writes began at. */
export interface ChunkedValue {
  readonly value: Extract<ObjectValue, { kind: 'manifest' }>;
  readonly size: number;
  readonly sha256: string;
  readonly writeStartIndex: number;
  /** Ends the chunks' in-flight hold: call once the manifest committed or failed. */
  readonly release: () => void;
}

/** x-cairn-fence: the write applies only while `token` holds lock `name`. */
export interface Fence {
  readonly name: string;
  readonly token: number;
}

export interface PutObjectOptions {
  /** Declared body length (content-length), when the client knows it. */
  readonly sizeBytes?: number;
  readonly ifVersion?: number;
  readonly ifAbsent?: boolean;
  /** Retries of one logical put share a request id, so it applies at most once. */
  readonly requestId?: string;
  readonly fence?: Fence;
  /** The object is deleted when this lease ends (x-cairn-lease). */
  readonly lease?: number;
}

export interface DeleteObjectOptions {
  readonly ifVersion?: number;
  readonly requestId?: string;
  readonly fence?: Fence;
}

export class ObjectService {
  /** Every put's chunk buffers together: bounds memory however many puts arrive at once. */
  private readonly chunkBuffers = new ChunkBufferPool(
    limits.chunkSizeBytes,
    limits.chunkBuffersPerNodeMax,
  );

  constructor(private readonly options: ObjectServiceOptions) {}

  async put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: PutObjectOptions,
  ): Promise<ObjectInfo> {
    validateObjectKey(key);
    this.options.group.requireMember();
    const started = performance.now();
    const held: string[] = [];
    try {
      return await this.putHolding(key, body, options, started, held);
    } finally {
      this.options.inFlight?.release(held);
    }
  }

  private async putHolding(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: PutObjectOptions,
    started: number,
    held: string[],
  ): Promise<ObjectInfo> {
    const iterator = body[Symbol.asyncIterator]();
    const { prefix, leftover } = await readPrefix(iterator, limits.objectInlineBytesMax + 1);
    const { value, size, sha256, copies, writeStartIndex } =
      prefix.length <= limits.objectInlineBytesMax
        ? inlineValue(prefix)
        : await this.chunkedValue(prefix, remaining(leftover, iterator), held);
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
    if (writeStartIndex !== undefined && this.options.beforeChunkedCommit !== undefined) {
      // The held put forgets its in-flight chunks first, as a coordinator that restarted
      // with its proposal still in the log would: the collector may then take them.
      this.options.inFlight?.release(held.splice(0));
      await this.options.beforeChunkedCommit(key);
    }
    this.options.group.requireMember();
    this.options.refuseWritesWhenLow();
    if (options.lease !== undefined && this.options.leasePast?.(options.lease) === true)
      throw new CairnError('CAIRN_ERR_NOT_FOUND', `lease ${options.lease} expired`);
    const result = await this.proposeFenced(
      options.fence,
      {
        type: 'putObject',
        key,
        value,
        requestId: options.requestId ?? '',
        ...(condition === undefined ? {} : { condition }),
        ...(writeStartIndex === undefined ? {} : { writeStartIndex }),
      },
      options.lease,
    );
    this.options.observe('put', performance.now() - started, size);
    const version = versionOrThrow(result, key);
    return { key, version, size, sha256, ...(copies === undefined ? {} : { copies }) };
  }

  /**
   * Stores a whole body as placed, durable chunks and commits nothing: a staged upload
   * (src/node/txn-service.ts) records the manifest itself. At least one byte.
   */
  async writeChunkedValue(body: AsyncIterable<Uint8Array>): Promise<ChunkedValue> {
    this.options.group.requireMember();
    this.options.refuseWritesWhenLow();
    const held: string[] = [];
    const release = () => this.options.inFlight?.release(held.splice(0));
    try {
      const chunked = await this.chunkedValue(new Uint8Array(0), body, held);
      const { value, writeStartIndex } = chunked;
      if (value.kind !== 'manifest') throw new CairnError('CAIRN_ERR_INTERNAL', 'chunks expected');
      return { value, size: chunked.size, sha256: chunked.sha256, writeStartIndex, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  private async chunkedValue(
    prefix: Uint8Array,
    rest: AsyncIterable<Uint8Array>,
    held: string[],
  ): Promise<{
    value: ObjectValue;
    size: number;
    sha256: string;
    copies: CopiesMade;
    writeStartIndex: number;
  }> {
    const writeQuorum = this.options.writeQuorum?.();
    // Read before the first chunk is stored: a collection after it refuses the commit.
    const writeStartIndex = readProgress(this.options.group.reader()).appliedIndex;
    const written = await writeChunks(this.options.placement(), rest, prefix, {
      chunkSizeBytes: limits.chunkSizeBytes,
      inflightChunksMax: chunksInflightMax,
      bufferPool: this.chunkBuffers,
      objectSizeBytesMax: limits.chunkSizeBytes * limits.metaManifestChunksMax,
      onChunkHashed: (sha256) => {
        this.options.inFlight?.add(sha256);
        held.push(sha256);
      },
      ...(writeQuorum === undefined ? {} : { writeQuorum }),
    });
    const { size, sha256 } = written;
    if (written.copiesMin < written.copiesWanted)
      this.options.onUnderReplicated?.(written.copiesMin, written.copiesWanted);
    return {
      value: {
        kind: 'manifest',
        size,
        sha256,
        chunkSizeBytes: limits.chunkSizeBytes,
        chunks: written.chunks,
      },
      size,
      sha256,
      copies: { made: written.copiesMin, wanted: written.copiesWanted },
      writeStartIndex,
    };
  }

  async get(
    key: string,
    consistency: ReadConsistency,
  ): Promise<{ info: ObjectInfo; body: AsyncIterable<Uint8Array> }> {
    validateObjectKey(key);
    await this.options.group.readBarrier(consistency);
    const object = getObject(this.options.group.reader(), key);
    if (object === undefined) throw new NotFoundError(`object "${key}"`);
    const info = { key, version: object.version, size: object.size, sha256: object.sha256 };
    this.options.observe('get', 0, object.size);
    if (object.body.kind === 'inline') return { info, body: inlineBody(object.body.bytes) };
    return { info, body: readChunks(this.options.placement(), object.body.chunks) };
  }

  async head(key: string, consistency: ReadConsistency): Promise<ObjectInfo> {
    validateObjectKey(key);
    await this.options.group.readBarrier(consistency);
    const object = getObject(this.options.group.reader(), key);
    if (object === undefined) throw new NotFoundError(`object "${key}"`);
    return { key, version: object.version, size: object.size, sha256: object.sha256 };
  }

  async delete(key: string, options: DeleteObjectOptions): Promise<DeletedObject> {
    validateObjectKey(key);
    const result = await this.proposeFenced(options.fence, {
      type: 'deleteObject',
      key,
      requestId: options.requestId ?? '',
      ...(options.ifVersion === undefined ? {} : { condition: { ifVersion: options.ifVersion } }),
    });
    return { key, version: versionOrThrow(result, key) };
  }

  /**
   * A fenced write is one batch entry: the lock check, then the write. Both apply or
   * neither does, so a token that lost its lock changes nothing.
   */
  private async proposeFenced(
    requestedFence: Fence | undefined,
    command: PutObjectCommand | DeleteObjectCommand,
    lease?: number,
  ): Promise<MetaResult> {
    const fence = this.options.ignoreFences === true ? undefined : requestedFence;
    if (fence === undefined && lease === undefined) return this.options.group.propose(command);
    // A retry of a write that applied skips the lease check: the batch answers it as before.
    const reader = this.options.group.reader();
    if (fence !== undefined && !requestApplied(reader, command.requestId, command.key))
      this.options.checkFenceUsable?.(fence);
    const commands: FamilyCommand[] = [];
    if (fence !== undefined)
      commands.push({ type: 'checkFence', name: fence.name, token: fence.token });
    commands.push(command);
    if (lease !== undefined)
      commands.push({ type: 'attachObject', leaseId: lease, key: command.key });
    const result = await this.options.group.propose({ type: 'batch', commands });
    if (
      lease !== undefined &&
      result.type === 'rejected' &&
      result.message.endsWith('(attachObject) did not apply: notFound')
    )
      throw new CairnError('CAIRN_ERR_NOT_FOUND', `lease ${lease} not found`);
    if (fence !== undefined && result.type === 'rejected')
      if (result.message.includes(fencedMessagePrefix)) throw fencedError(fence);
    if (result.type !== 'rejected') return result;
    // The write's own refusal inside the batch: answer as the write alone would.
    const preview = result.message.match(/conflict, current version (\d+)$/);
    if (preview !== null) return { type: 'conflict', currentVersion: Number(preview[1]) };
    if (result.message.endsWith(': notFound')) return { type: 'notFound' };
    return result;
  }

  /** A page of the current state, or of a retained revision (`atRevision`, pinned by the caller). */
  async list(request: {
    prefix: string;
    after: string;
    limit: number;
    consistency: ReadConsistency;
    atRevision?: number;
  }): Promise<ListObjectsPage> {
    await this.options.group.readBarrier(request.consistency);
    const reader = this.options.group.reader();
    const options = {
      prefix: request.prefix,
      limit: request.limit,
      ...(request.after === '' ? {} : { after: request.after }),
    };
    // The listing and its revision come from one synchronous read of the applied state.
    const current = readProgress(reader).revision;
    if (request.atRevision === undefined || request.atRevision === current) {
      const page = listObjects(reader, options);
      return { items: page.items, nextAfter: page.nextAfter ?? null, revision: current };
    }
    const page = listObjectsAtRevision(reader, { ...options, revision: request.atRevision });
    return { items: page.items, nextAfter: page.nextAfter ?? null, revision: page.revision };
  }
}

async function* inlineBody(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield Buffer.from(bytes);
}

function inlineValue(prefix: Uint8Array): {
  value: ObjectValue;
  size: number;
  sha256: string;
  copies?: CopiesMade;
  writeStartIndex?: number;
} {
  return {
    value: { kind: 'inline', bytes: prefix },
    size: prefix.length,
    sha256: createHash('sha256').update(prefix).digest('hex'),
  };
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
        { details: { currentVersion: result.currentVersion } },
      );
    case 'notFound':
      throw new NotFoundError(`object "${key}"`);
    case 'rejected':
      throw rejectionError(result.message);
    case 'transaction':
      throw new CairnError('CAIRN_ERR_INTERNAL', 'an object command answered as a transaction');
  }
}

/** A refused commit: retryable when a collection took its chunks (the client writes again). */
export function rejectionError(message: string): CairnError {
  if (message.includes(chunksCollectedMessagePrefix))
    return new CairnError('CAIRN_ERR_CHUNKS_COLLECTED', message);
  return new CairnError('CAIRN_ERR_INVALID_ARGUMENT', message);
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
