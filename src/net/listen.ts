// Listeners of both ports. Plain HTTP, or with TLS on: TLS 1.3 only, the node's
// certificate, and client certificates asked for; on the peer port a certificate of the
// CA is required (the handshake fails without one), on the client port it is optional
// (a caller may prove who it is with one). Which certificate may do what is decided
// above (src/server): this layer only says who the peer proved to be (peerIdentity).
//
// Bounds on every connection: headers by size and by time (a header timeout closes a
// connection that sends its headers byte by byte), the TLS handshake by time. Plain
// HTTP sent to a TLS port gets a 400 saying so, in plain HTTP, and the connection ends.

import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { certificateUser, nodeName } from './certificates.js';
import { netSettings, onTlsReload } from './scheme.js';
import type { TlsMaterial } from './tls-material.js';

const closeGraceMilliseconds = 2_000;
const tlsRecordHandshake = 0x16; // the first byte of every TLS ClientHello

export type PortKind = 'client' | 'peer';

const serverOptions = {
  maxHeaderSize: limits.requestHeaderBytesMax,
  connectionsCheckingInterval: limits.connectionsCheckIntervalMilliseconds,
};

function secureContextOptions(material: TlsMaterial) {
  return { ca: material.ca, cert: material.certificate, key: material.key };
}

/** A server for one port; the handler sees every request. */
export function createListener(handler: RequestListener, kind: PortKind = 'client'): Server {
  const { tls } = netSettings();
  if (tls === undefined) return bounded(createServer(serverOptions, handler));
  const server = createSecureServer(
    {
      ...serverOptions,
      ...secureContextOptions(tls),
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: kind === 'peer',
      handshakeTimeout: limits.tlsHandshakeTimeoutMilliseconds,
    },
    handler,
  );
  const unregister = onTlsReload((material) =>
    server.setSecureContext(secureContextOptions(material)),
  );
  server.once('close', unregister);
  answerPlainHttp(server);
  return bounded(server);
}

function bounded(server: Server): Server {
  server.headersTimeout = limits.requestHeadersTimeoutMilliseconds;
  server.on('clientError', answerMalformed);
  return server;
}

/**
 * A request the parser refuses (headers beyond requestHeaderBytesMax, bad framing): the
 * status in plain words, then the connection ends. What the client still sends is read
 * and dropped for a moment, so closing does not reset the connection before the answer
 * is read (a TLS client lost the 431 otherwise).
 */
function answerMalformed(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  socket.resume();
  setTimeout(() => socket.destroy(), closeGraceMilliseconds).unref();
}

const plainHttpAnswer = (() => {
  const body = JSON.stringify({
    error: {
      code: 'TLS_REQUIRED',
      message: 'this port speaks TLS: use https:// (and --cacert with the cluster CA)',
      details: {},
    },
  });
  return (
    'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
})();

/**
 * Looks at the first byte of each connection before TLS does: a TLS ClientHello goes on
 * to the TLS listener (the byte put back), anything else is answered in plain HTTP.
 */
function answerPlainHttp(server: Server): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.tlsHandshakeTimeoutMilliseconds);
    socket.once('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      if (chunk[0] !== tlsRecordHandshake) {
        socket.end(plainHttpAnswer);
        return;
      }
      socket.unshift(chunk);
      for (const listener of tlsListeners) listener.call(server, socket);
    });
  });
}

export type PeerIdentity =
  | { readonly tls: false }
  | {
      readonly tls: true;
      /** The CA verified the certificate (always so on the peer port). */
      readonly authorized: boolean;
      /** The node a verified node certificate names. */
      readonly nodeName: string | null;
      /** The user a verified client certificate names. */
      readonly user: string | null;
    };

const identities = new WeakMap<object, PeerIdentity>();

/** Who the other end of a request's connection proved to be (cached per connection). */
export function peerIdentity(socket: Socket): PeerIdentity {
  if (!(socket instanceof TLSSocket)) return { tls: false };
  const known = identities.get(socket);
  if (known !== undefined) return known;
  const certificate = socket.authorized ? socket.getPeerX509Certificate() : undefined;
  const identity: PeerIdentity = {
    tls: true,
    authorized: socket.authorized,
    nodeName: certificate === undefined ? null : nodeName(certificate),
    user: certificate === undefined ? null : certificateUser(certificate),
  };
  identities.set(socket, identity);
  return identity;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

/** Listens on host:port; resolves to the address actually bound (port 0 picks one). */
export function listen(
  server: Server,
  where: { readonly host: string; readonly port: number },
): Promise<string> {
  const { host, port } = where;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the address is in use' : error.message;
      reject(new CairnError('CAIRN_ERR_USAGE', `cannot listen on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => {
      const address = server.address();
      const boundPort = typeof address === 'object' && address !== null ? address.port : port;
      resolve(`${host}:${boundPort}`);
    });
  });
}

/** Stops accepting, closes idle connections now and busy ones after a short grace. */
export function closeListener(server: Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), closeGraceMilliseconds).unref();
  });
}
