// The leases family's commands: their types, wire fields and validation. What they do
// to the state is in apply.ts.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
} from '../codec.js';
import { objectKeyProblem } from '../keys.js';
import { integerProblem } from '../validation.js';

const what = 'meta command';
const safeMax = Number.MAX_SAFE_INTEGER;

/** A new lease; its id is the revision of the grant (result `ok {version}`). */
export type GrantLeaseCommand = { readonly type: 'grantLease'; readonly ttlMilliseconds: number };
/** Renews a lease: its full TTL again, measured from this entry's apply on each node. */
export type KeepaliveLeaseCommand = { readonly type: 'keepaliveLease'; readonly id: number };
export type RevokeLeaseCommand = { readonly type: 'revokeLease'; readonly id: number };
/**
 * The leader's decision that a lease ran out: applies only while the lease's last
 * renewal is still `renewedIndex` (a keepalive committed first wins: `conflict`).
 */
export type ExpireLeaseCommand = {
  readonly type: 'expireLease';
  readonly id: number;
  readonly renewedIndex: number;
};
export interface LeaseCheckpoint {
  readonly id: number;
  readonly renewedIndex: number;
  readonly remainingMilliseconds: number;
}
/** The leader's measure of time left, so a restarted node never restarts a full TTL. */
export type CheckpointLeasesCommand = {
  readonly type: 'checkpointLeases';
  readonly checkpoints: readonly LeaseCheckpoint[];
};

/** Attaches the object just written (in the same batch) to a lease: it goes when the lease does. */
export type AttachObjectCommand = {
  readonly type: 'attachObject';
  readonly leaseId: number;
  readonly key: string;
};
/** Deletes the next objects of a lease that ended (the leader proposes it until none is left). */
export type DeleteLeaseObjectsCommand = {
  readonly type: 'deleteLeaseObjects';
  readonly id: number;
};

export type LeaseCommand =
  | AttachObjectCommand
  | DeleteLeaseObjectsCommand
  | GrantLeaseCommand
  | KeepaliveLeaseCommand
  | RevokeLeaseCommand
  | ExpireLeaseCommand
  | CheckpointLeasesCommand;

export function writeGrant(writer: BinaryWriter, command: GrantLeaseCommand): void {
  writer.writeVarint(command.ttlMilliseconds);
}

export function readGrant(reader: BinaryReader): GrantLeaseCommand {
  const ttlMilliseconds = readBoundedVarint(reader, what, 'ttlMilliseconds', 1, safeMax);
  return { type: 'grantLease', ttlMilliseconds };
}

export function writeLeaseId(writer: BinaryWriter, command: { readonly id: number }): void {
  writer.writeVarint(command.id);
}

export function readKeepalive(reader: BinaryReader): KeepaliveLeaseCommand {
  return { type: 'keepaliveLease', id: readBoundedVarint(reader, what, 'lease id', 1, safeMax) };
}

export function readRevoke(reader: BinaryReader): RevokeLeaseCommand {
  return { type: 'revokeLease', id: readBoundedVarint(reader, what, 'lease id', 1, safeMax) };
}

export function writeExpire(writer: BinaryWriter, command: ExpireLeaseCommand): void {
  writer.writeVarint(command.id);
  writer.writeVarint(command.renewedIndex);
}

export function readExpire(reader: BinaryReader): ExpireLeaseCommand {
  const id = readBoundedVarint(reader, what, 'lease id', 1, safeMax);
  const renewedIndex = readBoundedVarint(reader, what, 'renewedIndex', 1, safeMax);
  return { type: 'expireLease', id, renewedIndex };
}

export function writeCheckpoints(writer: BinaryWriter, command: CheckpointLeasesCommand): void {
  writer.writeVarint(command.checkpoints.length);
  for (const checkpoint of command.checkpoints) {
    writer.writeVarint(checkpoint.id);
    writer.writeVarint(checkpoint.renewedIndex);
    writer.writeVarint(checkpoint.remainingMilliseconds);
  }
}

export function readCheckpoints(reader: BinaryReader): CheckpointLeasesCommand {
  const countMax = limits.leaseCheckpointsPerEntryMax;
  const count = readBoundedVarint(reader, what, 'checkpoint count', 1, countMax);
  const checkpoints: LeaseCheckpoint[] = [];
  for (let index = 0; index < count; index++) {
    const id = readBoundedVarint(reader, what, 'lease id', 1, safeMax);
    const renewedIndex = readBoundedVarint(reader, what, 'renewedIndex', 1, safeMax);
    const remainingMilliseconds = readBoundedVarint(
      reader,
      what,
      'remainingMilliseconds',
      0,
      limits.leaseTtlMillisecondsMax,
    );
    checkpoints.push({ id, renewedIndex, remainingMilliseconds });
  }
  return { type: 'checkpointLeases', checkpoints };
}

export function ttlProblem(ttlMilliseconds: number): string | undefined {
  const { leaseTtlMillisecondsMin: minimum, leaseTtlMillisecondsMax: maximum } = limits;
  if (Number.isSafeInteger(ttlMilliseconds) && ttlMilliseconds < minimum)
    return `a lease TTL is at least ${minimum} ms (leaseTtlMillisecondsMin), got ${ttlMilliseconds}`;
  return integerProblem(ttlMilliseconds, 'ttlMilliseconds', minimum, maximum);
}

export function leaseIdProblem(command: { readonly id: number }): string | undefined {
  return integerProblem(command.id, 'lease id', 1, safeMax);
}

export function expireProblem(command: ExpireLeaseCommand): string | undefined {
  return (
    leaseIdProblem(command) ?? integerProblem(command.renewedIndex, 'renewedIndex', 1, safeMax)
  );
}

export function checkpointsProblem(command: CheckpointLeasesCommand): string | undefined {
  const { checkpoints } = command;
  const countMax = limits.leaseCheckpointsPerEntryMax;
  if (!Array.isArray(checkpoints)) return 'checkpoints must be a list';
  const countProblem = integerProblem(checkpoints.length, 'checkpoint count', 1, countMax);
  if (countProblem !== undefined) return countProblem;
  for (const checkpoint of checkpoints) {
    const problem =
      leaseIdProblem(checkpoint) ??
      integerProblem(checkpoint.renewedIndex, 'renewedIndex', 1, safeMax) ??
      integerProblem(
        checkpoint.remainingMilliseconds,
        'remainingMilliseconds',
        0,
        limits.leaseTtlMillisecondsMax,
      );
    if (problem !== undefined) return problem;
  }
  return undefined;
}

export function writeAttach(writer: BinaryWriter, command: AttachObjectCommand): void {
  writer.writeVarint(command.leaseId);
  writer.writeString(command.key);
}

export function readAttach(reader: BinaryReader): AttachObjectCommand {
  const leaseId = readBoundedVarint(reader, what, 'lease id', 1, safeMax);
  const key = readBoundedString(reader, what, 'key', limits.keyLengthBytesMax);
  return { type: 'attachObject', leaseId, key };
}

export function readDeleteObjects(reader: BinaryReader): DeleteLeaseObjectsCommand {
  return {
    type: 'deleteLeaseObjects',
    id: readBoundedVarint(reader, what, 'lease id', 1, safeMax),
  };
}

export function attachProblem(command: AttachObjectCommand): string | undefined {
  return integerProblem(command.leaseId, 'lease id', 1, safeMax) ?? objectKeyProblem(command.key);
}
