// The client routes of `cairn backup` (issue 18): the objects export (NDJSON, read at one
// point), one chunk (verified bytes), and raising the revision base. A stream's first
// item is read before the status is sent, so a failure to start is a proper error answer;
// a failure later cuts the stream, which the reader notices (no trailer, short chunk).

import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isChunkId } from '../api/index.js';
import type { BackupService } from '../node/backup-service.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { HandlersFor } from './dispatch.js';

type BackupRoutes = 'backupExport' | 'backupChunk' | 'revisionBase';

export function backupHandlers(backup: BackupService): Pick<HandlersFor<'client'>, BackupRoutes> {
  return {
    backupExport: ({ query, request, response }) =>
      streamOut(backup.exportLines(query.prefix), 'application/x-ndjson', request, response),
    backupChunk: ({ params, query, request, response }) => {
      const sha256 = params['sha256'] ?? '';
      if (!isChunkId(sha256))
        throw new InvalidArgumentError('a chunk id is 64 lowercase hex digits');
      if (query.size < 0)
        throw new InvalidArgumentError('size (the chunk size in bytes) is required');
      const body = backup.readChunk(sha256, query.size);
      return streamOut(body, 'application/octet-stream', request, response);
    },
    revisionBase: ({ body }) => backup.raiseRevisionBase(body.revision),
  };
}

async function streamOut(
  source: AsyncIterable<string | Uint8Array>,
  contentType: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  let closed = false;
  response.once('close', () => {
    closed = true;
  });
  request.resume();
  let item = await iterator.next();
  response.writeHead(200, { 'content-type': contentType });
  try {
    // Bounded by the source: an export ends after its trailer, a chunk after its bytes.
    for (let count = 0; !item.done && count < Number.MAX_SAFE_INTEGER; count++) {
      if (closed) return;
      if (!response.write(item.value))
        await Promise.race([once(response, 'drain'), once(response, 'close')]);
      item = await iterator.next();
    }
    response.end();
  } catch (error) {
    response.destroy(error as Error);
  } finally {
    await iterator.return?.();
  }
}
