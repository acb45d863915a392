// Opening and closing the listeners of both ports (plain HTTP today; TLS later here).

import { createServer, type RequestListener, type Server } from 'node:http';
import { CairnError } from '../util/errors.js';
import { netSettings } from './scheme.js';

const closeGraceMilliseconds = 2_000;

/** A server for one port; the handler sees every request. */
export function createListener(handler: RequestListener): Server {
  const scheme = netSettings().scheme;
  if (scheme !== 'http') throw new Error(`no listener for scheme ${scheme}`);
  return createServer(handler);
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
