// Encryption key files (`cairn encryption create-key|add-key|list-keys`, read by
// `cairn serve --encryption-key-file`). JSON, mode 0600, never printed:
//
//   {"format": "cairn-encryption-keys", "version": 1,
//    "keys": [{"id": 1, "created": "2026-12-04T21:00:00.000Z", "key": "<32 bytes, base64>"}]}
//
// The highest id seals new data; every key opens data sealed under it, so rotation is
// "add a key, restart": old data stays readable as long as its key stays in the file.

import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { type EncryptionKey, Keyring } from './sealing.js';

const fileFormat = 'cairn-encryption-keys';
const keyFileMode = 0o600;

export interface StoredKey {
  readonly id: number;
  readonly created: string;
  readonly key: Uint8Array;
}

export interface KeySummary {
  readonly id: number;
  readonly created: string;
  /** SHA-256 of the key, first 16 hex digits: tells keys apart, reveals nothing usable. */
  readonly fingerprint: string;
}

export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256')
    .update('cairn key fingerprint\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

function badFile(path: string, why: string): CairnError {
  return new CairnError('CAIRN_ERR_ENCRYPTION_KEY', `${path} is not a cairn key file: ${why}`, {
    details: { path },
  });
}

/** Parses a key file's text; CAIRN_ERR_ENCRYPTION_KEY naming what is wrong. */
export function parseKeyFile(text: string, path: string): StoredKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badFile(path, 'not JSON (create one with `cairn encryption create-key FILE`)');
  }
  const root = parsed as { format?: unknown; version?: unknown; keys?: unknown };
  if (root?.format !== fileFormat || root.version !== 1) throw badFile(path, 'unknown format');
  if (!Array.isArray(root.keys) || root.keys.length === 0) throw badFile(path, 'no keys');
  if (root.keys.length > limits.encryptionKeysMax)
    throw badFile(path, `more than ${limits.encryptionKeysMax} keys`);
  const keys: StoredKey[] = [];
  for (const item of root.keys as { id?: unknown; created?: unknown; key?: unknown }[]) {
    const id = item?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || id > 0xffff_ffff)
      throw badFile(path, 'a key id is not a positive integer');
    if (keys.some((key) => key.id === id)) throw badFile(path, `key id ${id} appears twice`);
    const key = typeof item.key === 'string' ? Buffer.from(item.key, 'base64') : null;
    if (key === null || key.length !== 32) throw badFile(path, `key ${id} is not 32 bytes`);
    keys.push({ id, created: typeof item.created === 'string' ? item.created : '', key });
  }
  return keys.sort((a, b) => a.id - b.id);
}

export async function readKeyFile(path: string): Promise<StoredKey[]> {
  let text: string;
  try {
    const stat = await fs.stat(path);
    if (stat.size > limits.encryptionKeyFileBytesMax) throw badFile(path, 'too large');
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError(
      'CAIRN_ERR_ENCRYPTION_KEY',
      `cannot read the key file ${path}: ${(error as Error).message}`,
      { cause: error, details: { path } },
    );
  }
  return parseKeyFile(text, path);
}

export async function readKeyring(path: string): Promise<Keyring> {
  const keys: EncryptionKey[] = (await readKeyFile(path)).map(({ id, key }) => ({ id, key }));
  return new Keyring(keys);
}

export function summarize(keys: readonly StoredKey[]): KeySummary[] {
  return keys.map(({ id, created, key }) => ({ id, created, fingerprint: keyFingerprint(key) }));
}

function render(keys: readonly StoredKey[]): string {
  const stored = keys.map(({ id, created, key }) => ({
    id,
    created,
    key: Buffer.from(key).toString('base64'),
  }));
  return `${JSON.stringify({ format: fileFormat, version: 1, keys: stored }, null, 2)}\n`;
}

/** Writes `text` to a fresh 0600 file next to `path`, synced, then renames it into place. */
async function replaceFile(path: string, text: string, exclusive: boolean): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temporary, 'wx', keyFileMode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (exclusive) await fs.link(temporary, path);
    else await fs.rename(temporary, path);
  } finally {
    await fs.rm(temporary, { force: true });
  }
  const directory = await fs.open(dirname(path), constants.O_RDONLY);
  await directory.sync().finally(() => directory.close());
}

function newKey(id: number): StoredKey {
  return { id, created: new Date().toISOString(), key: randomBytes(32) };
}

/** A new key file holding key 1; refuses to replace an existing file. */
export async function createKeyFile(path: string): Promise<KeySummary> {
  const key = newKey(1);
  try {
    await replaceFile(path, render([key]), true);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CairnError(
        'CAIRN_ERR_ALREADY_EXISTS',
        `${path} already exists; it may hold the only key of encrypted data. To rotate, run \`cairn encryption add-key ${path}\``,
        { details: { path } },
      );
    }
    throw new InvalidArgumentError(`cannot write ${path}: ${(error as Error).message}`);
  }
  return summarize([key])[0]!;
}

/** Adds a key with the next id (it seals from the next start on); older keys stay. */
export async function addKey(path: string): Promise<KeySummary> {
  const keys = await readKeyFile(path);
  if (keys.length >= limits.encryptionKeysMax)
    throw badFile(path, `already ${limits.encryptionKeysMax} keys`);
  const key = newKey(keys.at(-1)!.id + 1);
  await replaceFile(path, render([...keys, key]), false);
  return summarize([key])[0]!;
}
