// The values stored under the meta key space (layout in keys.ts), in the same binary
// codec as commands. Every record starts with a format byte; decoding anything else
// throws CorruptionError (a damaged state store must stop the node, not be guessed at).

import { assert, assertNever } from '../util/assert.js';
import { limits } from '../util/limits.js';
import type { MemberState, RingDescription, RingMember } from '../placement/index.js';
import { memberStates, ringDescriptionFormatVersion } from '../placement/index.js';
import {
  BinaryReader,
  BinaryWriter,
  corrupt,
  finishWithin,
  readBoundedString,
  readBoundedVarint,
  readFloat64,
  readSha256Hex,
  readTag,
  writeFloat64,
  writeSha256Hex,
} from './codec.js';
import type { ManifestChunk, MemberSpec } from './commands.js';
import { readMemberSpec, writeMemberSpec } from './commands.js';

const recordFormatVersion = 1;
const safeMax = Number.MAX_SAFE_INTEGER;

export interface ClusterIdentity {
  readonly clusterId: string;
  readonly replicationFactor: number;
  readonly vnodesPerWeightUnit: number;
  /** The revision (log index) of the bootstrapCluster entry. */
  readonly bootstrapRevision: number;
}

export interface MetaProgress {
  /** Index of the last entry applied (any command, including rejected ones and noops). */
  readonly appliedIndex: number;
  /** Index of the last entry that changed the cluster or the object index. */
  readonly revision: number;
  readonly objectCount: number;
  readonly objectBytesTotal: number;
}

export const emptyProgress: MetaProgress = {
  appliedIndex: 0,
  revision: 0,
  objectCount: 0,
  objectBytesTotal: 0,
};

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

export interface ObjectRecord {
  readonly version: number;
  readonly createdRevision: number;
  readonly size: number;
  readonly sha256: string;
  /** Inline bytes live under v/<key>; a manifest's chunks live here. */
  readonly body:
    | { readonly kind: 'inline' }
    | {
        readonly kind: 'manifest';
        readonly chunkSizeBytes: number;
        readonly chunks: readonly ManifestChunk[];
      };
}

/** The result of applying a command: what the proposer's waiter receives. */
export type MetaResult =
  /** For writes and deletes: the revision (log index) at which the command took effect. */
  | { readonly type: 'ok'; readonly version: number }
  /** A condition failed; currentVersion 0 means the key is absent. */
  | { readonly type: 'conflict'; readonly currentVersion: number }
  | { readonly type: 'notFound' }
  /** The command is not applicable to the current state (e.g. a duplicate member); nothing changed. */
  | { readonly type: 'rejected'; readonly message: string };

export interface RequestRecord {
  readonly index: number;
  readonly key: string;
  readonly result: MetaResult;
}

function writer(capacity = 64): BinaryWriter {
  const created = new BinaryWriter(capacity);
  created.writeUint8(recordFormatVersion);
  return created;
}

function finish(created: BinaryWriter): Uint8Array {
  return finishWithin(created, 'metaStoredValueBytesMax', limits.metaStoredValueBytesMax);
}

function reader(bytes: Uint8Array, what: string): BinaryReader {
  const created = new BinaryReader(bytes, what);
  const format = readTag(created, what, 'record format', 0xff);
  if (format !== recordFormatVersion) corrupt(what, `unknown record format ${format}`, created);
  return created;
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

export function encodeProgress(progress: MetaProgress): Uint8Array {
  const out = writer();
  out.writeVarint(progress.appliedIndex);
  out.writeVarint(progress.revision);
  out.writeVarint(progress.objectCount);
  out.writeVarint(progress.objectBytesTotal);
  return finish(out);
}

export function decodeProgress(bytes: Uint8Array): MetaProgress {
  const what = 'progress record';
  const input = reader(bytes, what);
  const progress: MetaProgress = {
    appliedIndex: readBoundedVarint(input, what, 'appliedIndex', 0, safeMax),
    revision: readBoundedVarint(input, what, 'revision', 0, safeMax),
    objectCount: readBoundedVarint(input, what, 'objectCount', 0, safeMax),
    objectBytesTotal: readBoundedVarint(input, what, 'objectBytesTotal', 0, safeMax),
  };
  input.expectEnd();
  if (progress.revision > progress.appliedIndex)
    corrupt(what, 'revision after the applied index', input);
  return progress;
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

const bodyTags = { inline: 1, manifest: 2 } as const;

export function encodeObject(record: ObjectRecord): Uint8Array {
  const out = writer(record.body.kind === 'inline' ? 64 : 64 + record.body.chunks.length * 40);
  out.writeVarint(record.version);
  out.writeVarint(record.createdRevision);
  out.writeVarint(record.size);
  writeSha256Hex(out, record.sha256);
  if (record.body.kind === 'inline') {
    out.writeUint8(bodyTags.inline);
  } else {
    out.writeUint8(bodyTags.manifest);
    out.writeVarint(record.body.chunkSizeBytes);
    out.writeVarint(record.body.chunks.length);
    for (const chunk of record.body.chunks) {
      writeSha256Hex(out, chunk.sha256);
      out.writeVarint(chunk.size);
    }
  }
  return finish(out);
}

export function decodeObject(bytes: Uint8Array): ObjectRecord {
  const what = 'object record';
  const input = reader(bytes, what);
  const version = readBoundedVarint(input, what, 'version', 1, safeMax);
  const createdRevision = readBoundedVarint(input, what, 'createdRevision', 1, version);
  const size = readBoundedVarint(input, what, 'size', 0, safeMax);
  const sha256 = readSha256Hex(input, what, 'sha256');
  const tag = readTag(input, what, 'body kind', bodyTags.manifest);
  let body: ObjectRecord['body'];
  if (tag === bodyTags.inline) {
    if (size > limits.objectInlineBytesMax) corrupt(what, `inline object of ${size} bytes`, input);
    body = { kind: 'inline' };
  } else if (tag === bodyTags.manifest) {
    const chunkSizeBytes = readBoundedVarint(
      input,
      what,
      'chunkSizeBytes',
      1,
      limits.chunkSizeBytes,
    );
    const count = readBoundedVarint(input, what, 'chunk count', 1, limits.metaManifestChunksMax);
    const chunks: ManifestChunk[] = [];
    for (let index = 0; index < count; index++) {
      const chunkSha256 = readSha256Hex(input, what, 'chunk sha256');
      chunks.push({
        sha256: chunkSha256,
        size: readBoundedVarint(input, what, 'chunk size', 1, chunkSizeBytes),
      });
    }
    body = { kind: 'manifest', chunkSizeBytes, chunks };
  } else {
    return corrupt(what, `unknown body kind ${tag}`, input);
  }
  input.expectEnd();
  return { version, createdRevision, size, sha256, body };
}

export function encodeCounter(value: number): Uint8Array {
  const out = writer(16);
  out.writeVarint(value);
  return finish(out);
}

export function decodeCounter(bytes: Uint8Array, what: string): number {
  const input = reader(bytes, what);
  const value = readBoundedVarint(input, what, 'value', 0, safeMax);
  input.expectEnd();
  return value;
}

export function encodeText(value: string): Uint8Array {
  const out = writer(16 + value.length * 3);
  out.writeString(value);
  return finish(out);
}

export function decodeText(bytes: Uint8Array, what: string, lengthBytesMax: number): string {
  const input = reader(bytes, what);
  const value = readBoundedString(input, what, 'value', lengthBytesMax);
  input.expectEnd();
  return value;
}

const resultTags = { ok: 0, conflict: 1, notFound: 2, rejected: 3 } as const;

export function writeResult(out: BinaryWriter, result: MetaResult): void {
  out.writeUint8(resultTags[result.type]);
  switch (result.type) {
    case 'ok':
      out.writeVarint(result.version);
      return;
    case 'conflict':
      out.writeVarint(result.currentVersion);
      return;
    case 'notFound':
      return;
    case 'rejected':
      out.writeString(result.message);
      return;
    default:
      assertNever(result, 'meta result');
  }
}

export function readResult(input: BinaryReader, what: string): MetaResult {
  const tag = readTag(input, what, 'result kind', resultTags.rejected);
  if (tag === resultTags.ok)
    return { type: 'ok', version: readBoundedVarint(input, what, 'version', 0, safeMax) };
  if (tag === resultTags.conflict) {
    return {
      type: 'conflict',
      currentVersion: readBoundedVarint(input, what, 'currentVersion', 0, safeMax),
    };
  }
  if (tag === resultTags.notFound) return { type: 'notFound' };
  return {
    type: 'rejected',
    message: readBoundedString(input, what, 'message', limits.metaRejectionMessageBytesMax),
  };
}

export function encodeRequest(record: RequestRecord): Uint8Array {
  const out = writer(32 + record.key.length * 3);
  out.writeVarint(record.index);
  out.writeString(record.key);
  writeResult(out, record.result);
  return finish(out);
}

export function decodeRequest(bytes: Uint8Array): RequestRecord {
  const what = 'request record';
  const input = reader(bytes, what);
  const index = readBoundedVarint(input, what, 'index', 1, safeMax);
  const key = readBoundedString(input, what, 'key', limits.keyLengthBytesMax);
  const result = readResult(input, what);
  input.expectEnd();
  return { index, key, result };
}
