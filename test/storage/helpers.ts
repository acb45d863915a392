// Shared helpers for storage tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Disk } from '../../src/storage/disk.js';
import { Wal, type ReplayedRecord, type WalOptions } from '../../src/storage/wal.js';
import { CairnError } from '../../src/util/errors.js';

export function temporaryDirectory(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `cairn-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function openWal(
  disk: Disk,
  directory: string,
  options: WalOptions = {},
): Promise<{ wal: Wal; records: ReplayedRecord[] }> {
  const records: ReplayedRecord[] = [];
  const wal = await Wal.open(disk, directory, options, (record) => records.push(record));
  return { wal, records };
}

/** A payload whose bytes are derived from its number, so any damage is visible. */
export function payloadFor(number: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (number * 2654435761 + 1) >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs `action` and returns the CairnError it throws; fails if it does not throw one. */
export async function expectCairnError(
  action: () => Promise<unknown>,
  code: string,
): Promise<CairnError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof CairnError && error.code === code) return error;
    throw new Error(`expected ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}
