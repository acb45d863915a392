// Stand-in handler tables for server tests: every route answers "not in this test"
// except the ones a test gives.
import type { Server } from 'node:http';
import { clientRoutes, peerRoutes } from '../../src/api/index.js';
import type { ClientPort } from '../../src/server/client-server.js';
import type { HandlersFor } from '../../src/server/dispatch.js';
import type { LeaderLocator } from '../../src/server/forward.js';
import {
  createPeerServer,
  raftMessagesHandler,
  type RaftMessagesOptions,
} from '../../src/server/peer-server.js';

function unused(): never {
  throw new Error('this route is not used in this test');
}

export function standInClientHandlers(
  given: Partial<HandlersFor<'client'>> = {},
): HandlersFor<'client'> {
  const handlers: Record<string, unknown> = {};
  for (const name of Object.keys(clientRoutes)) handlers[name] = unused;
  return { ...handlers, ...given } as HandlersFor<'client'>;
}

export function standInPeerHandlers(given: Partial<HandlersFor<'peer'>> = {}): HandlersFor<'peer'> {
  const handlers: Record<string, unknown> = {};
  for (const name of Object.keys(peerRoutes)) handlers[name] = unused;
  return { ...handlers, ...given } as HandlersFor<'peer'>;
}

export function standInLeadership(overrides: Partial<LeaderLocator> = {}): LeaderLocator {
  return {
    isLeader: () => true,
    selfId: () => 'n1',
    selfClientAddress: () => '127.0.0.1:1',
    leader: () => ({ leaderId: 'n1', leaderClientAddress: null, leaderPeerAddress: null }),
    ...overrides,
  };
}

/** A peer server that serves Raft batches only (and forwards to `clientPort`). */
export function raftPeerServer(options: RaftMessagesOptions, clientPort?: ClientPort): Server {
  return createPeerServer({
    membership: { isCurrentMember: () => true },
    handlers: standInPeerHandlers({ raftMessages: raftMessagesHandler(options) }),
    clientPort: clientPort ?? {
      handlers: standInClientHandlers(),
      leadership: standInLeadership(),
    },
  });
}
