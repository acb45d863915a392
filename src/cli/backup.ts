// `cairn backup` (issue 18): create, list, verify and restore backups in a destination
// directory (backup-store.ts has the layout). A backup is the objects export of one
// node, read at one point of the meta state while writes go on, plus every chunk it
// references; chunks already in the destination are not copied again, so a second
// backup copies only new data, and a backup interrupted part way copies nothing twice
// when run again. Restore writes every object into a new, empty cluster whose
// revisions first jump above the backup's (so nothing that watched, locked or leased
// on the old cluster can be fooled), then checks every object it wrote.

import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { routePath, routes } from '../api/index.js';
import type { CairnClient } from '../client/index.js';
import { assert } from '../util/assert.js';
import { CorruptionError } from '../util/errors.js';
import {
  type BackupFile,
  BackupDestination,
  type BackupManifest,
  chunkPath,
  conflict,
  type ObjectLine,
  objectsFileName,
  rootHashOf,
} from './backup-store.js';

export interface CreateOptions {
  /** Bytes per second of chunk copies (undefined: as fast as it goes). */
  readonly rateBytesPerSecond?: number;
  readonly onBytes?: (bytes: number) => void;
}

export interface CreateSummary {
  readonly id: string;
  readonly revision: number;
  readonly objects: number;
  readonly bytes: number;
  readonly chunksCopied: number;
  readonly chunksSkipped: number;
  readonly bytesCopied: number;
  readonly seconds: number;
}

export async function createBackup(
  client: CairnClient,
  destinationPath: string,
  options: CreateOptions = {},
): Promise<CreateSummary> {
  const started = performance.now();
  const destination = new BackupDestination(destinationPath);
  await destination.prepare();
  // Sortable and unique to the millisecond: 20261204T213802.123Z.
  const id = new Date().toISOString().replace(/[-:]/g, '');
  const exportPath = `backups/${id}/${objectsFileName}`;
  const stream = await client.requestStream(routePath(routes.backupExport, {}, { prefix: '' }));
  const exported = await destination.writeFile(exportPath, stream);
  const header = await readHeader(destination, exportPath);
  const partial = { id, revision: header.revision } as BackupManifest;
  const chunks = new Map<string, BackupFile>();
  const copy = { copied: 0, skipped: 0, bytes: 0 };
  let objects = 0;
  let bytes = 0;
  for await (const object of destination.objectLines(partial)) {
    objects++;
    bytes += object.size;
    for (const [sha256, size] of object.chunks ?? []) {
      if (chunks.has(sha256)) continue;
      chunks.set(sha256, await copyChunk(client, destination, sha256, size, copy));
      await keepRate(copy.bytes, started, options.rateBytesPerSecond);
      options.onBytes?.(size);
    }
  }
  const files = [exported, ...[...chunks.values()].sort((a, b) => (a.path < b.path ? -1 : 1))];
  const manifest: BackupManifest = {
    format: 'cairn-backup',
    version: 1,
    id,
    clusterId: header.clusterId,
    revision: header.revision,
    createdAt: new Date().toISOString(),
    objects,
    bytes,
    files,
    rootSha256: rootHashOf(files),
  };
  await destination.writeFile(`backups/${id}/manifest.json`, [JSON.stringify(manifest, null, 1)]);
  return {
    id,
    revision: header.revision,
    objects,
    bytes,
    chunksCopied: copy.copied,
    chunksSkipped: copy.skipped,
    bytesCopied: copy.bytes,
    seconds: (performance.now() - started) / 1000,
  };
}

async function readHeader(
  destination: BackupDestination,
  relative: string,
): Promise<{ clusterId: string; revision: number }> {
  const stream = createReadStream(destination.path(relative), { end: 64 * 1024 });
  let text = '';
  for await (const piece of stream) {
    text += (piece as Buffer).toString('utf8');
    if (text.includes('\n')) break;
  }
  stream.destroy();
  const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as {
    format?: string;
    clusterId: string;
    revision: number;
  };
  if (header.format !== 'cairn-backup-objects')
    throw new CorruptionError(`${relative} is not a cairn objects export`, { file: relative });
  return header;
}

/** Copies a chunk unless DEST has it (right size); the file's entry in the manifest. */
async function copyChunk(
  client: CairnClient,
  destination: BackupDestination,
  sha256: string,
  size: number,
  copy: { copied: number; skipped: number; bytes: number },
): Promise<BackupFile> {
  const relative = chunkPath(sha256);
  if ((await destination.sizeOf(relative)) === size) {
    copy.skipped++;
    return { path: relative, bytes: size, sha256 };
  }
  const path = routePath(routes.backupChunk, { sha256 }, { size });
  const body = await client.requestStream(path);
  const file = await destination.writeFile(relative, body, { sha256, bytes: size });
  copy.copied++;
  copy.bytes += size;
  return file;
}

/** Sleeps so that `bytes` since `started` stay at or below the rate. */
async function keepRate(bytes: number, started: number, rate: number | undefined): Promise<void> {
  if (rate === undefined) return;
  const aheadMilliseconds = (bytes / rate) * 1000 - (performance.now() - started);
  if (aheadMilliseconds > 0) await sleep(Math.min(aheadMilliseconds, 60_000));
}

export interface BackupRow {
  readonly id: string;
  readonly revision: number;
  readonly createdAt: string;
  readonly objects: number;
  readonly bytes: number;
  readonly files: number;
}

export async function listBackups(destinationPath: string): Promise<BackupRow[]> {
  const manifests = await new BackupDestination(destinationPath).manifests();
  return manifests.map((manifest) => ({
    id: manifest.id,
    revision: manifest.revision,
    createdAt: manifest.createdAt,
    objects: manifest.objects,
    bytes: manifest.bytes,
    files: manifest.files.length,
  }));
}

export type VerifyLevel = 'files' | 'meta' | 'data';

export interface VerifyReport {
  readonly id: string;
  readonly level: VerifyLevel;
  readonly filesChecked: number;
  readonly objectsChecked: number;
  readonly chunksHashed: number;
  /** Each problem names a file or an object. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

/**
 * files: the manifest's root hash, every file present at its size, the export's SHA-256;
 * meta: also every object's chunks present; data: also every chunk re-hashed.
 */
export async function verifyBackup(
  destinationPath: string,
  level: VerifyLevel,
  id?: string,
): Promise<VerifyReport> {
  const destination = new BackupDestination(destinationPath);
  const manifest = await destination.manifest(id);
  const problems: string[] = [];
  if (rootHashOf(manifest.files) !== manifest.rootSha256)
    problems.push(`manifest: the root hash does not match its file list`);
  for (const file of manifest.files) {
    const size = await destination.sizeOf(file.path);
    if (size === null) problems.push(`file ${file.path}: missing`);
    else if (size !== file.bytes)
      problems.push(`file ${file.path}: ${size} bytes, not ${file.bytes}`);
  }
  const exported = manifest.files[0] as BackupFile;
  if ((await destination.sizeOf(exported.path)) !== null) {
    if ((await destination.sha256Of(exported.path)) !== exported.sha256)
      problems.push(`file ${exported.path}: its SHA-256 does not match the manifest`);
  }
  let objectsChecked = 0;
  let chunksHashed = 0;
  if (level !== 'files' && problems.every((problem) => !problem.includes(objectsFileName))) {
    const chunkState = new Map<string, string | null>();
    for await (const object of destination.objectLines(manifest)) {
      objectsChecked++;
      for (const [sha256, size] of object.chunks ?? []) {
        if (!chunkState.has(sha256)) {
          const problem = await checkChunk(destination, sha256, size, level === 'data');
          if (level === 'data') chunksHashed++;
          chunkState.set(sha256, problem);
        }
        const problem = chunkState.get(sha256);
        if (problem)
          problems.push(`object ${JSON.stringify(object.key)}: chunk ${sha256} ${problem}`);
      }
    }
  }
  const filesChecked = manifest.files.length;
  const ok = problems.length === 0;
  return { id: manifest.id, level, filesChecked, objectsChecked, chunksHashed, problems, ok };
}

async function checkChunk(
  destination: BackupDestination,
  sha256: string,
  size: number,
  rehash: boolean,
): Promise<string | null> {
  const relative = chunkPath(sha256);
  const found = await destination.sizeOf(relative);
  if (found === null) return 'is missing';
  if (found !== size) return `has ${found} bytes, not ${size}`;
  if (rehash && (await destination.sha256Of(relative)) !== sha256) return 'is corrupt (SHA-256)';
  return null;
}

export interface RestoreOptions {
  readonly id?: string;
  /** Only keys under this prefix, into a live cluster, as new versions. */
  readonly prefix?: string;
  readonly onObject?: () => void;
}

export interface RestoreSummary {
  readonly id: string;
  readonly backupRevision: number;
  /** The new cluster's revisions continue above this (absent with --prefix). */
  readonly revisionBase?: number;
  readonly objectsWritten: number;
  readonly bytesWritten: number;
  readonly objectsVerified: number;
  readonly problems: readonly string[];
}

export async function restoreBackup(
  client: CairnClient,
  destinationPath: string,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  const destination = new BackupDestination(destinationPath);
  const manifest = await destination.manifest(options.id);
  const prefix = options.prefix;
  let revisionBase: number | undefined;
  if (prefix === undefined) {
    const existing = await client.listObjects({ limit: 1 });
    if (existing.items.length > 0)
      throw conflict(
        'the cluster has objects: restore a whole backup into a new, empty cluster, or restore keys with --prefix',
      );
    const raised = (await client.requestJson('POST', routes.revisionBase.path, {
      revision: manifest.revision,
    })) as { revision: number };
    revisionBase = raised.revision;
  }
  const written: ObjectLine[] = [];
  let bytesWritten = 0;
  for await (const object of destination.objectLines(manifest)) {
    if (prefix !== undefined && !object.key.startsWith(prefix)) continue;
    const body = (): Readable => Readable.from(objectBytes(destination, object));
    await client.putObject(object.key, body, { size: object.size });
    written.push({
      key: object.key,
      version: object.version,
      size: object.size,
      sha256: object.sha256,
    });
    bytesWritten += object.size;
    options.onObject?.();
  }
  const problems = await verifyRestored(client, written);
  return {
    id: manifest.id,
    backupRevision: manifest.revision,
    ...(revisionBase === undefined ? {} : { revisionBase }),
    objectsWritten: written.length,
    bytesWritten,
    objectsVerified: written.length - problems.length,
    problems,
  };
}

/** An object's bytes from DEST, each chunk checked against its SHA-256 as it is read. */
async function* objectBytes(
  destination: BackupDestination,
  object: ObjectLine,
): AsyncGenerator<Buffer> {
  if (object.inline !== undefined) {
    yield Buffer.from(object.inline, 'base64');
    return;
  }
  for (const [sha256, size] of object.chunks ?? []) {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const piece of createReadStream(destination.path(chunkPath(sha256)))) {
      hash.update(piece as Buffer);
      bytes += (piece as Buffer).length;
      yield piece as Buffer;
    }
    if (bytes !== size || hash.digest('hex') !== sha256)
      throw new CorruptionError(
        `the backup's chunk ${sha256} of ${JSON.stringify(object.key)} is damaged: run cairn backup verify`,
        { file: chunkPath(sha256) },
      );
  }
}

/** The verification pass: every restored object's size and SHA-256 as in the backup. */
async function verifyRestored(
  client: CairnClient,
  written: readonly ObjectLine[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const object of written) {
    const metadata = await client.headObject(object.key);
    assert(metadata.key === object.key, 'head answers the key asked');
    if (metadata.size !== object.size || metadata.sha256 !== object.sha256)
      problems.push(
        `object ${JSON.stringify(object.key)}: restored as ${metadata.size} bytes ${metadata.sha256}`,
      );
  }
  return problems;
}
