// Where the leader is, for forwarding: its client address (for clients) and its peer
// address (for the forward itself, routed through a test proxy when one is set).

import type { NodeInfo } from '../api/index.js';
import type { MetaGroup } from '../node/meta-group.js';
import type { LeaderLocator } from './forward.js';

export function leaderLocator(group: MetaGroup, info: () => NodeInfo): LeaderLocator {
  return {
    isLeader: () => group.isLeader(),
    selfId: () => group.nodeId,
    selfClientAddress: () => info().clientAddress,
    leader: () => {
      const leaderId = group.leaderId();
      const member = leaderId === null ? undefined : group.membership.member(leaderId);
      return {
        leaderId,
        leaderClientAddress: member?.clientAddress ?? null,
        leaderPeerAddress: leaderId === null ? null : (group.peerAddressOf(leaderId) ?? null),
      };
    },
  };
}
