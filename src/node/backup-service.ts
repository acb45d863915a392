// What `cairn backup` needs from a node (issue 18): the objects of the meta state at one
// consistent point, as NDJSON lines read from one state store read transaction while
// writes go on; one chunk, read from its replicas and verified; and raising the
// revision base of a new cluster above a restored backup's revision, so revisions,
// fencing tokens and lease ids (all revisions) continue above the old cluster's.

import type { ReadConsistency } from '../api/index.js';
import { readChunks, type ChunkPlacementContext } from '../data/object-data.js';
import {
  getObject,
  listObjects,
  readProgress,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
} from '../meta/index.js';
import { assert } from '../util/assert.js';
import { CairnError, CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export interface BackupGroup {
  readBarrier(consistency: ReadConsistency): Promise<void>;
  openReadView(): { reader: MetaReader; appliedIndex: number; close(): void };
  propose(command: MetaCommand): Promise<MetaResult>;
  identity(): { readonly clusterId: string } | undefined;
}

/** The first line of an export; then one line per object; then the trailer. */
export interface ExportHeader {
  readonly format: 'cairn-backup-objects';
  readonly version: 1;
  readonly clusterId: string;
  readonly revision: number;
  readonly appliedIndex: number;
}

export class BackupService {
  constructor(
    private readonly options: {
      readonly group: BackupGroup;
      readonly placement: () => ChunkPlacementContext;
    },
  ) {}

  /**
   * Every object under `prefix` at one point (after a linearizable barrier), as NDJSON
   * lines: the header, one line per object (its chunks, or its inline bytes in base64),
   * and a trailer counting them. The read stays open until the generator ends.
   */
  async *exportLines(prefix: string): AsyncGenerator<string, void, undefined> {
    const { group } = this.options;
    await group.readBarrier('linearizable');
    const view = group.openReadView();
    try {
      const progress = readProgress(view.reader);
      const header: ExportHeader = {
        format: 'cairn-backup-objects',
        version: 1,
        clusterId: group.identity()?.clusterId ?? '',
        revision: progress.revision,
        appliedIndex: view.appliedIndex,
      };
      yield `${JSON.stringify(header)}\n`;
      let after: string | undefined;
      let objects = 0;
      let bytes = 0;
      for (let page = 0; page < Number.MAX_SAFE_INTEGER; page++) {
        const listed = listObjects(view.reader, {
          prefix,
          ...(after === undefined ? {} : { after }),
          limit: limits.listPageKeysMax,
        });
        for (const item of listed.items) {
          yield `${JSON.stringify(objectLine(view.reader, item.key))}\n`;
          objects++;
          bytes += item.size;
        }
        if (listed.nextAfter === undefined) break;
        after = listed.nextAfter;
      }
      yield `${JSON.stringify({ end: true, objects, bytes })}\n`;
    } finally {
      view.close();
    }
  }

  /** One chunk from the nearest healthy replica, verified against its SHA-256 and size. */
  readChunk(sha256: string, size: number): AsyncIterable<Uint8Array> {
    return readChunks(this.options.placement(), [{ sha256, size }]);
  }

  /** Revisions continue above `revision` (a restore into a new cluster). */
  async raiseRevisionBase(revision: number): Promise<{ revision: number }> {
    const result = await this.options.group.propose({ type: 'raiseRevisionBase', revision });
    if (result.type === 'rejected') throw new CairnError('CAIRN_ERR_CONFLICT', result.message);
    assert(result.type === 'ok', 'raising the revision base answers ok or rejected');
    return { revision: result.version };
  }
}

function objectLine(reader: MetaReader, key: string): Record<string, unknown> {
  const object = getObject(reader, key);
  if (object === undefined)
    throw new CorruptionError(`object ${JSON.stringify(key)} is listed but cannot be read`, {
      key,
    });
  const { version, createdRevision, size, sha256, body } = object;
  const common = { key, version, createdRevision, size, sha256 };
  if (body.kind === 'inline')
    return { ...common, inline: Buffer.from(body.bytes).toString('base64') };
  return {
    ...common,
    chunkSizeBytes: body.chunkSizeBytes,
    chunks: body.chunks.map((chunk) => [chunk.sha256, chunk.size]),
  };
}
