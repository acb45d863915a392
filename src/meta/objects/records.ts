// The objects family's records: object metadata, object statistics, request records.

import { limits } from '../../util/limits.js';
import {
  corrupt,
  readBoundedString,
  readBoundedVarint,
  readSha256Hex,
  readTag,
  writeSha256Hex,
} from '../codec.js';
import {
  finishRecord as finish,
  recordReader as reader,
  recordWriter as writer,
  safeIntegerMax as safeMax,
} from '../record-format.js';
import { type MetaResult, readResult, writeResult } from '../results.js';

export interface ManifestChunk {
  /** Lowercase hex SHA-256 of the chunk (64 digits); 32 raw bytes on the wire. */
  readonly sha256: string;
  readonly size: number;
}

export interface ObjectRecord {
  /** The revision of the key's last change. */
  readonly version: number;
  /** The revision that created the key (kept across overwrites, reset by delete). */
  readonly createdRevision: number;
  readonly size: number;
  readonly sha256: string;
  /** Inline bytes live under v/<key>; a manifest's chunks live here. */
  readonly body:
    | { readonly kind: 'inline' }
    | {
        readonly kind: 'manifest';
        readonly chunkSizeBytes: number;
        readonly chunks: readonly ManifestChunk[];
      };
}

export interface ObjectStatistics {
  readonly objectCount: number;
  readonly objectBytesTotal: number;
}

export const emptyObjectStatistics: ObjectStatistics = { objectCount: 0, objectBytesTotal: 0 };

export interface RequestRecord {
  /** The Raft index of the entry that applied the request (the deduplication clock). */
  readonly index: number;
  readonly key: string;
  readonly result: MetaResult;
}

const bodyTags = { inline: 1, manifest: 2 } as const;

export function encodeObject(record: ObjectRecord): Uint8Array {
  const out = writer(record.body.kind === 'inline' ? 64 : 64 + record.body.chunks.length * 40);
  out.writeVarint(record.version);
  out.writeVarint(record.createdRevision);
  out.writeVarint(record.size);
  writeSha256Hex(out, record.sha256);
  if (record.body.kind === 'inline') {
    out.writeUint8(bodyTags.inline);
  } else {
    out.writeUint8(bodyTags.manifest);
    out.writeVarint(record.body.chunkSizeBytes);
    out.writeVarint(record.body.chunks.length);
    for (const chunk of record.body.chunks) {
      writeSha256Hex(out, chunk.sha256);
      out.writeVarint(chunk.size);
    }
  }
  return finish(out);
}

export function decodeObject(bytes: Uint8Array): ObjectRecord {
  const what = 'object record';
  const input = reader(bytes, what);
  const version = readBoundedVarint(input, what, 'version', 1, safeMax);
  const createdRevision = readBoundedVarint(input, what, 'createdRevision', 1, version);
  const size = readBoundedVarint(input, what, 'size', 0, safeMax);
  const sha256 = readSha256Hex(input, what, 'sha256');
  const tag = readTag(input, what, 'body kind', bodyTags.manifest);
  let body: ObjectRecord['body'];
  if (tag === bodyTags.inline) {
    if (size > limits.objectInlineBytesMax) corrupt(what, `inline object of ${size} bytes`, input);
    body = { kind: 'inline' };
  } else {
    const chunkSizeBytes = readBoundedVarint(
      input,
      what,
      'chunkSizeBytes',
      1,
      limits.chunkSizeBytes,
    );
    const count = readBoundedVarint(input, what, 'chunk count', 1, limits.metaManifestChunksMax);
    const chunks: ManifestChunk[] = [];
    for (let index = 0; index < count; index++) {
      const chunkSha256 = readSha256Hex(input, what, 'chunk sha256');
      chunks.push({
        sha256: chunkSha256,
        size: readBoundedVarint(input, what, 'chunk size', 1, chunkSizeBytes),
      });
    }
    body = { kind: 'manifest', chunkSizeBytes, chunks };
  }
  input.expectEnd();
  return { version, createdRevision, size, sha256, body };
}

export function encodeObjectStatistics(statistics: ObjectStatistics): Uint8Array {
  const out = writer(24);
  out.writeVarint(statistics.objectCount);
  out.writeVarint(statistics.objectBytesTotal);
  return finish(out);
}

export function decodeObjectStatistics(bytes: Uint8Array): ObjectStatistics {
  const what = 'object statistics record';
  const input = reader(bytes, what);
  const objectCount = readBoundedVarint(input, what, 'objectCount', 0, safeMax);
  const objectBytesTotal = readBoundedVarint(input, what, 'objectBytesTotal', 0, safeMax);
  input.expectEnd();
  return { objectCount, objectBytesTotal };
}

export function encodeRequest(record: RequestRecord): Uint8Array {
  const out = writer(32 + record.key.length * 3);
  out.writeVarint(record.index);
  out.writeString(record.key);
  writeResult(out, record.result);
  return finish(out);
}

export function decodeRequest(bytes: Uint8Array): RequestRecord {
  const what = 'request record';
  const input = reader(bytes, what);
  const index = readBoundedVarint(input, what, 'index', 1, safeMax);
  const key = readBoundedString(input, what, 'key', limits.keyLengthBytesMax);
  const result = readResult(input, what);
  input.expectEnd();
  return { index, key, result };
}
