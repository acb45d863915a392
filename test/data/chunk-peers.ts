// Stand-in chunk peers for the write-quorum tests: real HTTP servers on 127.0.0.1, each
// with its own chunk store and hints store behind the real chunk route, and addresses
// that refuse connections or accept and never answer. A member's mode says which
// address the writer is given for it, so a test takes a node "down" and back.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hintHeader, serveChunk } from '../../src/data/chunk-transfer.js';
import { Ring, createRingDescription } from '../../src/placement/index.js';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { HintsStore } from '../../src/storage/hints-store.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { CairnError } from '../../src/util/errors.js';

export type PeerMode = 'up' | 'refuse' | 'hang';

export interface StandInPeer {
  readonly memberId: string;
  readonly store: ChunkStore;
  readonly hints: HintsStore;
  readonly address: string;
  mode: PeerMode;
}

export interface StandInPeers {
  readonly peers: Map<string, StandInPeer>;
  readonly ring: Ring;
  /** The address the writer is given for a member, by its mode. */
  addressOf(memberId: string): string | undefined;
  peer(memberId: string): StandInPeer;
  close(): Promise<void>;
}

/** Members `n1`..`nCount`, one zone each, R = replicationFactor. */
export async function startPeers(count: number, replicationFactor = 3): Promise<StandInPeers> {
  const directory = mkdtempSync(join(tmpdir(), 'cairn-quorum-'));
  const disk = new RealDisk();
  const peers = new Map<string, StandInPeer>();
  const servers: Server[] = [];
  const memberIds = Array.from({ length: count }, (_, index) => `n${index + 1}`);
  for (const memberId of memberIds) {
    const store = await ChunkStore.open(disk, join(directory, memberId, 'store'));
    const hints = await HintsStore.open(disk, join(directory, memberId, 'hints'));
    const server = createServer((request, response) => {
      void serveChunkRequest(store, hints, request, response);
    });
    const port = await listen(server);
    servers.push(server);
    peers.set(memberId, { memberId, store, hints, address: `127.0.0.1:${port}`, mode: 'up' });
  }
  const refusedAddress = await closedPortAddress();
  const hanging = await startHangingServer();
  const ring = Ring.fromDescription(
    createRingDescription({
      epoch: 1,
      settings: { replicationFactor, vnodesPerWeightUnit: 64 },
      members: memberIds.map((id) => ({ id, zone: `zone-${id}`, weight: 1, state: 'active' })),
    }),
  );
  const peer = (memberId: string): StandInPeer => {
    const found = peers.get(memberId);
    if (found === undefined) throw new Error(`no stand-in peer ${memberId}`);
    return found;
  };
  return {
    peers,
    ring,
    peer,
    addressOf: (memberId) => {
      const found = peers.get(memberId);
      if (found === undefined) return undefined;
      if (found.mode === 'refuse') return refusedAddress;
      if (found.mode === 'hang') return hanging.address;
      return found.address;
    },
    close: async () => {
      hanging.close();
      await Promise.all(servers.map((server) => closeServer(server)));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function serveChunkRequest(
  store: ChunkStore,
  hints: HintsStore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    // What the node's route table does for the three chunk routes, in short.
    const prefix = '/peer/v1/chunks/';
    const url = request.url ?? '';
    const method = request.method;
    if (!url.startsWith(prefix) || (method !== 'PUT' && method !== 'GET' && method !== 'HEAD')) {
      response.writeHead(404).end('{}');
      return;
    }
    const homeMemberId = request.headers[hintHeader];
    await serveChunk(store, method, url.slice(prefix.length), request, response, {
      hints,
      ...(typeof homeMemberId === 'string' ? { homeMemberId } : {}),
    });
  } catch (error) {
    const code = error instanceof CairnError ? error.code.replace('CAIRN_ERR_', '') : 'INTERNAL';
    const status = code === 'NOT_FOUND' ? 404 : code === 'INVALID_ARGUMENT' ? 400 : 500;
    const message = error instanceof Error ? error.message : String(error);
    if (!response.headersSent) response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code, message } }));
  }
}

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An address nothing listens on: a port bound, then closed (connections are refused). */
async function closedPortAddress(): Promise<string> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

/** Accepts connections, reads what is sent, never answers (a stopped process, a hung disk). */
async function startHangingServer(): Promise<{ address: string; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
