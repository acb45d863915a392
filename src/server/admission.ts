// Who may use a port at all, from what the transport proved (src/net peerIdentity); what
// an authenticated caller may then do is the route table's permissions (another layer).
//
// * The peer port with TLS on: only a node certificate of the CA (the handshake already
//   refused no certificate and other CAs) naming a current member; a client certificate
//   of the same CA and a removed member's certificate get 403. A node of no cluster yet
//   accepts any node of its CA: that is how the leader reaches a node it adds.
// * Forming or joining a cluster, on a node of no cluster yet: over TLS only a client
//   certificate of its CA for the user root (bootstrap; a join comes from a node, above);
//   without TLS only from loopback, unless the node runs with --insecure.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { isLoopbackAddress, netSettings, peerIdentity } from '../net/index.js';
import { CairnError } from '../util/errors.js';

/** The one question admission asks of the membership (the meta group answers it). */
export interface MembershipQuestion {
  /** True if a node of this name is a member now; with no cluster yet, true for any. */
  isCurrentMember(name: string): boolean;
}

export const clusterFormingUser = 'root';

function denied(message: string): CairnError {
  return new CairnError('CAIRN_ERR_PERMISSION_DENIED', message);
}

/** Throws unless the request's connection may use the peer port (see above). */
export function admitPeer(membership: MembershipQuestion, request: IncomingMessage): void {
  const identity = peerIdentity(request.socket as Socket);
  if (!identity.tls) return;
  if (!identity.authorized) {
    throw new CairnError(
      'CAIRN_ERR_UNAUTHENTICATED',
      'the peer port needs a node certificate signed by the cluster CA',
    );
  }
  if (identity.nodeName === null) {
    throw denied(
      'the peer port accepts node certificates only (cairn cert create-node), ' +
        'not client certificates',
    );
  }
  if (!membership.isCurrentMember(identity.nodeName)) {
    throw denied(`node ${identity.nodeName} is not a member of this cluster`);
  }
}

/** Throws unless the caller may bootstrap or join this node (see above). */
export function admitClusterForming(request: IncomingMessage, action: string): void {
  const identity = peerIdentity(request.socket as Socket);
  if (identity.tls) {
    if (identity.nodeName !== null) return; // a node of the CA, on the peer port (join)
    if (identity.authorized && identity.user === clusterFormingUser) return;
    throw new CairnError(
      identity.authorized ? 'CAIRN_ERR_PERMISSION_DENIED' : 'CAIRN_ERR_UNAUTHENTICATED',
      `${action} needs the client certificate of user ${clusterFormingUser} signed by the ` +
        `cluster CA (cairn cert create-client ${clusterFormingUser}; pass --cert and --key)`,
    );
  }
  if (netSettings().insecure === true || isLoopbackAddress(request.socket.remoteAddress)) return;
  throw denied(
    `${action} without TLS is accepted from loopback only; ` +
      'run the node with TLS (cairn serve --tls-dir) or with --insecure',
  );
}

/** The membership question over the meta group's view (founding members until applied). */
export function memberQuestion(group: {
  identity(): unknown;
  members(): readonly { readonly id: string }[];
}): MembershipQuestion {
  return {
    isCurrentMember: (name) =>
      group.identity() === undefined || group.members().some((member) => member.id === name),
  };
}
