// `cairn put --stage`: streams a file (or stdin) to POST /v1/staging and answers the
// handle, with the txn operation that commits it under the key.

import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StagedUpload } from '../api/index.js';
import type { CairnClient } from '../client/index.js';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { ProgressLine } from './progress.js';

export interface StagedPut extends StagedUpload {
  readonly key: string;
  /** The operation of a txn's success list that commits this upload under the key. */
  readonly operation: { readonly type: 'putStaged'; readonly key: string; readonly handle: string };
}

export async function stageObjectFrom(
  client: CairnClient,
  request: { key: string; source: string; lifetimeMilliseconds?: number; stdin?: Readable },
): Promise<StagedPut> {
  let size: number | undefined;
  let body: Readable | (() => Readable);
  if (request.source === '-') body = request.stdin ?? process.stdin;
  else {
    try {
      const stat = statSync(request.source);
      if (!stat.isFile()) throw new InvalidArgumentError(`${request.source} is not a regular file`);
      size = stat.size;
    } catch (error) {
      if (error instanceof CairnError) throw error;
      throw new InvalidArgumentError(`cannot read ${request.source}: ${(error as Error).message}`);
    }
    const path = request.source;
    body = () => createReadStream(path);
  }
  const progress = new ProgressLine({
    label: `stage ${request.key}`,
    unit: 'bytes',
    ...(size === undefined ? {} : { total: size }),
  });
  let reported = 0;
  try {
    const staged = await client.stageObject(body, {
      ...(size === undefined ? {} : { size }),
      ...(request.lifetimeMilliseconds === undefined
        ? {}
        : { lifetimeMilliseconds: request.lifetimeMilliseconds }),
      onProgress: (bytesSent) => {
        if (bytesSent < reported) reported = 0;
        progress.advance(bytesSent - reported);
        reported = bytesSent;
      },
    });
    const operation = { type: 'putStaged' as const, key: request.key, handle: staged.handle };
    return { ...staged, key: request.key, operation };
  } finally {
    progress.finish();
  }
}
