// Membership changes: their encoding in confChange entries and their effect on a
// ConfState. One single-server change at a time (see README.md for the rules).

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import type { ConfChange, ConfChangeType, ConfState, NodeId } from './types.js';

const changeTypes: readonly ConfChangeType[] = ['addLearner', 'promoteLearner', 'removeNode'];
const nodeIdLengthBytesMax = 256;

// Binary form: format byte, type tag, node id (u16 length, UTF-8), context (u32 length,
// opaque bytes). Entries written before the context existed are JSON (first byte '{').
const confChangeFormatVersion = 2;
const legacyJsonFirstByte = 0x7b;
const headerBytes = 2;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The data of a confChange entry. The context is opaque to Raft: the application
 * applies it in the same entry as the change (etcd's ConfChange.Context).
 */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const tag = changeTypes.indexOf(change.type);
  assert(tag >= 0, 'known conf change type');
  const nodeId = textEncoder.encode(change.nodeId);
  assert(nodeId.length > 0 && nodeId.length <= 0xffff, 'a node id fits its length field');
  const context = change.context ?? new Uint8Array(0);
  assert(context instanceof Uint8Array, 'a conf change context is bytes');
  assert(context.length <= limits.raftEntryBytesMax, 'a conf change context within an entry');
  const bytes = new Uint8Array(headerBytes + 2 + nodeId.length + 4 + context.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = confChangeFormatVersion;
  bytes[1] = tag;
  view.setUint16(headerBytes, nodeId.length, true);
  bytes.set(nodeId, headerBytes + 2);
  const contextAt = headerBytes + 2 + nodeId.length;
  view.setUint32(contextAt, context.length, true);
  bytes.set(context, contextAt + 4);
  return bytes;
}

/** Decode a confChange entry's data; an assertion failure on malformed data (entries are written by raft itself). */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data[0] === legacyJsonFirstByte) return decodeLegacyConfChange(data);
  assert(
    data.length >= headerBytes + 2 && data[0] === confChangeFormatVersion,
    'conf change format',
  );
  const type = changeTypes[data[1] as number];
  assert(type !== undefined, 'conf change type is known');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nodeIdLength = view.getUint16(headerBytes, true);
  const contextAt = headerBytes + 2 + nodeIdLength;
  assert(nodeIdLength > 0 && data.length >= contextAt + 4, 'conf change names a node');
  const nodeId = textDecoder.decode(data.subarray(headerBytes + 2, contextAt));
  const contextLength = view.getUint32(contextAt, true);
  assert(data.length === contextAt + 4 + contextLength, 'conf change context fills the entry');
  if (contextLength === 0) return { type, nodeId };
  // A copy: whoever keeps the context must not hold the entry's buffer.
  return { type, nodeId, context: data.slice(contextAt + 4) };
}

function decodeLegacyConfChange(data: Uint8Array): ConfChange {
  const parsed: unknown = JSON.parse(textDecoder.decode(data));
  assert(typeof parsed === 'object' && parsed !== null, 'conf change is an object');
  const { type, nodeId } = parsed as { type: unknown; nodeId: unknown };
  assert(
    typeof type === 'string' && changeTypes.includes(type as ConfChangeType),
    'conf change type is known',
  );
  assert(typeof nodeId === 'string' && nodeId.length > 0, 'conf change names a node');
  return { type: type as ConfChangeType, nodeId };
}

/** Why `change` cannot apply to `confState`, or null when it can. */
export function confChangeProblem(confState: ConfState, change: ConfChange): string | null {
  const { nodeId } = change;
  if (nodeId.length === 0 || nodeId.length > nodeIdLengthBytesMax)
    return 'node id must be 1 to 256 characters';
  const isVoter = confState.voters.includes(nodeId);
  const isLearner = confState.learners.includes(nodeId);
  switch (change.type) {
    case 'addLearner':
      if (isVoter || isLearner) return `${nodeId} is already a member`;
      if (confState.voters.length + confState.learners.length >= limits.raftMembersMax)
        return `raftMembersMax is ${limits.raftMembersMax}`;
      return null;
    case 'promoteLearner':
      if (!isLearner) return `${nodeId} is not a learner`;
      if (confState.voters.length >= limits.raftVotersMax)
        return `raftVotersMax is ${limits.raftVotersMax}`;
      return null;
    case 'removeNode':
      if (!isVoter && !isLearner) return `${nodeId} is not a member`;
      if (isVoter && confState.voters.length === 1) return 'cannot remove the last voter';
      return null;
  }
}

/** The configuration after `change`; an invalid change leaves it as it is (deterministically, on every node). */
export function applyConfChange(confState: ConfState, change: ConfChange): ConfState {
  if (confChangeProblem(confState, change) !== null) return confState;
  const without = (ids: readonly NodeId[]): NodeId[] => ids.filter((id) => id !== change.nodeId);
  switch (change.type) {
    case 'addLearner':
      return { voters: [...confState.voters], learners: [...confState.learners, change.nodeId] };
    case 'promoteLearner':
      return {
        voters: [...confState.voters, change.nodeId],
        learners: without(confState.learners),
      };
    case 'removeNode':
      return { voters: without(confState.voters), learners: without(confState.learners) };
  }
}
