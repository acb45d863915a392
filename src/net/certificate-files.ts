// The certificate directory of `cairn cert` (default ./cairn-certs): ca.crt and ca.key,
// node-NAME.crt/.key, client-USER.crt/.key. Private keys are created with mode 0600 (never
// chmod-ed afterwards, so they are never readable by others, not even for an instant) and
// never printed; an existing file is kept unless the caller forces an overwrite.

import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import {
  type CertificateAndKey,
  type CertificateKind,
  type CertificateSummary,
  checkNodeName,
  checkUser,
  createCertificateAuthority,
  createClientCertificate,
  createNodeCertificate,
  inspect,
} from './certificates.js';

export const certificateDirectoryDefault = './cairn-certs';
export const authorityValidDaysDefault = 3650;
export const endEntityValidDaysDefault = 365;
const privateKeyMode = 0o600;
const certificateMode = 0o644;
const directoryMode = 0o700;

export interface WrittenFile {
  readonly path: string;
  readonly contents: 'certificate' | 'private key';
  readonly mode: string; // octal, as ls shows it: "0600"
}

export interface CreatedCertificate {
  readonly directory: string;
  readonly files: readonly WrittenFile[];
  readonly certificate: CertificateSummary;
}

export function authorityFileNames(): { certificate: string; key: string } {
  return { certificate: 'ca.crt', key: 'ca.key' };
}

export function nodeFileNames(name: string): { certificate: string; key: string } {
  checkNodeName(name);
  return { certificate: `node-${name}.crt`, key: `node-${name}.key` };
}

export function clientFileNames(user: string): { certificate: string; key: string } {
  checkUser(user);
  return { certificate: `client-${user}.crt`, key: `client-${user}.key` };
}

function ioError(path: string, error: unknown): CairnError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  return new CairnError('CAIRN_ERR_IO', `${path}: ${code} (${String(error)})`, {
    details: { path, errno: code },
    cause: error,
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(path, error);
  }
}

async function refuseExisting(paths: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  const present: string[] = [];
  for (const path of paths) if (await exists(path)) present.push(path);
  if (present.length === 0) return;
  throw new CairnError(
    'CAIRN_ERR_ALREADY_EXISTS',
    `${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; ` +
      `give --force to replace ${present.length === 1 ? 'it' : 'them'}`,
    { details: { path: present[0] ?? '' } },
  );
}

async function writeAndSync(path: string, text: string, mode: number, flags: string) {
  const handle = await fs.open(path, flags, mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates the file with its mode from the start. Without force, O_EXCL makes a file that
 * appeared since the check fail instead of being replaced; with force, a fresh file of
 * the right mode is renamed over the old one (an old file's looser mode is not kept).
 */
async function writeNewFile(path: string, text: string, mode: number, force: boolean) {
  try {
    if (!force) {
      await writeAndSync(path, text, mode, 'wx');
      return;
    }
    const temporary = join(
      resolve(path, '..'),
      `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await writeAndSync(temporary, text, mode, 'wx');
      await fs.rename(temporary, path);
    } finally {
      await fs.rm(temporary, { force: true });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') await refuseExisting([path], false);
    throw ioError(path, error);
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writePair(
  directory: string,
  names: { certificate: string; key: string },
  made: CertificateAndKey,
  force: boolean,
): Promise<CreatedCertificate> {
  const keyPath = join(directory, names.key);
  const certificatePath = join(directory, names.certificate);
  // The key first: a certificate on disk always has its key next to it.
  await writeNewFile(keyPath, made.privateKeyPem, privateKeyMode, force);
  await writeNewFile(certificatePath, made.certificatePem, certificateMode, force);
  await syncDirectory(directory).catch((error: unknown) => {
    throw ioError(directory, error);
  });
  const octal = (mode: number) => `0${mode.toString(8)}`;
  return {
    directory,
    files: [
      { path: certificatePath, contents: 'certificate', mode: octal(certificateMode) },
      { path: keyPath, contents: 'private key', mode: octal(privateKeyMode) },
    ],
    certificate: inspect(made.certificatePem),
  };
}

async function prepareDirectory(
  directory: string,
  names: { certificate: string; key: string },
  force: boolean,
): Promise<void> {
  try {
    await fs.mkdir(directory, { recursive: true, mode: directoryMode });
  } catch (error) {
    throw ioError(directory, error);
  }
  await refuseExisting([join(directory, names.certificate), join(directory, names.key)], force);
}

export interface AuthorityFilesOptions {
  readonly directory: string;
  readonly name?: string;
  readonly validDays: number;
  readonly force: boolean;
}

export async function createAuthorityFiles(
  options: AuthorityFilesOptions,
): Promise<CreatedCertificate> {
  const names = authorityFileNames();
  await prepareDirectory(options.directory, names, options.force);
  const made = await createCertificateAuthority({
    validDays: options.validDays,
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  return writePair(options.directory, names, made, options.force);
}

async function readBoundedFile(path: string): Promise<string> {
  let size: number;
  try {
    size = (await fs.stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(path, error);
    throw new CairnError('CAIRN_ERR_NOT_FOUND', `${path} not found`, { details: { path } });
  }
  if (size > limits.certificateFileBytesMax) {
    throw new InvalidArgumentError(
      `${path} is ${size} bytes, larger than certificateFileBytesMax ` +
        `(${limits.certificateFileBytesMax} bytes): not a certificate or key of cairn`,
      { path },
    );
  }
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    throw ioError(path, error);
  }
}

/** The CA of a certificate directory; a clear error naming `cairn cert create-ca` if absent. */
export async function readAuthorityFiles(directory: string): Promise<CertificateAndKey> {
  const names = authorityFileNames();
  const certificatePath = join(directory, names.certificate);
  const keyPath = join(directory, names.key);
  const missing: string[] = [];
  for (const path of [certificatePath, keyPath]) if (!(await exists(path))) missing.push(path);
  if (missing.length > 0) {
    throw new CairnError(
      'CAIRN_ERR_NOT_FOUND',
      `no CA in ${directory} (${missing.join(' and ')} not found): ` +
        `create one first with \`cairn cert create-ca --dir ${directory}\``,
      { details: { path: missing[0] ?? '' } },
    );
  }
  return {
    certificatePem: await readBoundedFile(certificatePath),
    privateKeyPem: await readBoundedFile(keyPath),
  };
}

export interface NodeFilesOptions {
  readonly directory: string;
  readonly name: string;
  readonly hosts: readonly string[];
  readonly validDays: number;
  readonly force: boolean;
}

export async function createNodeFiles(options: NodeFilesOptions): Promise<CreatedCertificate> {
  const names = nodeFileNames(options.name);
  const authority = await readAuthorityFiles(options.directory);
  await prepareDirectory(options.directory, names, options.force);
  const made = await createNodeCertificate(authority, {
    name: options.name,
    hosts: options.hosts,
    validDays: options.validDays,
  });
  return writePair(options.directory, names, made, options.force);
}

export interface ClientFilesOptions {
  readonly directory: string;
  readonly user: string;
  readonly validDays: number;
  readonly force: boolean;
}

export async function createClientFiles(options: ClientFilesOptions): Promise<CreatedCertificate> {
  const names = clientFileNames(options.user);
  const authority = await readAuthorityFiles(options.directory);
  await prepareDirectory(options.directory, names, options.force);
  const made = await createClientCertificate(authority, {
    user: options.user,
    validDays: options.validDays,
  });
  return writePair(options.directory, names, made, options.force);
}

/** Reads and summarizes one certificate file; a key file is refused, never shown. */
export async function inspectCertificateFile(path: string): Promise<CertificateSummary> {
  const text = await readBoundedFile(path);
  if (text.includes('PRIVATE KEY-----')) {
    throw new InvalidArgumentError(
      `${path} is a private key: cairn cert inspect shows certificates (the .crt file)`,
      { path },
    );
  }
  try {
    return inspect(text);
  } catch (error) {
    if (error instanceof CairnError) {
      throw new InvalidArgumentError(`${path}: ${error.message}`, { path });
    }
    throw error;
  }
}

export interface CertificateListEntry {
  readonly file: string;
  readonly kind: CertificateKind | 'invalid';
  readonly subject: string;
  readonly notAfter: string | null;
  readonly expired: boolean | null;
  readonly fingerprintSha256: string | null;
  readonly error: string | null;
}

/** Every *.crt file of a directory, by name; an unreadable one is listed as invalid. */
export async function listCertificateFiles(directory: string): Promise<CertificateListEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CairnError(
        'CAIRN_ERR_NOT_FOUND',
        `${directory} not found: ` +
          `create a CA there first with \`cairn cert create-ca --dir ${directory}\``,
        { details: { path: directory } },
      );
    }
    throw ioError(directory, error);
  }
  const files = names.filter((name) => name.endsWith('.crt')).sort();
  const entries: CertificateListEntry[] = [];
  for (const file of files.slice(0, limits.certificateDirectoryEntriesMax)) {
    try {
      const summary = await inspectCertificateFile(join(directory, file));
      entries.push({
        file,
        kind: summary.kind,
        subject: summary.subject,
        notAfter: summary.notAfter,
        expired: summary.expired,
        fingerprintSha256: summary.fingerprintSha256,
        error: null,
      });
    } catch (error) {
      if (!(error instanceof CairnError)) throw error;
      entries.push({
        file,
        kind: 'invalid',
        subject: '',
        notAfter: null,
        expired: null,
        fingerprintSha256: null,
        error: error.message,
      });
    }
  }
  return entries;
}
