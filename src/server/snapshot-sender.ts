// The leader's side of a streamed snapshot: the snapshot file a Raft snapshot message
// references goes to the follower in pieces of at most the piece size, one request
// each, with the piece's CRC32C (src/storage/snapshot-receiver.ts takes them). First it
// asks how much the follower holds and starts there, so a transfer whose connection
// broke resumes instead of starting again; a refused or lost piece makes it ask again.
// Attempts are bounded; after the last one the transfer fails and Raft sends a new
// snapshot later. Memory: one piece at a time.

import { Pool } from 'undici';
import { routePath, routes, snapshotPieceChecksumHeader } from '../api/index.js';
import type * as Wire from '../api/wire.js';
import { nodeDialOptions } from '../net/index.js';
import { crc32c } from '../storage/crc32c.js';
import type { SnapshotFiles } from '../storage/snapshot-files.js';
import type { SnapshotReference } from '../storage/snapshot-reference.js';
import { assert, assertInteger } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** Rounds of "ask where the follower is, send from there" before a transfer fails. */
const transferAttemptsMax = 8;
/** The last piece's answer waits for the follower to check the whole file. */
const pieceTimeoutMilliseconds = 60_000;

export interface SnapshotSource {
  readonly files: SnapshotFiles;
  /** Bytes per piece, at most limits.raftSnapshotPieceBytesMax. */
  readonly pieceBytes: number;
}

export interface SnapshotTransfer {
  /** Pieces sent (resent ones included). */
  pieces: number;
  bytesSent: number;
  /** Rounds that resumed after a failure. */
  resumes: number;
  /** The follower held the whole file already. */
  alreadyHeld: boolean;
}

/** Sends the file of `reference` to the peer at `origin` (http[s]://host:port). */
export async function sendSnapshotFile(
  origin: string,
  reference: SnapshotReference,
  source: SnapshotSource,
): Promise<SnapshotTransfer> {
  assertInteger(source.pieceBytes, 'pieceBytes', 1, limits.raftSnapshotPieceBytesMax);
  // With TLS on, the node's certificate is presented as on every node-to-node dial.
  const pool = new Pool(origin, { connections: 1, pipelining: 1, ...nodeDialOptions() });
  const transfer: SnapshotTransfer = { pieces: 0, bytesSent: 0, resumes: 0, alreadyHeld: false };
  let lastError: unknown;
  try {
    for (let attempt = 0; attempt < transferAttemptsMax; attempt++) {
      try {
        const receipt = await call(pool, 'GET', reference, 0, undefined);
        if (receipt.complete) {
          transfer.alreadyHeld = attempt === 0;
          return transfer;
        }
        if (attempt > 0) transfer.resumes++;
        if (await sendFrom(pool, reference, source, receipt.receivedBytes, transfer))
          return transfer;
      } catch (error) {
        lastError = error;
      }
    }
  } finally {
    await pool.close().catch(() => undefined);
  }
  throw new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `snapshot ${reference.index} did not reach ${origin} in ${transferAttemptsMax} attempts: ${String(
      (lastError as Error | undefined)?.message ?? lastError,
    )}`,
  );
}

/** Streams pieces from `offset`; true once the follower holds the whole file. */
async function sendFrom(
  pool: Pool,
  reference: SnapshotReference,
  source: SnapshotSource,
  offset: number,
  transfer: SnapshotTransfer,
): Promise<boolean> {
  const path = source.files.pathOf(reference);
  let position = offset;
  for await (const piece of source.files.readStored(path, source.pieceBytes, offset)) {
    // The memory bound: pieces are produced at most this large, and only one is held.
    assert(piece.length <= source.pieceBytes, 'a snapshot piece within the piece size');
    const receipt = await call(pool, 'PUT', reference, position, piece);
    transfer.pieces++;
    transfer.bytesSent += piece.length;
    if (receipt.complete) return true;
    position += piece.length;
    // The follower is elsewhere (it restarted, or took another sender's pieces): ask again.
    if (receipt.receivedBytes !== position) return false;
  }
  return false;
}

async function call(
  pool: Pool,
  method: 'GET' | 'PUT',
  reference: SnapshotReference,
  offset: number,
  piece: Uint8Array | undefined,
): Promise<Wire.SnapshotReceipt> {
  const route = method === 'GET' ? routes.snapshotStatus : routes.snapshotPiece;
  const { index, term, bytes, sha256 } = reference;
  const response = await pool.request({
    method,
    path: routePath(route, {}, { index, term, bytes, sha256, offset }),
    ...(piece === undefined
      ? {}
      : {
          body: piece,
          headers: {
            'content-type': 'application/octet-stream',
            [snapshotPieceChecksumHeader]: String(crc32c(piece)),
          },
        }),
    headersTimeout: pieceTimeoutMilliseconds,
    bodyTimeout: pieceTimeoutMilliseconds,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200)
    throw new Error(`the peer answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Wire.SnapshotReceipt;
}
