// A node's identity on disk: which cluster it belongs to, and for a founding member
// the founding configuration. Written once (temporary file, fsync, rename, directory
// fsync), so a crash leaves either no identity or a whole one. A data directory is
// also locked against a second process (a stale lock of a dead process is taken over).

import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../util/errors.js';
import type { MemberAddressing } from '../api/index.js';

export interface FoundingConfiguration {
  readonly members: readonly MemberAddressing[];
  readonly replicationFactor: number;
}

export interface NodeIdentity {
  readonly formatVersion: 1;
  readonly clusterId: string;
  readonly nodeId: string;
  /** Present on the members that formed the cluster with `cairn bootstrap`. */
  readonly founding?: FoundingConfiguration;
  /** Present on a member that joined later: the members it was told of, until the meta state lists them. */
  readonly joinedWith?: readonly MemberAddressing[];
}

const identityFileName = 'identity.json';
const lockFileName = 'LOCK';

export function readIdentity(dataDirectory: string): NodeIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDirectory, identityFileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as NodeIdentity;
  if (
    parsed.formatVersion !== 1 ||
    typeof parsed.clusterId !== 'string' ||
    typeof parsed.nodeId !== 'string'
  ) {
    throw new CairnError(
      'CAIRN_ERR_CORRUPTION',
      `${join(dataDirectory, identityFileName)} is not a cairn identity file`,
    );
  }
  return parsed;
}

export function writeIdentity(dataDirectory: string, identity: NodeIdentity): void {
  const path = join(dataDirectory, identityFileName);
  const temporary = `${path}.tmp`;
  const descriptor = openSync(temporary, 'w');
  try {
    writeSync(descriptor, JSON.stringify(identity, null, 2));
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
  const directory = openSync(dataDirectory, 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}

/** Takes the data directory's lock; refuses if a live process holds it. */
export function lockDataDirectory(dataDirectory: string): () => void {
  const path = join(dataDirectory, lockFileName);
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(path, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (
    holder !== undefined &&
    Number.isSafeInteger(holder) &&
    holder !== process.pid &&
    processIsAlive(holder)
  ) {
    throw new CairnError(
      'CAIRN_ERR_USAGE',
      `the data directory ${dataDirectory} is in use by process ${holder}; stop it first or pick another --data-dir`,
    );
  }
  writeFileSync(path, String(process.pid));
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
