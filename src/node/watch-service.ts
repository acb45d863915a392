// GET /v1/watch on one node: checks the start against the retained history (410
// COMPACTED below it), then streams the watch's lines (NDJSON) from the hub until the
// node ends it or the consumer goes away.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WatchInput } from '../api/index.js';
import type { WatchHub } from './watch-hub.js';

export async function serveWatch(
  hub: WatchHub,
  input: WatchInput,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // Throws before the headers: the caller answers with the error's status.
  const cursor = hub.startRevision(input);
  response.writeHead(200, {
    'content-type': 'application/x-ndjson',
    'cache-control': 'no-cache',
    'x-cairn-watch-start-revision': String(cursor),
  });
  response.flushHeaders();
  await new Promise<void>((resolve) => {
    let id: number | undefined;
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      if (id !== undefined) hub.remove(id);
      resolve();
    };
    response.on('close', finish);
    request.on('aborted', finish);
    response.on('drain', () => {
      if (id !== undefined) hub.notify(id);
    });
    id = hub.add(
      input.prefix,
      cursor,
      {
        write: (line) => {
          if (!response.destroyed) response.write(`${line}\n`);
        },
        bufferedBytes: () => response.writableLength,
        end: () => {
          response.end();
          finish();
        },
      },
      { values: input.values === true },
    );
  });
}
