// Opening the state store's LMDB environment (issue 13 item 5; src/storage/README.md,
// "the LMDB freelist failure").
//
// cairn runs lmdb-js 2.9, whose LMDB keeps upstream LMDB's free-page list. lmdb-js 3.x
// replaced it with its own (a block encoding carried in memory from one write transaction
// to the next), and the save of that list can fail a commit: the crash of issue 13. The
// B-tree pages are the same in both versions; the free-page records are not, and 2.9
// writing into a file whose free list 3.x wrote fails at once (MDB_PAGE_NOTFOUND). So a
// state directory says which writer it has (the `store-format` file). One without it,
// written by an earlier cairn on lmdb-js 3.x, is moved aside, opened read-only (reads do
// not touch the free list), copied key by key into a fresh environment, and removed once
// the copy is durable. The marker is written last: a crash mid-copy redoes the copy.

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { assert } from '../util/assert.js';

/** The file that marks a state directory written with upstream LMDB's free-page list. */
export const storeFormatFileName = 'store-format';
const storeFormatText = 'lmdb-js 2.9 (upstream LMDB free-page list)\n';
/** The state store's databases (state-store.ts): all of them are copied. */
const databaseNames = ['meta', 'state-a', 'state-b'] as const;
/** Entries per write transaction while a legacy state is copied. */
const migrationBatchEntriesMax = 10_000;
/** More entries than any state holds: bounds the copy loop. */
const migrationEntriesMax = 2 ** 40;

/** Where a legacy (lmdb-js 3.x) state waits while it is copied. */
export function legacyPathOf(path: string): string {
  // No dot: lmdb-js takes a path with an extension for a file, not a directory.
  return `${path}-lmdb3`;
}

/**
 * Opens the environment at `path` (created when missing), first copying a state written
 * by lmdb-js 3.x into one written by this LMDB (see the file comment).
 */
export function openEnvironment(path: string, mapSize: number): RootDatabase {
  const legacyPath = legacyPathOf(path);
  const marked = existsSync(join(path, storeFormatFileName));
  if (existsSync(legacyPath)) {
    if (!marked) {
      // An interrupted copy: what is at `path` is incomplete (its marker comes last).
      rmSync(path, { recursive: true, force: true });
      return copyLegacy(legacyPath, path, mapSize);
    }
    rmSync(legacyPath, { recursive: true, force: true }); // copied; its removal was cut short
  } else if (!marked && existsSync(join(path, 'data.mdb'))) {
    renameSync(path, legacyPath);
    syncDirectory(dirname(path));
    return copyLegacy(legacyPath, path, mapSize);
  }
  if (!marked) writeMarker(path);
  return open({ path, maxDbs: 4, mapSize });
}

function copyLegacy(legacyPath: string, path: string, mapSize: number): RootDatabase {
  const legacy = open({ path: legacyPath, maxDbs: 4, readOnly: true });
  const root = open({ path, maxDbs: 4, mapSize });
  try {
    for (const name of databaseNames) {
      const options = { name, encoding: 'binary', keyEncoding: 'binary' } as const;
      copyDatabase(
        legacy.openDB<Buffer, Buffer>(options),
        root.openDB<Buffer, Buffer>(options),
        root,
      );
    }
  } catch (error) {
    void root.close();
    void legacy.close();
    throw error;
  }
  // Each copy transaction committed synchronously (durable); the marker makes it final.
  writeMarker(path);
  void legacy.close().then(() => rmSync(legacyPath, { recursive: true, force: true }));
  return root;
}

type BinaryDatabase = Database<Buffer, Buffer>;

function copyDatabase(from: BinaryDatabase, to: BinaryDatabase, root: RootDatabase): void {
  let batch: { key: Buffer; value: Buffer }[] = [];
  const write = (): void => {
    // The default flags commit synchronously and durably (no NO_SYNC_FLUSH).
    root.transactionSync(() => {
      for (const { key, value } of batch) to.putSync(key, value);
    });
    batch = [];
  };
  let copied = 0;
  for (const { key, value } of from.getRange({})) {
    assert(copied++ < migrationEntriesMax, 'a legacy state copy ends');
    // lmdb-js may hand out views of a reused buffer: copy both.
    batch.push({ key: Buffer.from(key), value: Buffer.from(value) });
    if (batch.length >= migrationBatchEntriesMax) write();
  }
  if (batch.length > 0) write();
}

function writeMarker(path: string): void {
  mkdirSync(path, { recursive: true });
  const file = join(path, storeFormatFileName);
  writeFileSync(file, storeFormatText);
  const descriptor = openSync(file, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  syncDirectory(path);
}

function syncDirectory(path: string): void {
  const descriptor = openSync(path, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}
