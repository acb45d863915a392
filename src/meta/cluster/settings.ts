// The cluster's settings (issue 13), changed through the meta group so every member
// acts on the same values, and the members marked down:
//   c/settings       write quorum W, down-after, repair and rebalance rates
//   c/down/<member>  a member unreachable longer than down-after (when it was marked)
// Before the first setClusterSettings the defaults hold: W is a majority of R.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
  readTag,
} from '../codec.js';
import type { ApplyContext } from '../family.js';
import { deleteReported, putReported } from '../family.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from '../record-format.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import type { MetaReader } from '../store.js';
import { identifierProblem, integerProblem } from '../validation.js';
import { commitRingEpoch } from './apply.js';
import type { SetClusterSettingsCommand, SetMemberDownCommand } from './commands.js';
import { clusterKeys, memberKey } from './keys.js';
import { readIdentity, readMembers, readRingState } from './queries.js';

export const settingsKey = clusterKeys.settings;
export const downPrefix = clusterKeys.downPrefix;
export const downKey = (id: string): string => downPrefix + id;

export interface ClusterSettings {
  /** Copies of a chunk that must be durable before a put is acknowledged. */
  readonly writeQuorum: number;
  /** A member unreachable this long is marked down and its chunks re-replicated. */
  readonly downAfterMilliseconds: number;
  /** Bytes per second of automatic repair (0: unlimited). */
  readonly repairRateBytesPerSecond: number;
  /** Bytes per second of rebalance after a ring change (0: unlimited). */
  readonly rebalanceRateBytesPerSecond: number;
}

export const downAfterMillisecondsDefault = 5 * 60_000;
export const downAfterMillisecondsMin = 1_000;
export const downAfterMillisecondsMax = 7 * 24 * 3_600_000;
export const repairRateBytesPerSecondDefault = 64 * 1024 * 1024;

/** A majority of R: 2 of 3, 3 of 5, 1 of 1. */
export function majorityOf(replicationFactor: number): number {
  return Math.floor(replicationFactor / 2) + 1;
}

export function defaultSettings(replicationFactor: number): ClusterSettings {
  return {
    writeQuorum: majorityOf(replicationFactor),
    downAfterMilliseconds: downAfterMillisecondsDefault,
    repairRateBytesPerSecond: repairRateBytesPerSecondDefault,
    rebalanceRateBytesPerSecond: 0,
  };
}

const what = 'meta command';
const settingBits = { writeQuorum: 1, downAfter: 2, repairRate: 4, rebalanceRate: 8, allow: 16 };
const settingBitsAll = 31;
const settingFields = [
  'writeQuorum',
  'downAfterMilliseconds',
  'repairRateBytesPerSecond',
  'rebalanceRateBytesPerSecond',
] as const;

export function writeSetSettings(writer: BinaryWriter, command: SetClusterSettingsCommand): void {
  let mask = 0;
  settingFields.forEach((field, position) => {
    if (command[field] !== undefined) mask |= 1 << position;
  });
  if (command.allowWriteQuorumOne === true) mask |= settingBits.allow;
  writer.writeUint8(mask);
  for (const field of settingFields) {
    const value = command[field];
    if (value !== undefined) writer.writeVarint(value);
  }
}

export function readSetSettings(reader: BinaryReader): SetClusterSettingsCommand {
  const mask = readTag(reader, what, 'settings mask', settingBitsAll);
  const command: {
    -readonly [F in keyof SetClusterSettingsCommand]: SetClusterSettingsCommand[F];
  } = { type: 'setClusterSettings' };
  settingFields.forEach((field, position) => {
    if (mask & (1 << position))
      command[field] = readBoundedVarint(reader, what, field, 0, safeIntegerMax);
  });
  if (mask & settingBits.allow) command.allowWriteQuorumOne = true;
  return command;
}

export function setSettingsProblem(command: SetClusterSettingsCommand): string | undefined {
  if (settingFields.every((field) => command[field] === undefined))
    return 'setClusterSettings changes nothing';
  const rateMax = limits.maintenanceRateBytesPerSecondMax;
  return (
    (command.writeQuorum === undefined
      ? undefined
      : integerProblem(command.writeQuorum, 'writeQuorum', 1, limits.replicationFactorMax)) ??
    (command.downAfterMilliseconds === undefined
      ? undefined
      : integerProblem(
          command.downAfterMilliseconds,
          'downAfterMilliseconds',
          downAfterMillisecondsMin,
          downAfterMillisecondsMax,
        )) ??
    (command.repairRateBytesPerSecond === undefined
      ? undefined
      : integerProblem(command.repairRateBytesPerSecond, 'repairRateBytesPerSecond', 0, rateMax)) ??
    (command.rebalanceRateBytesPerSecond === undefined
      ? undefined
      : integerProblem(
          command.rebalanceRateBytesPerSecond,
          'rebalanceRateBytesPerSecond',
          0,
          rateMax,
        ))
  );
}

/** Why W does not fit R (undefined when it does). */
export function writeQuorumProblem(
  writeQuorum: number,
  replicationFactor: number,
  allowWriteQuorumOne: boolean,
): string | undefined {
  if (writeQuorum > replicationFactor)
    return `the write quorum (${writeQuorum}) cannot exceed the replication factor (${replicationFactor})`;
  if (writeQuorum < 2 && replicationFactor >= 2 && !allowWriteQuorumOne)
    return `a write quorum of 1 with ${replicationFactor} copies acknowledges a put on one disk; say so explicitly (--allow-write-quorum-one) if that is what you want`;
  return undefined;
}

export function applySetSettings(
  context: ApplyContext,
  command: SetClusterSettingsCommand,
): MetaResult {
  const identity = readIdentity(context.transaction);
  if (identity === undefined) return notBootstrapped();
  const current = readClusterSettings(context.transaction, identity.replicationFactor);
  const next: ClusterSettings = {
    writeQuorum: command.writeQuorum ?? current.writeQuorum,
    downAfterMilliseconds: command.downAfterMilliseconds ?? current.downAfterMilliseconds,
    repairRateBytesPerSecond: command.repairRateBytesPerSecond ?? current.repairRateBytesPerSecond,
    rebalanceRateBytesPerSecond:
      command.rebalanceRateBytesPerSecond ?? current.rebalanceRateBytesPerSecond,
  };
  if (command.writeQuorum !== undefined) {
    const problem = writeQuorumProblem(
      next.writeQuorum,
      identity.replicationFactor,
      command.allowWriteQuorumOne === true,
    );
    if (problem !== undefined) return rejected(problem);
  }
  putReported(context, 'cluster', settingsKey, encodeSettings(next));
  return { type: 'ok', version: context.revision };
}

function encodeSettings(settings: ClusterSettings): Uint8Array {
  const out = recordWriter(32);
  for (const field of settingFields) out.writeVarint(settings[field]);
  return finishRecord(out);
}

function decodeSettings(bytes: Uint8Array): ClusterSettings {
  const input = recordReader(bytes, 'cluster settings record');
  const read = (field: string) =>
    readBoundedVarint(input, 'cluster settings record', field, 0, safeIntegerMax);
  return {
    writeQuorum: read('writeQuorum'),
    downAfterMilliseconds: read('downAfterMilliseconds'),
    repairRateBytesPerSecond: read('repairRateBytesPerSecond'),
    rebalanceRateBytesPerSecond: read('rebalanceRateBytesPerSecond'),
  };
}

/** The recorded settings, or the defaults for R before any were set. */
export function readClusterSettings(
  reader: MetaReader,
  replicationFactor: number,
): ClusterSettings {
  const bytes = reader.get(settingsKey);
  return bytes === undefined ? defaultSettings(replicationFactor) : decodeSettings(bytes);
}

export function writeSetMemberDown(writer: BinaryWriter, command: SetMemberDownCommand): void {
  writer.writeString(command.id);
  writer.writeUint8(command.down ? 1 : 0);
  writer.writeVarint(command.lastHeardAtMilliseconds);
}

export function readSetMemberDown(reader: BinaryReader): SetMemberDownCommand {
  const id = readBoundedString(reader, what, 'member id', limits.placementIdentifierBytesMax);
  const down = readTag(reader, what, 'down', 1) === 1;
  const lastHeardAtMilliseconds = readBoundedVarint(reader, what, 'lastHeard', 0, safeIntegerMax);
  return { type: 'setMemberDown', id, down, lastHeardAtMilliseconds };
}

export function setMemberDownProblem(command: SetMemberDownCommand): string | undefined {
  return (
    identifierProblem(command.id, 'member id') ??
    integerProblem(command.lastHeardAtMilliseconds, 'lastHeardAtMilliseconds', 0, safeIntegerMax)
  );
}

/**
 * Marks a member down or up and commits a ring epoch that places around it (or with it
 * again), so the rebalance passes re-replicate its chunks onto the next members and,
 * once it is back, return them and remove the surplus only after the epoch settles.
 * With too few members left for R the mark stands without a new ring.
 */
export function applySetMemberDown(
  context: ApplyContext,
  command: SetMemberDownCommand,
): MetaResult {
  const identity = readIdentity(context.transaction);
  if (identity === undefined) return notBootstrapped();
  if (context.transaction.get(memberKey(command.id)) === undefined)
    return rejected(`no member "${command.id}"`);
  const key = downKey(command.id);
  const marked = context.transaction.get(key) !== undefined;
  if (marked === command.down) return { type: 'ok', version: context.revision };
  const ringState = readRingState(context.transaction);
  if (ringState === undefined) return notBootstrapped();
  if (ringState.currentEpoch - ringState.settledEpoch >= limits.metaRingEpochsUnsettledMax)
    return rejected(
      `${limits.metaRingEpochsUnsettledMax} ring epochs are not settled yet; ${command.id} is marked once they are`,
    );
  if (command.down) {
    const out = recordWriter(16);
    out.writeVarint(command.lastHeardAtMilliseconds);
    putReported(context, 'cluster', key, finishRecord(out));
  } else deleteReported(context, 'cluster', key);
  // A problem here means no valid ring without the member (fewer than R left): no epoch.
  commitRingEpoch(context, identity, ringState, readMembers(context.transaction));
  return { type: 'ok', version: context.revision };
}

export interface DownMember {
  readonly id: string;
  /** Wall-clock milliseconds when the leader last heard from it before marking it. */
  readonly lastHeardAtMilliseconds: number;
}

/** The members marked down, in id order (bounded by placementMembersMax). */
export function readDownMembers(reader: MetaReader): DownMember[] {
  const entries = reader.rangeEntries(downPrefix, undefined, limits.placementMembersMax);
  return entries.map((entry) => {
    const input = recordReader(entry.value, 'down member record');
    return {
      id: entry.key.slice(downPrefix.length),
      lastHeardAtMilliseconds: readBoundedVarint(
        input,
        'down member record',
        'lastHeard',
        0,
        safeIntegerMax,
      ),
    };
  });
}
