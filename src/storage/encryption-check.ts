// The key check record of an encrypted data directory, `<data-dir>/ENCRYPTION`: for each
// key id that has sealed data here, a known text sealed under that key. A node checks it
// at start, before it opens any store, so a wrong or missing key stops it with a clear
// message instead of reading garbage, and the choice made when the directory was
// created (encrypted or not) is kept: a key on a plain directory, or no key on an
// encrypted one, is refused. A plain directory has no such file (today's format).
//
//   {"format": "cairn-encryption-check", "version": 1,
//    "keys": [{"id": 1, "check": "<sealed check text, base64>"}]}

import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CairnError, CorruptionError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { readKeyring } from './encryption-keys.js';
import { type Keyring, openSealed, seal } from './sealing.js';

export const encryptionCheckFileName = 'ENCRYPTION';
/** Entries a fresh data directory may already hold (the lock taken before storage opens). */
const freshDirectoryEntries = new Set(['LOCK', encryptionCheckFileName]);
const checkText = 'cairn encryption check 1';
const checkFormat = 'cairn-encryption-check';

interface CheckRecord {
  readonly keys: { readonly id: number; readonly check: string }[];
}

function keyError(message: string, path: string): CairnError {
  return new CairnError('CAIRN_ERR_ENCRYPTION_KEY', message, { details: { path } });
}

/**
 * The keyring a node seals its data with, after checking it against the data directory;
 * undefined for a plain node on a plain directory. Call before opening any store.
 */
export async function openEncryptionAtRest(
  dataDirectory: string,
  keyFile: string | undefined,
): Promise<Keyring | undefined> {
  const recordPath = join(dataDirectory, encryptionCheckFileName);
  const record = await readRecord(recordPath);
  if (keyFile === undefined) {
    if (record === null) return undefined;
    throw keyError(
      `the data directory ${dataDirectory} is encrypted (${recordPath}): start the node with --encryption-key-file naming its key file`,
      recordPath,
    );
  }
  const keyring = await readKeyring(keyFile);
  if (record === null) {
    const entries = (await fs.readdir(dataDirectory)).filter(
      (name) => !freshDirectoryEntries.has(name) && !name.startsWith(`${encryptionCheckFileName}.`),
    );
    if (entries.length > 0) {
      throw keyError(
        `the data directory ${dataDirectory} holds unencrypted data (${entries.slice(0, 3).join(', ')}); encryption is chosen when a data directory is created: start this node without --encryption-key-file, or start a new node with the key on an empty --data-dir, let the cluster copy the data to it, then remove this one`,
        dataDirectory,
      );
    }
  }
  const known = record?.keys ?? [];
  for (const { id, check } of known) verifyCheck(keyring, id, check, keyFile, recordPath);
  const added = keyring.ids().filter((id) => !known.some((entry) => entry.id === id));
  if (added.length > 0) {
    const keys = [...known, ...added.map((id) => ({ id, check: sealCheck(keyring, id) }))];
    await writeRecord(recordPath, { keys });
  }
  return keyring;
}

function sealCheck(keyring: Keyring, id: number): string {
  const sealed = seal(keyring.only(id), `key-check:${id}`, Buffer.from(checkText, 'utf8'));
  return Buffer.from(sealed).toString('base64');
}

function verifyCheck(
  keyring: Keyring,
  id: number,
  check: string,
  keyFile: string,
  recordPath: string,
): void {
  if (keyring.key(id) === undefined) {
    throw keyError(
      `key id ${id}, which sealed data in this data directory (${recordPath}), is missing from ${keyFile} (it has ${keyring.ids().join(', ')}): use the key file this node was started with, and never remove a key that sealed data`,
      keyFile,
    );
  }
  let opened: Uint8Array | null = null;
  try {
    opened = openSealed(keyring.only(id), `key-check:${id}`, Buffer.from(check, 'base64'));
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
  }
  if (opened === null || Buffer.from(opened).toString('utf8') !== checkText) {
    throw keyError(
      `wrong encryption key: key id ${id} in ${keyFile} is not the key that sealed this data directory (${recordPath}); give the key file this node was started with`,
      keyFile,
    );
  }
}

async function readRecord(path: string): Promise<CheckRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw keyError(`cannot read ${path}: ${(error as Error).message}`, path);
  }
  let parsed: { format?: unknown; version?: unknown; keys?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const keys = parsed.keys as { id?: unknown; check?: unknown }[] | undefined;
  const valid =
    parsed.format === checkFormat &&
    parsed.version === 1 &&
    Array.isArray(keys) &&
    keys.length <= limits.encryptionKeysMax &&
    keys.every((key) => Number.isSafeInteger(key?.id) && typeof key.check === 'string');
  if (!valid) throw new CorruptionError(`${path} is not a key check record`, { file: path });
  return { keys: keys as CheckRecord['keys'] };
}

async function writeRecord(path: string, record: CheckRecord): Promise<void> {
  const text = `${JSON.stringify({ format: checkFormat, version: 1, ...record }, null, 2)}\n`;
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, path);
  const directory = await fs.open(join(path, '..'), constants.O_RDONLY);
  await directory.sync().finally(() => directory.close());
}
