// `cairn serve`: runs a node until SIGTERM or SIGINT, then shuts down cleanly.
// Logs are JSON lines on stderr carrying the node id (structured, greppable).

import {
  configureNet,
  isLoopbackAddress,
  readNodeTlsMaterial,
  watchNodeTls,
} from '../net/index.js';
import { CairnError, InvalidArgumentError, UsageError } from '../util/errors.js';

export interface ServeOptions {
  readonly name: string;
  readonly dataDirectory: string;
  readonly listen: string;
  readonly peerListen: string;
  readonly zone: string;
  readonly weight: number;
  readonly version: string;
  readonly snapshotIntervalEntries: number;
  /** Encryption at rest: the key file (`cairn encryption create-key`). */
  readonly encryptionKeyFile?: string | undefined;
  /** --tls-dir: ca.crt, node-NAME.crt and node-NAME.key; TLS on both ports. */
  readonly tlsDirectory?: string;
  /** --insecure: listen off loopback without TLS, knowingly. */
  readonly insecure?: boolean;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string, flag: string): HostPort {
  const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65_535)
    throw new InvalidArgumentError(
      `${flag} must be HOST:PORT (for example 127.0.0.1:7070), got "${text}"`,
    );
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export async function serveNode(options: ServeOptions): Promise<void> {
  if (!namePattern.test(options.name)) {
    throw new InvalidArgumentError(
      `--name must be 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit; got "${options.name}"`,
    );
  }
  if (!(options.weight > 0 && options.weight <= 1_000_000))
    throw new InvalidArgumentError(`--weight must be a positive number, got ${options.weight}`);
  const log = (event: string, fields: Record<string, unknown> = {}): void => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), node: options.name, event, ...fields })}\n`,
    );
  };
  const clientListen = parseHostPort(options.listen, '--listen');
  const peerListen = parseHostPort(options.peerListen, '--peer-listen');
  const stopWatching = configureTransport(options, [clientListen, peerListen], log);
  // Loaded here, not at the top: LMDB's native addon is only needed by a node.
  const { startNode } = await import('../server/assemble.js');
  const node = await startNode({
    name: options.name,
    dataDirectory: options.dataDirectory,
    clientListen,
    peerListen,
    zone: options.zone,
    weight: options.weight,
    version: options.version,
    tickMilliseconds: 100,
    snapshotIntervalEntries: options.snapshotIntervalEntries,
    encryptionKeyFile: options.encryptionKeyFile,
    log,
  });
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      log('shutdown', { signal });
      stopWatching();
      void node.stop().then(resolve, (error: unknown) => {
        log('shutdown-failed', {
          error: error instanceof CairnError ? error.message : String(error),
        });
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/**
 * TLS on (--tls-dir: read, checked, watched for reloads), or plain HTTP: on loopback
 * only, unless --insecure. Returns the function that stops the reload watch.
 */
function configureTransport(
  options: ServeOptions,
  addresses: readonly HostPort[],
  log: (event: string, fields?: Record<string, unknown>) => void,
): () => void {
  const insecure = options.insecure === true;
  if (options.tlsDirectory === undefined) {
    const exposed = addresses.find((address) => !isLoopbackHost(address.host));
    if (exposed !== undefined && !insecure) {
      throw new UsageError(
        `refusing to serve plain HTTP on ${exposed.host}, outside loopback: anyone who ` +
          'reaches it could read and change every object. Turn TLS on: ' +
          '`cairn cert create-ca`, then `cairn cert create-node NAME HOST...` for each node, ' +
          'then `cairn serve --tls-dir ./cairn-certs ...` (see cairn serve --help); ' +
          'or give --insecure to serve plain HTTP anyway',
      );
    }
    configureNet({ scheme: 'http', insecure });
    return () => undefined;
  }
  const directory = options.tlsDirectory;
  const initial = readNodeTlsMaterial(directory, options.name);
  configureNet({ scheme: 'https', tls: initial, insecure });
  log('tls', { directory, minVersion: 'TLSv1.3', peerPort: 'mutual TLS, node certificates' });
  return watchNodeTls({ directory, nodeName: options.name, initial, log });
}
