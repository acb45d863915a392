// The commands of the meta group: what a proposer puts in a Raft entry's data and
// what every replica's state machine applies. Binary and compact (this is the hot
// path of every put): a format byte, a command tag, then the fields in a fixed order.
//
// One validator (commandProblem) serves both directions: encodeCommand refuses a bad
// command with InvalidArgumentError (the caller's mistake); decodeCommand refuses a
// bad entry with CorruptionError (a committed entry must have been encoded by us).

import { assert, assertNever } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { MemberState } from '../placement/index.js';
import { memberStates } from '../placement/index.js';
import {
  BinaryReader,
  BinaryWriter,
  corrupt,
  finishWithin,
  isSha256Hex,
  readBoundedString,
  readBoundedVarint,
  readFloat64,
  readLengthPrefixed,
  readSha256Hex,
  readTag,
  writeFloat64,
  writeSha256Hex,
} from './codec.js';
import { objectKeyProblem } from './keys.js';

export type MemberRole = 'learner' | 'voter';
export const memberRoles: readonly MemberRole[] = ['learner', 'voter'];

export interface MemberSpec {
  readonly id: string;
  /** Where clients reach the member (host:port or URL). */
  readonly clientAddress: string;
  /** Where peers reach the member (host:port or URL). */
  readonly peerAddress: string;
  readonly zone: string;
  readonly weight: number;
  readonly role: MemberRole;
}

/** ifVersion 0 means "the key is absent". */
export type WriteCondition = { readonly ifVersion: number } | { readonly ifAbsent: true };

export interface ManifestChunk {
  /** Lowercase hex SHA-256 of the chunk (64 digits); 32 raw bytes on the wire. */
  readonly sha256: string;
  readonly size: number;
}

export type ObjectValue =
  | { readonly kind: 'inline'; readonly bytes: Uint8Array }
  | {
      readonly kind: 'manifest';
      readonly size: number;
      /** SHA-256 of the whole object. */
      readonly sha256: string;
      /** Every chunk but the last has exactly this size (fixed-size chunking). */
      readonly chunkSizeBytes: number;
      readonly chunks: readonly ManifestChunk[];
    };

export type MetaCommand =
  | { readonly type: 'noop' }
  | {
      readonly type: 'bootstrapCluster';
      readonly clusterId: string;
      readonly replicationFactor: number;
      readonly vnodesPerWeightUnit: number;
      readonly members: readonly MemberSpec[];
    }
  | ({ readonly type: 'addMember' } & MemberSpec)
  | {
      readonly type: 'updateMember';
      readonly id: string;
      readonly clientAddress?: string;
      readonly peerAddress?: string;
      readonly zone?: string;
      readonly weight?: number;
      readonly role?: MemberRole;
      readonly state?: MemberState;
    }
  | { readonly type: 'removeMember'; readonly id: string }
  /** Rebalance finished moving data to `epoch`: older placements are no longer read. */
  | { readonly type: 'settleEpoch'; readonly epoch: number }
  | {
      readonly type: 'putObject';
      readonly key: string;
      readonly value: ObjectValue;
      readonly condition?: WriteCondition;
      /** Printable ASCII, up to metaRequestIdBytesMax; '' means no retry deduplication. */
      readonly requestId: string;
    }
  | {
      readonly type: 'deleteObject';
      readonly key: string;
      readonly condition?: WriteCondition;
      readonly requestId: string;
    };

export type MetaCommandType = MetaCommand['type'];

const commandFormatVersion = 1;
const commandTags: readonly MetaCommandType[] = [
  'noop',
  'bootstrapCluster',
  'addMember',
  'updateMember',
  'removeMember',
  'settleEpoch',
  'putObject',
  'deleteObject',
];
const what = 'meta command';

const membershipCommandTypes: ReadonlySet<MetaCommandType> = new Set([
  'bootstrapCluster',
  'addMember',
  'updateMember',
  'removeMember',
  'settleEpoch',
]);

/**
 * Whether an encoded command may change the members or the rings, read from its tag
 * alone: the node rebuilds its member and ring caches only then, not on every apply.
 * Unknown bytes answer true (rebuilding is always safe).
 */
export function commandChangesMembership(data: Uint8Array): boolean {
  if (data.length < 2 || data[0] !== commandFormatVersion) return true;
  const type = commandTags[data[1] as number];
  return type === undefined || membershipCommandTypes.has(type);
}

// Member ids and zones follow the placement ring's identifier rule.
const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const addressPattern = /^[\x21-\x7e]+$/;
const requestIdPattern = /^[\x21-\x7e]*$/;

export function encodeCommand(command: MetaCommand): Uint8Array {
  const problem = commandProblem(command);
  if (problem !== undefined) throw new InvalidArgumentError(problem, { command: command.type });
  const writer = new BinaryWriter(encodedSizeEstimateBytes(command));
  writer.writeUint8(commandFormatVersion);
  const tag = commandTags.indexOf(command.type);
  assert(tag >= 0, 'a known command type');
  writer.writeUint8(tag);
  encodeFields(writer, command);
  return finishWithin(writer, 'raftEntryBytesMax', limits.raftEntryBytesMax);
}

/** Enough capacity for the usual command in one allocation (the writer grows if not). */
function encodedSizeEstimateBytes(command: MetaCommand): number {
  if (command.type !== 'putObject') return 128;
  const value = command.value;
  const valueBytes = value.kind === 'inline' ? value.bytes.length : value.chunks.length * 40;
  return 96 + command.key.length * 3 + command.requestId.length + valueBytes;
}

/** Decodes an entry's data; throws CorruptionError for anything encodeCommand would not produce. */
export function decodeCommand(data: Uint8Array): MetaCommand {
  const reader = new BinaryReader(data, what);
  const format = readTag(reader, what, 'format version', 0xff);
  if (format !== commandFormatVersion) corrupt(what, `unknown format version ${format}`, reader);
  const type = commandTags[
    readTag(reader, what, 'command tag', commandTags.length - 1)
  ] as MetaCommandType;
  const command = decodeFields(reader, type);
  reader.expectEnd();
  const problem = commandProblem(command);
  if (problem !== undefined) corrupt(what, problem, reader);
  return command;
}

function encodeFields(writer: BinaryWriter, command: MetaCommand): void {
  switch (command.type) {
    case 'noop':
      return;
    case 'bootstrapCluster':
      writer.writeString(command.clusterId);
      writer.writeVarint(command.replicationFactor);
      writer.writeVarint(command.vnodesPerWeightUnit);
      writer.writeVarint(command.members.length);
      for (const member of command.members) writeMemberSpec(writer, member);
      return;
    case 'addMember':
      writeMemberSpec(writer, command);
      return;
    case 'updateMember':
      writeMemberUpdate(writer, command);
      return;
    case 'removeMember':
      writer.writeString(command.id);
      return;
    case 'settleEpoch':
      writer.writeVarint(command.epoch);
      return;
    case 'putObject':
      writer.writeString(command.key);
      writeObjectValue(writer, command.value);
      writeCondition(writer, command.condition);
      writer.writeString(command.requestId);
      return;
    case 'deleteObject':
      writer.writeString(command.key);
      writeCondition(writer, command.condition);
      writer.writeString(command.requestId);
      return;
    default:
      assertNever(command, 'meta command');
  }
}

function decodeFields(reader: BinaryReader, type: MetaCommandType): MetaCommand {
  switch (type) {
    case 'noop':
      return { type };
    case 'bootstrapCluster': {
      const clusterId = readBoundedString(reader, what, 'clusterId', limits.metaClusterIdBytesMax);
      const replicationFactor = readBoundedVarint(
        reader,
        what,
        'replicationFactor',
        1,
        limits.replicationFactorMax,
      );
      const vnodesPerWeightUnit = readBoundedVarint(
        reader,
        what,
        'vnodesPerWeightUnit',
        1,
        limits.placementVirtualNodesPerNodeMax,
      );
      const count = readBoundedVarint(reader, what, 'member count', 1, limits.placementMembersMax);
      const members: MemberSpec[] = [];
      for (let index = 0; index < count; index++) members.push(readMemberSpec(reader));
      return { type, clusterId, replicationFactor, vnodesPerWeightUnit, members };
    }
    case 'addMember':
      return { type, ...readMemberSpec(reader) };
    case 'updateMember':
      return readMemberUpdate(reader);
    case 'removeMember':
      return {
        type,
        id: readBoundedString(reader, what, 'member id', limits.placementIdentifierBytesMax),
      };
    case 'settleEpoch':
      return { type, epoch: readBoundedVarint(reader, what, 'epoch', 1, Number.MAX_SAFE_INTEGER) };
    case 'putObject': {
      const key = readBoundedString(reader, what, 'key', limits.keyLengthBytesMax);
      const value = readObjectValue(reader);
      const condition = readCondition(reader);
      const requestId = readBoundedString(reader, what, 'requestId', limits.metaRequestIdBytesMax);
      return condition === undefined
        ? { type, key, value, requestId }
        : { type, key, value, condition, requestId };
    }
    case 'deleteObject': {
      const key = readBoundedString(reader, what, 'key', limits.keyLengthBytesMax);
      const condition = readCondition(reader);
      const requestId = readBoundedString(reader, what, 'requestId', limits.metaRequestIdBytesMax);
      return condition === undefined
        ? { type, key, requestId }
        : { type, key, condition, requestId };
    }
    default:
      return assertNever(type, 'meta command type');
  }
}

export function writeMemberSpec(writer: BinaryWriter, member: MemberSpec): void {
  writer.writeString(member.id);
  writer.writeString(member.clientAddress);
  writer.writeString(member.peerAddress);
  writer.writeString(member.zone);
  writeFloat64(writer, member.weight);
  writer.writeUint8(memberRoles.indexOf(member.role));
}

export function readMemberSpec(reader: BinaryReader, recordWhat = what): MemberSpec {
  const id = readBoundedString(reader, recordWhat, 'member id', limits.placementIdentifierBytesMax);
  const clientAddress = readBoundedString(
    reader,
    recordWhat,
    'clientAddress',
    limits.metaAddressBytesMax,
  );
  const peerAddress = readBoundedString(
    reader,
    recordWhat,
    'peerAddress',
    limits.metaAddressBytesMax,
  );
  const zone = readBoundedString(reader, recordWhat, 'zone', limits.placementIdentifierBytesMax);
  const weight = readFloat64(reader, recordWhat, 'weight');
  const role = memberRoles[
    readTag(reader, recordWhat, 'role', memberRoles.length - 1)
  ] as MemberRole;
  return { id, clientAddress, peerAddress, zone, weight, role };
}

// updateMember: a presence bitmask, then the present fields in bit order.
const updateBits = {
  clientAddress: 1,
  peerAddress: 2,
  zone: 4,
  weight: 8,
  role: 16,
  state: 32,
} as const;
const updateBitsAll = 63;

function writeMemberUpdate(
  writer: BinaryWriter,
  command: Extract<MetaCommand, { type: 'updateMember' }>,
): void {
  writer.writeString(command.id);
  let mask = 0;
  if (command.clientAddress !== undefined) mask |= updateBits.clientAddress;
  if (command.peerAddress !== undefined) mask |= updateBits.peerAddress;
  if (command.zone !== undefined) mask |= updateBits.zone;
  if (command.weight !== undefined) mask |= updateBits.weight;
  if (command.role !== undefined) mask |= updateBits.role;
  if (command.state !== undefined) mask |= updateBits.state;
  writer.writeUint8(mask);
  if (command.clientAddress !== undefined) writer.writeString(command.clientAddress);
  if (command.peerAddress !== undefined) writer.writeString(command.peerAddress);
  if (command.zone !== undefined) writer.writeString(command.zone);
  if (command.weight !== undefined) writeFloat64(writer, command.weight);
  if (command.role !== undefined) writer.writeUint8(memberRoles.indexOf(command.role));
  if (command.state !== undefined) writer.writeUint8(memberStates.indexOf(command.state));
}

function readMemberUpdate(reader: BinaryReader): MetaCommand {
  const id = readBoundedString(reader, what, 'member id', limits.placementIdentifierBytesMax);
  const mask = readTag(reader, what, 'update mask', updateBitsAll);
  const update: {
    type: 'updateMember';
    id: string;
    clientAddress?: string;
    peerAddress?: string;
    zone?: string;
    weight?: number;
    role?: MemberRole;
    state?: MemberState;
  } = { type: 'updateMember', id };
  if (mask & updateBits.clientAddress)
    update.clientAddress = readBoundedString(
      reader,
      what,
      'clientAddress',
      limits.metaAddressBytesMax,
    );
  if (mask & updateBits.peerAddress)
    update.peerAddress = readBoundedString(reader, what, 'peerAddress', limits.metaAddressBytesMax);
  if (mask & updateBits.zone)
    update.zone = readBoundedString(reader, what, 'zone', limits.placementIdentifierBytesMax);
  if (mask & updateBits.weight) update.weight = readFloat64(reader, what, 'weight');
  if (mask & updateBits.role)
    update.role = memberRoles[readTag(reader, what, 'role', memberRoles.length - 1)] as MemberRole;
  if (mask & updateBits.state)
    update.state = memberStates[
      readTag(reader, what, 'state', memberStates.length - 1)
    ] as MemberState;
  return update;
}

const valueTags = { inline: 1, manifest: 2 } as const;

export function writeObjectValue(writer: BinaryWriter, value: ObjectValue): void {
  if (value.kind === 'inline') {
    writer.writeUint8(valueTags.inline);
    writer.writeBytes(value.bytes);
    return;
  }
  writer.writeUint8(valueTags.manifest);
  writer.writeVarint(value.size);
  writeSha256Hex(writer, value.sha256);
  writer.writeVarint(value.chunkSizeBytes);
  writer.writeVarint(value.chunks.length);
  for (const chunk of value.chunks) {
    writeSha256Hex(writer, chunk.sha256);
    writer.writeVarint(chunk.size);
  }
}

export function readObjectValue(reader: BinaryReader, recordWhat = what): ObjectValue {
  const tag = readTag(reader, recordWhat, 'value kind', valueTags.manifest);
  if (tag === valueTags.inline) {
    // Copy: the entry buffer must not be retained by whatever keeps the value.
    return {
      kind: 'inline',
      bytes: readLengthPrefixed(
        reader,
        recordWhat,
        'inline value',
        limits.objectInlineBytesMax,
      ).slice(),
    };
  }
  if (tag !== valueTags.manifest) corrupt(recordWhat, `unknown value kind ${tag}`, reader);
  const size = readBoundedVarint(reader, recordWhat, 'size', 1, Number.MAX_SAFE_INTEGER);
  const sha256 = readSha256Hex(reader, recordWhat, 'sha256');
  const chunkSizeBytes = readBoundedVarint(
    reader,
    recordWhat,
    'chunkSizeBytes',
    1,
    limits.chunkSizeBytes,
  );
  const count = readBoundedVarint(
    reader,
    recordWhat,
    'chunk count',
    1,
    limits.metaManifestChunksMax,
  );
  const chunks: ManifestChunk[] = [];
  for (let index = 0; index < count; index++) {
    const chunkSha256 = readSha256Hex(reader, recordWhat, 'chunk sha256');
    chunks.push({
      sha256: chunkSha256,
      size: readBoundedVarint(reader, recordWhat, 'chunk size', 1, chunkSizeBytes),
    });
  }
  return { kind: 'manifest', size, sha256, chunkSizeBytes, chunks };
}

const conditionTags = { none: 0, ifVersion: 1, ifAbsent: 2 } as const;

function writeCondition(writer: BinaryWriter, condition: WriteCondition | undefined): void {
  if (condition === undefined) writer.writeUint8(conditionTags.none);
  else if ('ifAbsent' in condition) writer.writeUint8(conditionTags.ifAbsent);
  else {
    writer.writeUint8(conditionTags.ifVersion);
    writer.writeVarint(condition.ifVersion);
  }
}

function readCondition(reader: BinaryReader): WriteCondition | undefined {
  const tag = readTag(reader, what, 'condition kind', conditionTags.ifAbsent);
  if (tag === conditionTags.none) return undefined;
  if (tag === conditionTags.ifAbsent) return { ifAbsent: true };
  return { ifVersion: readBoundedVarint(reader, what, 'ifVersion', 0, Number.MAX_SAFE_INTEGER) };
}

/** What is wrong with a command, or undefined when it is well formed (state is not consulted). */
export function commandProblem(command: MetaCommand): string | undefined {
  switch (command.type) {
    case 'noop':
      return undefined;
    case 'bootstrapCluster':
      return bootstrapProblem(command);
    case 'addMember':
      return memberSpecProblem(command);
    case 'updateMember':
      return memberUpdateProblem(command);
    case 'removeMember':
      return identifierProblem(command.id, 'member id');
    case 'settleEpoch':
      return integerProblem(command.epoch, 'epoch', 1, Number.MAX_SAFE_INTEGER);
    case 'putObject':
      return (
        objectKeyProblem(command.key) ??
        objectValueProblem(command.value) ??
        conditionProblem(command.condition) ??
        requestIdProblem(command.requestId)
      );
    case 'deleteObject':
      return (
        objectKeyProblem(command.key) ??
        conditionProblem(command.condition) ??
        requestIdProblem(command.requestId)
      );
    default:
      return assertNever(command, 'meta command');
  }
}

function bootstrapProblem(
  command: Extract<MetaCommand, { type: 'bootstrapCluster' }>,
): string | undefined {
  const clusterIdProblem = identifierProblem(
    command.clusterId,
    'clusterId',
    limits.metaClusterIdBytesMax,
  );
  if (clusterIdProblem !== undefined) return clusterIdProblem;
  const numberProblem =
    integerProblem(
      command.replicationFactor,
      'replicationFactor',
      1,
      limits.replicationFactorMax,
    ) ??
    integerProblem(
      command.vnodesPerWeightUnit,
      'vnodesPerWeightUnit',
      1,
      limits.placementVirtualNodesPerNodeMax,
    );
  if (numberProblem !== undefined) return numberProblem;
  if (command.members.length < 1 || command.members.length > limits.placementMembersMax) {
    return `a cluster is bootstrapped with 1 to ${limits.placementMembersMax} members, got ${command.members.length}`;
  }
  const ids = new Set<string>();
  let voters = 0;
  for (const member of command.members) {
    const problem = memberSpecProblem(member);
    if (problem !== undefined) return problem;
    if (ids.has(member.id)) return `duplicate member id "${member.id}"`;
    ids.add(member.id);
    if (member.role === 'voter') voters++;
  }
  if (voters < 1 || voters > limits.raftVotersMax)
    return `a cluster starts with 1 to ${limits.raftVotersMax} voters, got ${voters}`;
  return undefined;
}

function memberSpecProblem(member: MemberSpec): string | undefined {
  return (
    identifierProblem(member.id, 'member id') ??
    addressProblem(member.clientAddress, 'clientAddress') ??
    addressProblem(member.peerAddress, 'peerAddress') ??
    identifierProblem(member.zone, 'zone') ??
    weightProblem(member.weight) ??
    (memberRoles.includes(member.role)
      ? undefined
      : `role must be learner or voter, got ${String(member.role)}`)
  );
}

function memberUpdateProblem(
  command: Extract<MetaCommand, { type: 'updateMember' }>,
): string | undefined {
  const idProblem = identifierProblem(command.id, 'member id');
  if (idProblem !== undefined) return idProblem;
  const { clientAddress, peerAddress, zone, weight, role, state } = command;
  if (
    [clientAddress, peerAddress, zone, weight, role, state].every((field) => field === undefined)
  ) {
    return `updateMember of "${command.id}" changes nothing`;
  }
  if (clientAddress !== undefined && addressProblem(clientAddress, 'clientAddress'))
    return addressProblem(clientAddress, 'clientAddress');
  if (peerAddress !== undefined && addressProblem(peerAddress, 'peerAddress'))
    return addressProblem(peerAddress, 'peerAddress');
  if (zone !== undefined && identifierProblem(zone, 'zone')) return identifierProblem(zone, 'zone');
  if (weight !== undefined && weightProblem(weight)) return weightProblem(weight);
  if (role !== undefined && !memberRoles.includes(role))
    return `role must be learner or voter, got ${String(role)}`;
  if (state !== undefined && !memberStates.includes(state))
    return `state must be one of ${memberStates.join(', ')}, got ${String(state)}`;
  return undefined;
}

function objectValueProblem(value: ObjectValue): string | undefined {
  if (value.kind === 'inline') {
    if (!(value.bytes instanceof Uint8Array)) return 'an inline value is bytes';
    if (value.bytes.length > limits.objectInlineBytesMax) {
      return `an inline value is at most ${limits.objectInlineBytesMax} bytes (objectInlineBytesMax), got ${value.bytes.length}; use a manifest`;
    }
    return undefined;
  }
  const numberProblem =
    integerProblem(value.size, 'object size', 1, Number.MAX_SAFE_INTEGER) ??
    integerProblem(value.chunkSizeBytes, 'chunkSizeBytes', 1, limits.chunkSizeBytes) ??
    integerProblem(value.chunks.length, 'chunk count', 1, limits.metaManifestChunksMax);
  if (numberProblem !== undefined) return numberProblem;
  if (!isSha256Hex(value.sha256)) return 'the object sha256 must be 64 lowercase hex digits';
  let total = 0;
  for (let index = 0; index < value.chunks.length; index++) {
    const chunk = value.chunks[index] as ManifestChunk;
    if (!isSha256Hex(chunk.sha256)) return `chunk ${index} sha256 must be 64 lowercase hex digits`;
    const last = index === value.chunks.length - 1;
    const sizeProblem = integerProblem(
      chunk.size,
      `chunk ${index} size`,
      last ? 1 : value.chunkSizeBytes,
      value.chunkSizeBytes,
    );
    if (sizeProblem !== undefined) return sizeProblem;
    total += chunk.size;
  }
  if (total !== value.size)
    return `the chunk sizes add up to ${total}, the object size is ${value.size}`;
  return undefined;
}

function conditionProblem(condition: WriteCondition | undefined): string | undefined {
  if (condition === undefined) return undefined;
  if ('ifAbsent' in condition)
    return condition.ifAbsent === true ? undefined : 'ifAbsent must be true';
  return integerProblem(condition.ifVersion, 'ifVersion', 0, Number.MAX_SAFE_INTEGER);
}

function requestIdProblem(requestId: string): string | undefined {
  if (
    typeof requestId !== 'string' ||
    requestId.length > limits.metaRequestIdBytesMax ||
    !requestIdPattern.test(requestId)
  ) {
    return `a requestId is 0 to ${limits.metaRequestIdBytesMax} printable ASCII characters without spaces`;
  }
  return undefined;
}

function identifierProblem(
  value: string,
  field: string,
  lengthMax: number = limits.placementIdentifierBytesMax,
): string | undefined {
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > lengthMax ||
    !identifierPattern.test(value)
  ) {
    return `${field} must be 1 to ${lengthMax} characters of A-Z a-z 0-9 . _ : - starting with a letter or digit, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

function addressProblem(value: string, field: string): string | undefined {
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > limits.metaAddressBytesMax ||
    !addressPattern.test(value)
  ) {
    return `${field} must be 1 to ${limits.metaAddressBytesMax} printable ASCII characters without spaces, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

function weightProblem(weight: number): string | undefined {
  if (
    typeof weight !== 'number' ||
    !Number.isFinite(weight) ||
    weight <= 0 ||
    weight > limits.placementWeightMax
  ) {
    return `weight must be a number in (0, ${limits.placementWeightMax}], got ${String(weight)}`;
  }
  return undefined;
}

function integerProblem(
  value: number,
  field: string,
  minimum: number,
  maximum: number,
): string | undefined {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    return `${field} must be an integer in [${minimum}, ${maximum}], got ${String(value)}`;
  }
  return undefined;
}
