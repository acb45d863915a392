// `cairn backup prune DEST --keep N`: keeps the newest N finished backups and removes
// the older ones, then every chunk no kept backup references. Unfinished backups (no
// manifest) are left alone: one may be running.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assertInteger } from '../util/assert.js';
import { BackupDestination } from './backup-store.js';

export interface PruneSummary {
  readonly kept: readonly string[];
  readonly removed: readonly string[];
  readonly chunksRemoved: number;
}

/** Chunk folders are the first two hex digits: at most 256 of them. */
const chunkFoldersMax = 256;

export async function pruneBackups(destinationPath: string, keep: number): Promise<PruneSummary> {
  assertInteger(keep, 'keep', 1);
  const destination = new BackupDestination(destinationPath);
  const manifests = await destination.manifests();
  const kept = manifests.slice(-keep);
  const removed = manifests.slice(0, Math.max(0, manifests.length - keep));
  for (const manifest of removed)
    await rm(destination.path(`backups/${manifest.id}`), { recursive: true, force: true });
  const referenced = new Set<string>();
  for (const manifest of kept) for (const file of manifest.files) referenced.add(file.path);
  let chunksRemoved = 0;
  const chunksRoot = destination.path('chunks');
  const folders = (await readdir(chunksRoot)).slice(0, chunkFoldersMax);
  for (const folder of folders) {
    for (const name of await readdir(join(chunksRoot, folder))) {
      if (referenced.has(`chunks/${folder}/${name}`)) continue;
      await rm(join(chunksRoot, folder, name), { force: true });
      chunksRemoved++;
    }
  }
  return {
    kept: kept.map((manifest) => manifest.id),
    removed: removed.map((manifest) => manifest.id),
    chunksRemoved,
  };
}
