// A node's streamed snapshots (issue 18), assembled: the snapshot files in
// `<data>/snapshots`, the receiver of incoming pieces and the peer handlers that feed
// it, and what the state machine, the Raft group and the peer transport are given.

import { join } from 'node:path';
import type { SnapshotPieceQuery } from '../api/index.js';
import type * as Wire from '../api/wire.js';
import type { Disk } from '../storage/disk.js';
import type { Keyring } from '../storage/sealing.js';
import { SnapshotFiles } from '../storage/snapshot-files.js';
import { SnapshotReceiver } from '../storage/snapshot-receiver.js';
import type { SnapshotReference } from '../storage/snapshot-reference.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { RouteInput } from './dispatch.js';
import { readBody } from './http-helpers.js';
import type { SnapshotTransfer } from './snapshot-sender.js';

type Log = (event: string, fields?: Record<string, unknown>) => void;

export interface NodeSnapshots {
  readonly files: SnapshotFiles;
  readonly receiver: SnapshotReceiver;
  /** Bytes per piece written and sent (the test hook may lower it). */
  readonly pieceBytes: number;
  readonly handlers: {
    snapshotStatus(input: RouteInput<SnapshotPieceQuery, undefined>): Promise<Wire.SnapshotReceipt>;
    snapshotPiece(input: RouteInput<SnapshotPieceQuery, undefined>): Promise<Wire.SnapshotReceipt>;
  };
  held(reference: SnapshotReference): Promise<boolean>;
  /** The peer transport's report of a transfer, as a log line. */
  logTransfer(peer: string, index: number, outcome: SnapshotTransfer | Error): void;
  close(): Promise<void>;
}

export async function openNodeSnapshots(
  disk: Disk,
  dataDirectory: string,
  pieceBytes: number,
  log: Log,
  sealing?: Keyring,
): Promise<NodeSnapshots> {
  const files = await SnapshotFiles.open(disk, join(dataDirectory, 'snapshots'), { sealing });
  const receiver = new SnapshotReceiver(disk, files, limits.raftSnapshotPieceBytesMax);
  return {
    files,
    receiver,
    pieceBytes,
    handlers: {
      snapshotStatus: ({ query }) => receiver.status(query.reference),
      snapshotPiece: async ({ query, request }) => {
        const piece = await readBody(
          request,
          limits.raftSnapshotPieceBytesMax,
          'raftSnapshotPieceBytesMax',
        );
        if (query.crc32c < 0) throw new InvalidArgumentError('a snapshot piece needs its CRC32C');
        const receipt = await receiver.accept({ ...query, piece, crc32c: query.crc32c });
        if (receipt.complete) log('snapshot-received', { ...query.reference });
        return receipt;
      },
    },
    held: (reference) => receiver.holds(reference),
    logTransfer: (peer, index, outcome) =>
      outcome instanceof Error
        ? log('snapshot-send-failed', { peer, index, error: outcome.message })
        : log('snapshot-sent', { peer, index, ...outcome }),
    close: () => receiver.close(),
  };
}
