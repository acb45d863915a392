// What a node opens on its data directory before anything else: the state store, the
// chunk store, the hints, the Raft log (WAL), the test hooks and the snapshot files.
// Each is closed by the closer it pushes, in reverse order. With --encryption-key-file
// the data directory's key check runs first, and each store seals what it writes.

import { join } from 'node:path';
import * as node from '../node/node-services.js';
import { readTestHooks, type TestHooks } from '../node/test-hooks.js';
import { ChunkStore } from '../storage/chunk-store.js';
import { openEncryptionAtRest } from '../storage/encryption-check.js';
import { RaftLog } from '../storage/raft-log.js';
import { RealDisk } from '../storage/real-disk.js';
import { StateStore } from '../storage/state-store.js';
import { type NodeSnapshots, openNodeSnapshots } from './node-snapshots.js';

export interface NodeStorage {
  readonly stateStore: StateStore;
  readonly chunkStore: ChunkStore;
  readonly hints: Awaited<ReturnType<typeof node.openHintsStore>>;
  readonly opened: Awaited<ReturnType<typeof RaftLog.open>>;
  readonly testHooks: TestHooks;
  readonly snapshots: NodeSnapshots;
}

export async function openNodeStorage(
  config: {
    readonly dataDirectory: string;
    readonly encryptionKeyFile?: string | undefined;
    readonly log: (event: string, fields?: Record<string, unknown>) => void;
  },
  closers: (() => Promise<unknown>)[],
): Promise<NodeStorage> {
  const disk = new RealDisk();
  const sealing = await openEncryptionAtRest(config.dataDirectory, config.encryptionKeyFile);
  if (sealing !== undefined)
    config.log('encryption-at-rest', { keyIds: sealing.ids(), sealingKeyId: sealing.currentKeyId });
  const stateStore = StateStore.open(join(config.dataDirectory, 'state'), { sealing });
  closers.push(() => stateStore.close());
  const chunkStore = await ChunkStore.open(disk, config.dataDirectory, {
    sealing,
    onQuarantine: (report) =>
      config.log('chunk-quarantined', { sha256: report.sha256, reason: report.reason }),
  });
  const hints = await node.openHintsStore(disk, config.dataDirectory);
  const opened = await RaftLog.open(disk, join(config.dataDirectory, 'wal'), { sealing });
  closers.push(() => opened.log.close());
  const testHooks = readTestHooks();
  const pieceBytes = testHooks.snapshotPieceBytes;
  const snapshots = await openNodeSnapshots(
    disk,
    config.dataDirectory,
    pieceBytes,
    config.log,
    sealing,
  );
  closers.push(() => snapshots.close());
  return { stateStore, chunkStore, hints, opened, testHooks, snapshots };
}
