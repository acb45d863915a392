// The cluster family's commands: their types, wire fields and validation. What they do
// to the state is in apply.ts.

import { limits } from '../../util/limits.js';
import type { MemberState } from '../../placement/index.js';
import { memberStates } from '../../placement/index.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
  readFloat64,
  readTag,
  writeFloat64,
} from '../codec.js';
import { addressProblem, identifierProblem, integerProblem, weightProblem } from '../validation.js';
import {
  type MemberRole,
  type MemberSpec,
  memberRoles,
  readMemberSpec,
  writeMemberSpec,
} from './records.js';

const what = 'meta command';

export type BootstrapClusterCommand = {
  readonly type: 'bootstrapCluster';
  readonly clusterId: string;
  readonly replicationFactor: number;
  readonly vnodesPerWeightUnit: number;
  readonly members: readonly MemberSpec[];
};
export type AddMemberCommand = { readonly type: 'addMember' } & MemberSpec;
export type UpdateMemberCommand = {
  readonly type: 'updateMember';
  readonly id: string;
  readonly clientAddress?: string;
  readonly peerAddress?: string;
  readonly zone?: string;
  readonly weight?: number;
  readonly role?: MemberRole;
  readonly state?: MemberState;
};
export type RemoveMemberCommand = { readonly type: 'removeMember'; readonly id: string };
/** Rebalance finished moving data to `epoch`: older placements are no longer read. */
export type SettleEpochCommand = { readonly type: 'settleEpoch'; readonly epoch: number };

// Issue 13: cluster settings and down members (applied in settings.ts).
export type SetClusterSettingsCommand = {
  readonly type: 'setClusterSettings';
  readonly writeQuorum?: number;
  readonly downAfterMilliseconds?: number;
  readonly repairRateBytesPerSecond?: number;
  readonly rebalanceRateBytesPerSecond?: number;
  /** The operator's explicit consent to W = 1 while R >= 2 (one copy acknowledged). */
  readonly allowWriteQuorumOne?: boolean;
};

/** Marks a member down (`down`) or up again; the leader proposes it (down-members duty). */
export type SetMemberDownCommand = {
  readonly type: 'setMemberDown';
  readonly id: string;
  readonly down: boolean;
  /** Wall-clock milliseconds when the leader last heard from it (shown by status). */
  readonly lastHeardAtMilliseconds: number;
};

export type MembershipCommand = AddMemberCommand | UpdateMemberCommand | RemoveMemberCommand;
export type ClusterCommand =
  | BootstrapClusterCommand
  | MembershipCommand
  | SettleEpochCommand
  | SetClusterSettingsCommand
  | SetMemberDownCommand;

export function writeBootstrap(writer: BinaryWriter, command: BootstrapClusterCommand): void {
  writer.writeString(command.clusterId);
  writer.writeVarint(command.replicationFactor);
  writer.writeVarint(command.vnodesPerWeightUnit);
  writer.writeVarint(command.members.length);
  for (const member of command.members) writeMemberSpec(writer, member);
}

export function readBootstrap(reader: BinaryReader): BootstrapClusterCommand {
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
  for (let index = 0; index < count; index++) members.push(readMemberSpec(reader, what));
  return { type: 'bootstrapCluster', clusterId, replicationFactor, vnodesPerWeightUnit, members };
}

export function writeAddMember(writer: BinaryWriter, command: AddMemberCommand): void {
  writeMemberSpec(writer, command);
}

export function readAddMember(reader: BinaryReader): AddMemberCommand {
  return { type: 'addMember', ...readMemberSpec(reader, what) };
}

export function writeRemoveMember(writer: BinaryWriter, command: RemoveMemberCommand): void {
  writer.writeString(command.id);
}

export function readRemoveMember(reader: BinaryReader): RemoveMemberCommand {
  return {
    type: 'removeMember',
    id: readBoundedString(reader, what, 'member id', limits.placementIdentifierBytesMax),
  };
}

export function writeSettleEpoch(writer: BinaryWriter, command: SettleEpochCommand): void {
  writer.writeVarint(command.epoch);
}

export function readSettleEpoch(reader: BinaryReader): SettleEpochCommand {
  return {
    type: 'settleEpoch',
    epoch: readBoundedVarint(reader, what, 'epoch', 1, Number.MAX_SAFE_INTEGER),
  };
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

export function writeMemberUpdate(writer: BinaryWriter, command: UpdateMemberCommand): void {
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

export function readMemberUpdate(reader: BinaryReader): UpdateMemberCommand {
  const id = readBoundedString(reader, what, 'member id', limits.placementIdentifierBytesMax);
  const mask = readTag(reader, what, 'update mask', updateBitsAll);
  const update: {
    -readonly [Field in keyof UpdateMemberCommand]: UpdateMemberCommand[Field];
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

export function bootstrapProblem(command: BootstrapClusterCommand): string | undefined {
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

export function memberSpecProblem(member: MemberSpec): string | undefined {
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

export function memberUpdateProblem(command: UpdateMemberCommand): string | undefined {
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
