// Majority arithmetic over one voter set (single-server membership changes never
// need joint configurations). Pure functions, no state.

import { assert } from '../util/assert.js';
import type { NodeId } from './types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

/** The number of voters that forms a majority of `voterCount`. */
export function majoritySize(voterCount: number): number {
  assert(voterCount > 0, 'a quorum needs at least one voter');
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that a majority of voters has matched: sort the matched indexes
 * descending and take the one at position majority - 1.
 */
export function committedIndex(
  voters: readonly NodeId[],
  matchedIndexOf: (id: NodeId) => number,
): number {
  assert(voters.length > 0, 'committedIndex needs voters');
  const matched = voters.map((id) => matchedIndexOf(id));
  for (const index of matched)
    assert(Number.isSafeInteger(index) && index >= 0, 'matched index is a non-negative integer');
  matched.sort((a, b) => b - a);
  const result = matched[majoritySize(voters.length) - 1];
  assert(result !== undefined, 'majority position exists');
  return result;
}

/** Outcome of an election given the votes received so far (true = granted). Non-voters' votes do not count. */
export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  assert(voters.length > 0, 'voteResult needs voters');
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const majority = majoritySize(voters.length);
  if (granted >= majority) return 'won';
  const missing = voters.length - granted - rejected;
  if (granted + missing >= majority) return 'pending';
  return 'lost';
}

/** True when a majority of voters satisfies `predicate`. */
export function hasQuorum(voters: readonly NodeId[], predicate: (id: NodeId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (predicate(id)) count++;
  return count >= majoritySize(voters.length);
}
