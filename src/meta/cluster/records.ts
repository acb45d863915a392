// The cluster family's records: identity and settings, members, ring state and the
// ring description of each epoch.

import { limits } from '../../util/limits.js';
import { assert } from '../../util/assert.js';
import type { MemberState, RingDescription, RingMember } from '../../placement/index.js';
import { memberStates, ringDescriptionFormatVersion } from '../../placement/index.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
  readFloat64,
  readTag,
  writeFloat64,
} from '../codec.js';
import {
  finishRecord as finish,
  recordReader as reader,
  recordWriter as writer,
  safeIntegerMax as safeMax,
} from '../record-format.js';

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

export interface ClusterIdentity {
  readonly clusterId: string;
  readonly replicationFactor: number;
  readonly vnodesPerWeightUnit: number;
  /** The revision of the bootstrapCluster entry. */
  readonly bootstrapRevision: number;
}

export interface RingState {
  readonly currentEpoch: number;
  /** Data has fully moved to this epoch's placement; epochs after it are being rebalanced to. */
  readonly settledEpoch: number;
}

export interface MemberRecord extends MemberSpec {
  readonly state: MemberState;
  readonly addedRevision: number;
  readonly updatedRevision: number;
}

export function encodeIdentity(identity: ClusterIdentity): Uint8Array {
  const out = writer();
  out.writeString(identity.clusterId);
  out.writeVarint(identity.replicationFactor);
  out.writeVarint(identity.vnodesPerWeightUnit);
  out.writeVarint(identity.bootstrapRevision);
  return finish(out);
}

export function decodeIdentity(bytes: Uint8Array): ClusterIdentity {
  const what = 'cluster identity record';
  const input = reader(bytes, what);
  const identity: ClusterIdentity = {
    clusterId: readBoundedString(input, what, 'clusterId', limits.metaClusterIdBytesMax),
    replicationFactor: readBoundedVarint(
      input,
      what,
      'replicationFactor',
      1,
      limits.replicationFactorMax,
    ),
    vnodesPerWeightUnit: readBoundedVarint(
      input,
      what,
      'vnodesPerWeightUnit',
      1,
      limits.placementVirtualNodesPerNodeMax,
    ),
    bootstrapRevision: readBoundedVarint(input, what, 'bootstrapRevision', 1, safeMax),
  };
  input.expectEnd();
  return identity;
}

export function encodeRingState(state: RingState): Uint8Array {
  assert(state.settledEpoch <= state.currentEpoch, 'settled epoch <= current epoch');
  const out = writer();
  out.writeVarint(state.currentEpoch);
  out.writeVarint(state.settledEpoch);
  return finish(out);
}

export function decodeRingState(bytes: Uint8Array): RingState {
  const what = 'ring state record';
  const input = reader(bytes, what);
  const currentEpoch = readBoundedVarint(input, what, 'currentEpoch', 1, safeMax);
  const settledEpoch = readBoundedVarint(input, what, 'settledEpoch', 1, currentEpoch);
  input.expectEnd();
  return { currentEpoch, settledEpoch };
}

export function encodeMember(member: MemberRecord): Uint8Array {
  const out = writer(128);
  writeMemberSpec(out, member);
  out.writeUint8(memberStates.indexOf(member.state));
  out.writeVarint(member.addedRevision);
  out.writeVarint(member.updatedRevision);
  return finish(out);
}

export function decodeMember(bytes: Uint8Array): MemberRecord {
  const what = 'member record';
  const input = reader(bytes, what);
  const spec = readMemberSpec(input, what);
  const state = memberStates[readTag(input, what, 'state', memberStates.length - 1)] as MemberState;
  const addedRevision = readBoundedVarint(input, what, 'addedRevision', 1, safeMax);
  const updatedRevision = readBoundedVarint(input, what, 'updatedRevision', addedRevision, safeMax);
  input.expectEnd();
  return { ...spec, state, addedRevision, updatedRevision };
}

export function encodeRing(description: RingDescription): Uint8Array {
  const out = writer(64 + description.members.length * 32);
  out.writeVarint(description.epoch);
  out.writeVarint(description.settings.replicationFactor);
  out.writeVarint(description.settings.vnodesPerWeightUnit);
  out.writeVarint(description.members.length);
  for (const member of description.members) {
    out.writeString(member.id);
    out.writeString(member.zone);
    writeFloat64(out, member.weight);
    out.writeUint8(memberStates.indexOf(member.state));
    // A calibrated virtual node count (placement's calibrateVirtualNodes), when set.
    if (member.virtualNodes === undefined) out.writeUint8(0);
    else {
      out.writeUint8(1);
      out.writeVarint(member.virtualNodes);
    }
  }
  return finish(out);
}

/** The stored description, as written (it was validated by createRingDescription then). */
export function decodeRing(bytes: Uint8Array): RingDescription {
  const what = 'ring record';
  const input = reader(bytes, what);
  const epoch = readBoundedVarint(input, what, 'epoch', 1, safeMax);
  const replicationFactor = readBoundedVarint(
    input,
    what,
    'replicationFactor',
    1,
    limits.replicationFactorMax,
  );
  const vnodesPerWeightUnit = readBoundedVarint(
    input,
    what,
    'vnodesPerWeightUnit',
    1,
    limits.placementVirtualNodesPerNodeMax,
  );
  const count = readBoundedVarint(input, what, 'member count', 0, limits.placementMembersMax);
  const members: RingMember[] = [];
  for (let index = 0; index < count; index++) {
    const id = readBoundedString(input, what, 'member id', limits.placementIdentifierBytesMax);
    const zone = readBoundedString(input, what, 'zone', limits.placementIdentifierBytesMax);
    const weight = readFloat64(input, what, 'weight');
    const state = memberStates[
      readTag(input, what, 'state', memberStates.length - 1)
    ] as MemberState;
    if (readTag(input, what, 'virtualNodes presence', 1) === 0)
      members.push({ id, zone, weight, state });
    else {
      const virtualNodes = readBoundedVarint(
        input,
        what,
        'virtualNodes',
        1,
        limits.placementVirtualNodesPerNodeMax,
      );
      members.push({ id, zone, weight, state, virtualNodes });
    }
  }
  input.expectEnd();
  return {
    formatVersion: ringDescriptionFormatVersion,
    epoch,
    settings: { replicationFactor, vnodesPerWeightUnit },
    members,
  };
}

export function writeMemberSpec(out: BinaryWriter, member: MemberSpec): void {
  out.writeString(member.id);
  out.writeString(member.clientAddress);
  out.writeString(member.peerAddress);
  out.writeString(member.zone);
  writeFloat64(out, member.weight);
  out.writeUint8(memberRoles.indexOf(member.role));
}

export function readMemberSpec(input: BinaryReader, what: string): MemberSpec {
  const id = readBoundedString(input, what, 'member id', limits.placementIdentifierBytesMax);
  const clientAddress = readBoundedString(input, what, 'clientAddress', limits.metaAddressBytesMax);
  const peerAddress = readBoundedString(input, what, 'peerAddress', limits.metaAddressBytesMax);
  const zone = readBoundedString(input, what, 'zone', limits.placementIdentifierBytesMax);
  const weight = readFloat64(input, what, 'weight');
  const role = memberRoles[readTag(input, what, 'role', memberRoles.length - 1)] as MemberRole;
  return { id, clientAddress, peerAddress, zone, weight, role };
}
