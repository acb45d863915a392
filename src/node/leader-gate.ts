// The one answer a follower gives to leader-only work: NOT_LEADER with the leader's
// client address when one is known (clients and the forwarder go there).

import type { MemberAddressing, ReadConsistency } from '../api/index.js';
import { CairnError } from '../util/errors.js';

export interface LeaderSource {
  isLeader(): boolean;
  leaderId(): string | null;
  members(): readonly MemberAddressing[];
  readBarrier(consistency: ReadConsistency): Promise<void>;
}

export function leaderHint(source: LeaderSource): {
  leaderId: string | null;
  leaderClientAddress: string | null;
} {
  const leaderId = source.leaderId();
  const member =
    leaderId === null ? undefined : source.members().find((candidate) => candidate.id === leaderId);
  return { leaderId, leaderClientAddress: member?.clientAddress ?? null };
}

export function notLeaderError(source: LeaderSource, message: string): CairnError {
  const hint = leaderHint(source);
  return new CairnError('CAIRN_ERR_NOT_LEADER', message, {
    details: { leaderId: hint.leaderId, leaderClientAddress: hint.leaderClientAddress },
  });
}

/** Throws NOT_LEADER unless this node leads; then waits for a linearizable read barrier. */
export async function requireLeader(source: LeaderSource, message: string): Promise<void> {
  if (!source.isLeader()) throw notLeaderError(source, message);
  await source.readBarrier('linearizable');
}
