// Every chunk referenced by a current manifest, with its size, read from a consistent
// meta state (the caller decides how fresh: a leader after a read barrier). Bounded by
// maintenanceChunksScanMax.

import { listObjects, listStagedUploads, readObject, type MetaReader } from '../../meta/index.js';
import { CairnError } from '../../util/errors.js';
import { limits } from '../../util/limits.js';
import type { ChunkReference } from './reconcile.js';

export function referencedChunks(reader: MetaReader): ChunkReference[] {
  const sizes = new Map<string, number>();
  let after: string | undefined;
  const pagesMax = Math.ceil(limits.maintenanceChunksScanMax / limits.listPageKeysMax) + 1;
  for (let page = 0; page < pagesMax; page++) {
    const listed = listObjects(reader, {
      limit: limits.listPageKeysMax,
      ...(after === undefined ? {} : { after }),
    });
    for (const item of listed.items) {
      const record = readObject(reader, item.key);
      if (record === undefined || record.body.kind !== 'manifest') continue;
      for (const chunk of record.body.chunks) sizes.set(chunk.sha256, chunk.size);
      if (sizes.size > limits.maintenanceChunksScanMax) {
        throw new CairnError(
          'CAIRN_ERR_LIMIT_EXCEEDED',
          `more than maintenanceChunksScanMax (${limits.maintenanceChunksScanMax}) referenced chunks`,
        );
      }
    }
    if (listed.nextAfter === undefined) break;
    after = listed.nextAfter;
  }
  addStagedChunks(reader, sizes, pagesMax);
  return [...sizes]
    .map(([sha256, bytes]) => ({ sha256, bytes }))
    .sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
}

/** Chunks of staged uploads (issue 16) count too: rebalance and repair keep them placed. */
function addStagedChunks(reader: MetaReader, sizes: Map<string, number>, pagesMax: number): void {
  let after: string | undefined;
  for (let page = 0; page < pagesMax; page++) {
    const staged = listStagedUploads(reader, after, limits.listPageKeysMax);
    for (const { record } of staged) {
      for (const chunk of record.chunks) sizes.set(chunk.sha256, chunk.size);
      if (sizes.size > limits.maintenanceChunksScanMax)
        throw new CairnError(
          'CAIRN_ERR_LIMIT_EXCEEDED',
          `more than maintenanceChunksScanMax (${limits.maintenanceChunksScanMax}) referenced chunks`,
        );
    }
    const last = staged[staged.length - 1];
    if (last === undefined || staged.length < limits.listPageKeysMax) return;
    after = last.handle;
  }
}
