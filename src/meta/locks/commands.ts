// The locks family's commands: their types, wire fields and validation.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
  readTag,
} from '../codec.js';
import { integerProblem } from '../validation.js';
import { type LockMode, modeTags } from './records.js';

const what = 'meta command';
const safeMax = Number.MAX_SAFE_INTEGER;
const lockNamePattern = /^[A-Za-z0-9._:/-]+$/;
const ownerPattern = /^[\x21-\x7e]+$/;

/**
 * Joins the lock's queue (or holds it at once when the head of the queue may). The
 * owner names the request: a retry is the same entry, never a second one.
 */
export type AcquireLockCommand = {
  readonly type: 'acquireLock';
  readonly name: string;
  readonly mode: LockMode;
  /** N for a semaphore, 0 otherwise. */
  readonly semaphoreLimit: number;
  readonly leaseId: number;
  readonly owner: string;
};
/** Leaves the lock (held or waiting); the next waiters that may are granted in the same entry. */
export type ReleaseLockCommand = {
  readonly type: 'releaseLock';
  readonly name: string;
  readonly owner: string;
};
/** Applies only while `token` holds `name` (in a batch before the write it fences). */
export type CheckFenceCommand = {
  readonly type: 'checkFence';
  readonly name: string;
  readonly token: number;
};

export type LockCommand = AcquireLockCommand | ReleaseLockCommand | CheckFenceCommand;

export function writeAcquire(writer: BinaryWriter, command: AcquireLockCommand): void {
  writer.writeString(command.name);
  writer.writeUint8(modeTags[command.mode]);
  writer.writeVarint(command.semaphoreLimit);
  writer.writeVarint(command.leaseId);
  writer.writeString(command.owner);
}

const modes: readonly LockMode[] = ['exclusive', 'exclusive', 'shared', 'semaphore'];

export function readAcquire(reader: BinaryReader): AcquireLockCommand {
  const name = readBoundedString(reader, what, 'lock name', limits.lockNameBytesMax);
  const mode = modes[readTag(reader, what, 'lock mode', modeTags.semaphore)] as LockMode;
  const semaphoreLimit = readBoundedVarint(
    reader,
    what,
    'semaphoreLimit',
    0,
    limits.lockHoldersMax,
  );
  const leaseId = readBoundedVarint(reader, what, 'lease id', 1, safeMax);
  const owner = readBoundedString(reader, what, 'owner', limits.metaRequestIdBytesMax);
  return { type: 'acquireLock', name, mode, semaphoreLimit, leaseId, owner };
}

export function writeRelease(writer: BinaryWriter, command: ReleaseLockCommand): void {
  writer.writeString(command.name);
  writer.writeString(command.owner);
}

export function readRelease(reader: BinaryReader): ReleaseLockCommand {
  const name = readBoundedString(reader, what, 'lock name', limits.lockNameBytesMax);
  const owner = readBoundedString(reader, what, 'owner', limits.metaRequestIdBytesMax);
  return { type: 'releaseLock', name, owner };
}

export function writeFence(writer: BinaryWriter, command: CheckFenceCommand): void {
  writer.writeString(command.name);
  writer.writeVarint(command.token);
}

export function readFence(reader: BinaryReader): CheckFenceCommand {
  const name = readBoundedString(reader, what, 'lock name', limits.lockNameBytesMax);
  const token = readBoundedVarint(reader, what, 'token', 1, safeMax);
  return { type: 'checkFence', name, token };
}

export function lockNameProblem(name: string): string | undefined {
  const lengthMax = limits.lockNameBytesMax;
  if (typeof name === 'string' && name.length >= 1 && name.length <= lengthMax)
    if (lockNamePattern.test(name)) return undefined;
  return `a lock name is 1 to ${lengthMax} characters of A-Z a-z 0-9 . _ : / -, got ${JSON.stringify(name)}`;
}

export function ownerProblem(owner: string): string | undefined {
  const lengthMax = limits.metaRequestIdBytesMax;
  if (typeof owner === 'string' && owner.length >= 1 && owner.length <= lengthMax)
    if (ownerPattern.test(owner)) return undefined;
  return `a lock request id is 1 to ${lengthMax} printable ASCII characters, got ${JSON.stringify(owner)}`;
}

export function acquireProblem(command: AcquireLockCommand): string | undefined {
  const problem =
    lockNameProblem(command.name) ??
    ownerProblem(command.owner) ??
    integerProblem(command.leaseId, 'lease id', 1, safeMax);
  if (problem !== undefined) return problem;
  if (!(command.mode in modeTags)) return `unknown lock mode ${String(command.mode)}`;
  if (command.mode !== 'semaphore')
    return command.semaphoreLimit === 0 ? undefined : 'only a semaphore has a limit';
  return integerProblem(command.semaphoreLimit, 'semaphore limit', 1, limits.lockHoldersMax);
}

export function releaseProblem(command: ReleaseLockCommand): string | undefined {
  return lockNameProblem(command.name) ?? ownerProblem(command.owner);
}

export function fenceProblem(command: CheckFenceCommand): string | undefined {
  return lockNameProblem(command.name) ?? integerProblem(command.token, 'fence token', 1, safeMax);
}
