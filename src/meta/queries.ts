// Read-only queries over the meta state. Linearizability is the caller's business
// (ReadIndex, then query the applied state); these only read a consistent store.

import { assert } from '../util/assert.js';
import { CorruptionError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { RingDescription } from '../placement/index.js';
import type { ManifestChunk } from './commands.js';
import {
  inlineValueKey,
  metaKeys,
  objectKey,
  objectKeyProblem,
  ringKey,
  validateObjectKey,
} from './keys.js';
import type { ClusterIdentity, MemberRecord, MetaProgress, RingState } from './records.js';
import { decodeCounter, decodeObject, decodeRing } from './records.js';
import {
  readIdentity,
  readMembers,
  readObject,
  readProgress,
  readRingState,
} from './state-machine.js';
import type { MetaReader } from './store.js';

export interface ObjectSummary {
  readonly key: string;
  /** The revision at which this content was written. */
  readonly version: number;
  readonly size: number;
  /** Lowercase hex SHA-256 of the whole object. */
  readonly sha256: string;
}

export interface ObjectInfo extends ObjectSummary {
  /** The revision at which the key was created (kept across overwrites). */
  readonly createdRevision: number;
  readonly body:
    | { readonly kind: 'inline'; readonly bytes: Uint8Array }
    | {
        readonly kind: 'manifest';
        readonly chunkSizeBytes: number;
        readonly chunks: readonly ManifestChunk[];
      };
}

export function getObject(reader: MetaReader, key: string): ObjectInfo | undefined {
  validateObjectKey(key);
  const record = readObject(reader, key);
  if (record === undefined) return undefined;
  const summary = {
    key,
    version: record.version,
    createdRevision: record.createdRevision,
    size: record.size,
    sha256: record.sha256,
  };
  if (record.body.kind === 'manifest') return { ...summary, body: record.body };
  const bytes = reader.get(inlineValueKey(key));
  if (bytes === undefined || bytes.length !== record.size) {
    // The store lost or damaged what apply wrote together: refuse to serve it.
    throw new CorruptionError(
      `inline bytes of object ${JSON.stringify(key)} are missing or not ${record.size} bytes`,
      { key },
    );
  }
  return { ...summary, body: { kind: 'inline', bytes } };
}

export interface ListObjectsOptions {
  /** Only keys starting with this (may be empty: all keys). */
  readonly prefix?: string;
  /** Only keys after this one (exclusive): the previous page's nextAfter. */
  readonly after?: string;
  /** 1 to listPageKeysMax; listPageKeysMax by default. */
  readonly limit?: number;
}

export interface ListObjectsPage {
  /** In ascending UTF-8 byte order of the key. */
  readonly items: ObjectSummary[];
  /** Present when more keys may follow: pass it as `after` for the next page. */
  readonly nextAfter?: string;
}

export function listObjects(reader: MetaReader, options: ListObjectsOptions = {}): ListObjectsPage {
  const prefix = options.prefix ?? '';
  const limit = options.limit ?? limits.listPageKeysMax;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > limits.listPageKeysMax) {
    throw new InvalidArgumentError(
      `limit must be an integer in [1, ${limits.listPageKeysMax}] (listPageKeysMax), got ${String(limit)}`,
    );
  }
  if (prefix !== '' && objectKeyProblem(prefix) !== undefined) {
    throw new InvalidArgumentError(`prefix: ${objectKeyProblem(prefix) as string}`);
  }
  if (options.after !== undefined) validateObjectKey(options.after);
  const after = options.after === undefined ? undefined : objectKey(options.after);
  // One extra entry tells whether another page exists, so the last page has no nextAfter.
  const entries = reader.rangeEntries(objectKey(prefix), after, limit + 1);
  const items: ObjectSummary[] = [];
  for (const entry of entries.slice(0, limit)) {
    const record = decodeObject(entry.value);
    const key = entry.key.slice(metaKeys.objectPrefix.length);
    items.push({ key, version: record.version, size: record.size, sha256: record.sha256 });
  }
  if (entries.length <= limit) return { items };
  const last = items[items.length - 1];
  assert(last !== undefined, 'a full page has a last item');
  return { items, nextAfter: last.key };
}

export interface ClusterInfo {
  readonly identity: ClusterIdentity | undefined;
  readonly progress: MetaProgress;
  readonly ring: RingState | undefined;
  readonly memberCount: number;
}

export function clusterInfo(reader: MetaReader): ClusterInfo {
  return {
    identity: readIdentity(reader),
    progress: readProgress(reader),
    ring: readRingState(reader),
    memberCount: readMembers(reader).length,
  };
}

export function members(reader: MetaReader): MemberRecord[] {
  return readMembers(reader);
}

/** The ring of the current epoch, or undefined before bootstrap. */
export function currentRing(reader: MetaReader): RingDescription | undefined {
  const state = readRingState(reader);
  return state === undefined ? undefined : ringAt(reader, state.currentEpoch);
}

/** The ring data has fully moved to (rebalance moves from it to the current one). */
export function settledRing(reader: MetaReader): RingDescription | undefined {
  const state = readRingState(reader);
  return state === undefined ? undefined : ringAt(reader, state.settledEpoch);
}

export function ringAt(reader: MetaReader, epoch: number): RingDescription | undefined {
  const bytes = reader.get(ringKey(epoch));
  return bytes === undefined ? undefined : decodeRing(bytes);
}

export interface UnreferencedChunk {
  readonly sha256: string;
  /** The revision of the delete or overwrite that dropped its last reference. */
  readonly unreferencedRevision: number;
}

/** Chunks no manifest references, for garbage collection, in SHA-256 order, paginated. */
export function unreferencedChunks(
  reader: MetaReader,
  after: string | undefined,
  limit: number,
): UnreferencedChunk[] {
  assert(
    Number.isSafeInteger(limit) && limit >= 1 && limit <= limits.listPageKeysMax,
    'unreferenced chunk page limit',
  );
  const entries = reader.rangeEntries(
    metaKeys.garbagePrefix,
    after === undefined ? undefined : metaKeys.garbagePrefix + after,
    limit,
  );
  return entries.map((entry) => ({
    sha256: entry.key.slice(metaKeys.garbagePrefix.length),
    unreferencedRevision: decodeCounterValue(entry.value),
  }));
}

/** References to a chunk from current manifests (0 when unreferenced or unknown). */
export function chunkReferenceCount(reader: MetaReader, sha256: string): number {
  const bytes = reader.get(metaKeys.chunkReferencePrefix + sha256);
  return bytes === undefined ? 0 : decodeCounterValue(bytes);
}

function decodeCounterValue(bytes: Uint8Array): number {
  return decodeCounter(bytes, 'chunk counter record');
}
