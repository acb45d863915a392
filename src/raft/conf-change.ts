// Membership changes: their encoding in confChange entries and their effect on a
// ConfState. One single-server change at a time (see README.md for the rules).

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import type { ConfChange, ConfChangeType, ConfState, NodeId } from './types.js';

const changeTypes: readonly ConfChangeType[] = ['addLearner', 'promoteLearner', 'removeNode'];
const nodeIdLengthBytesMax = 256;

export function encodeConfChange(change: ConfChange): Uint8Array {
  assert(changeTypes.includes(change.type), 'known conf change type');
  return new TextEncoder().encode(JSON.stringify({ type: change.type, nodeId: change.nodeId }));
}

/** Decode a confChange entry's data; an assertion failure on malformed data (entries are written by raft itself). */
export function decodeConfChange(data: Uint8Array): ConfChange {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
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
