// The stores of one node (state store, chunk files, Raft log), opened after the data
// directory's encryption check: with --encryption-key-file each seals what it writes.

import { join } from 'node:path';
import { ChunkStore } from '../storage/chunk-store.js';
import type { Disk } from '../storage/disk.js';
import { openEncryptionAtRest } from '../storage/encryption-check.js';
import { RaftLog } from '../storage/raft-log.js';
import { StateStore } from '../storage/state-store.js';

export interface NodeStorageConfig {
  readonly dataDirectory: string;
  readonly encryptionKeyFile?: string | undefined;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

export async function openNodeStores(
  disk: Disk,
  config: NodeStorageConfig,
  closers: (() => Promise<unknown>)[],
) {
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
  const opened = await RaftLog.open(disk, join(config.dataDirectory, 'wal'), { sealing });
  closers.push(() => opened.log.close());
  return { stateStore, chunkStore, opened };
}
