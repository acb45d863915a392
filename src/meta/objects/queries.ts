// Reads of the objects family. Linearizability is the caller's business (ReadIndex,
// then query the applied state); these only read a consistent store.

import { assert } from '../../util/assert.js';
import { CorruptionError, InvalidArgumentError } from '../../util/errors.js';
import { limits } from '../../util/limits.js';
import { objectKeyProblem, validateObjectKey } from '../keys.js';
import { decodeCounter } from '../record-format.js';
import type { MetaReader } from '../store.js';
import { chunkReferenceKey, inlineValueKey, objectKey, objectKeys, requestKey } from './keys.js';
import type { ManifestChunk, ObjectRecord, ObjectStatistics } from './records.js';
import {
  decodeObject,
  decodeObjectStatistics,
  decodeRequest,
  emptyObjectStatistics,
} from './records.js';

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

export function readObject(reader: MetaReader, key: string): ObjectRecord | undefined {
  const bytes = reader.get(objectKey(key));
  return bytes === undefined ? undefined : decodeObject(bytes);
}

/** A write with this request id already applied to `key` (its answer is recorded). */
export function requestApplied(reader: MetaReader, requestId: string, key: string): boolean {
  if (requestId === '') return false;
  const recorded = reader.get(requestKey(requestId));
  return recorded !== undefined && decodeRequest(recorded).key === key;
}

export function readObjectStatistics(reader: MetaReader): ObjectStatistics {
  const bytes = reader.get(objectKeys.statistics);
  return bytes === undefined ? emptyObjectStatistics : decodeObjectStatistics(bytes);
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
    const key = entry.key.slice(objectKeys.objectPrefix.length);
    items.push({ key, version: record.version, size: record.size, sha256: record.sha256 });
  }
  if (entries.length <= limit) return { items };
  const last = items[items.length - 1];
  assert(last !== undefined, 'a full page has a last item');
  return { items, nextAfter: last.key };
}

/**
 * References to a chunk from current manifests (0 when unreferenced or unknown). Garbage
 * collection deletes a chunk file only when this is 0 at a linearizable read and the file
 * is older than the grace period (a put may still be about to commit it).
 */
export function chunkReferenceCount(reader: MetaReader, sha256: string): number {
  const bytes = reader.get(chunkReferenceKey(sha256));
  return bytes === undefined ? 0 : decodeCounter(bytes, 'chunk reference count');
}
