// Small node:http servers on 127.0.0.1, port 0, that play the cairn client API for
// the client tests (the real server does not exist yet). Each records the requests
// it received, so tests can count attempts per endpoint.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

export type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  server: StandInServer,
) => void | Promise<void>;

export interface StandInServer {
  /** "127.0.0.1:port" */
  readonly name: string;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<StandInServer> {
  const requests: RecordedRequest[] = [];
  let standIn: StandInServer | undefined;
  const server: Server = createServer((request, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
    });
    Promise.resolve(handler(request, response, standIn as StandInServer)).catch(
      (error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  standIn = {
    name: `127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}

/** An endpoint where nothing listens: a port that was just bound and released. */
export async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): void {
  sendJson(response, status, { error: { code, message, details } });
}

/** Reads a request body whole (test bodies are a few MiB at most). */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface StoredObject {
  readonly bytes: Buffer;
  readonly version: number;
}

/** A handler that behaves like a one-node cairn: objects in a map, versions from a counter. */
export function objectStoreHandler(): Handler {
  const objects = new Map<string, StoredObject>();
  let revision = 0;
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (url.pathname === '/v1/objects' && request.method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const after = url.searchParams.get('after');
      const limit = Number(url.searchParams.get('limit') ?? '1000');
      const keys = [...objects.keys()]
        .filter((key) => key.startsWith(prefix) && (after === null || key > after))
        .sort();
      const page = keys.slice(0, limit);
      const items = page.map((key) => metadataOf(key, objects.get(key) as StoredObject));
      const nextAfter = keys.length > limit ? (page[page.length - 1] as string) : null;
      sendJson(response, 200, { items, nextAfter });
      return;
    }
    if (!url.pathname.startsWith('/v1/objects/'))
      return sendError(response, 404, 'NOT_FOUND', 'no such endpoint');
    const key = decodeURIComponent(url.pathname.slice('/v1/objects/'.length));
    const stored = objects.get(key);
    const ifVersion = request.headers['if-match-version'];
    if (request.method === 'PUT' || request.method === 'DELETE') {
      const body = await readBody(request);
      if (ifVersion !== undefined && String(stored?.version) !== ifVersion) {
        return sendError(response, 412, 'PRECONDITION_FAILED', `version is not ${ifVersion}`, {
          currentVersion: stored?.version ?? null,
        });
      }
      if (request.headers['if-none-match'] === '*' && stored !== undefined) {
        return sendError(response, 412, 'PRECONDITION_FAILED', 'key exists');
      }
      revision += 1;
      if (request.method === 'DELETE') {
        if (stored === undefined)
          return sendError(response, 404, 'NOT_FOUND', `key ${key} not found`);
        objects.delete(key);
        return sendJson(response, 200, { key, version: revision });
      }
      objects.set(key, { bytes: body, version: revision });
      return sendJson(response, 200, metadataOf(key, { bytes: body, version: revision }));
    }
    if (stored === undefined) {
      if (request.method === 'HEAD') return void response.writeHead(404).end();
      return sendError(response, 404, 'NOT_FOUND', `key ${key} not found`);
    }
    response.writeHead(200, {
      'content-length': stored.bytes.byteLength,
      'x-cairn-version': String(stored.version),
      'x-cairn-sha256': sha256Hex(stored.bytes),
    });
    response.end(request.method === 'HEAD' ? undefined : stored.bytes);
  };
}

function metadataOf(
  key: string,
  stored: StoredObject,
): { key: string; version: number; size: number; sha256: string } {
  return {
    key,
    version: stored.version,
    size: stored.bytes.byteLength,
    sha256: sha256Hex(stored.bytes),
  };
}

/** Rejects if the promise does not settle within the deadline (every wait in a test is bounded). */
export async function withDeadline<T>(
  promise: Promise<T>,
  milliseconds: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no result within ${milliseconds} ms`)),
      milliseconds,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
