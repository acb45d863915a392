// Dialing with TLS: a node presents its node certificate and accepts only a peer whose
// certificate its CA signed, names the host dialed and is a node certificate; a client
// presents its certificate (if any) and trusts --cacert (or the system CAs). The undici
// connector is rebuilt on a reload, so new connections use the new files and open ones
// carry on. With TLS off, nothing here changes how undici dials.

import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { limits } from '../util/limits.js';
import { isNodeCertificate } from './certificates.js';
import { netSettings, onTlsReload } from './scheme.js';
import type { ClientTls, TlsMaterial } from './tls-material.js';

type Connector = buildConnector.connector;

function checkNodeServer(host: string, certificate: PeerCertificate): Error | undefined {
  const mismatch = checkServerIdentity(host, certificate);
  if (mismatch !== undefined) return mismatch;
  if (!isNodeCertificate(certificate.raw)) {
    return new Error(`${host} presented a certificate that is not a cairn node certificate`);
  }
  return undefined;
}

function nodeConnector(material: TlsMaterial, timeoutMilliseconds: number): Connector {
  return buildConnector({
    ca: material.ca,
    cert: material.certificate,
    key: material.key,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    checkServerIdentity: checkNodeServer,
    timeout: timeoutMilliseconds,
  });
}

const connectors = new Map<number, Connector>();
onTlsReload(() => connectors.clear());

function currentNodeConnector(timeoutMilliseconds: number): Connector {
  const material = netSettings().tls;
  if (material === undefined) throw new Error('node TLS dialing needs TLS on');
  let connector = connectors.get(timeoutMilliseconds);
  if (connector === undefined) {
    connector = nodeConnector(material, timeoutMilliseconds);
    connectors.set(timeoutMilliseconds, connector);
  }
  return connector;
}

/**
 * Pool options for dialing another node: with TLS on, a connector presenting this
 * node's certificate (the newest after a reload); with TLS off, only the timeout.
 */
export function nodeDialOptions(
  connectTimeoutMilliseconds: number = limits.peerConnectTimeoutMilliseconds,
): { connectTimeout: number } | { connect: Connector } {
  if (netSettings().scheme === 'http') return { connectTimeout: connectTimeoutMilliseconds };
  return {
    connect: (options, callback) =>
      currentNodeConnector(connectTimeoutMilliseconds)(options, callback),
  };
}

let nodeAgent: Agent | undefined;

/** The dispatcher of one-off node-to-node requests (undici `request`), or undefined for plain. */
export function nodeDispatcher(): Dispatcher | undefined {
  if (netSettings().scheme === 'http') return undefined;
  nodeAgent ??= new Agent({ ...nodeDialOptions(), keepAliveTimeout: 30_000 });
  return nodeAgent;
}

/** Pool options of a client dialing https endpoints with --cacert, --cert and --key. */
export function clientDialOptions(
  tls: ClientTls,
  connectTimeoutMilliseconds: number,
): { connect: Connector } {
  return {
    connect: buildConnector({
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.certificate === undefined ? {} : { cert: tls.certificate }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      timeout: connectTimeoutMilliseconds,
    }),
  };
}

let processClientTls: ClientTls | undefined;

/** The CLI's --cacert/--cert/--key, for every client the process makes without its own. */
export function configureClientTls(tls: ClientTls | undefined): void {
  processClientTls = tls;
}

export function clientTlsDefault(): ClientTls | undefined {
  return processClientTls;
}
