// `cairn dev`: a local cluster of N real `cairn serve` processes on 127.0.0.1, for
// trying cairn out and for its own tests. The first start bootstraps it; later starts
// reuse the data. Stopping (Ctrl-C) sends SIGTERM to every node and waits for them.

import { routes } from '../api/index.js';
import {
  createAuthorityFiles,
  createClientFiles,
  createNodeFiles,
  authorityValidDaysDefault,
  endEntityValidDaysDefault,
} from '../net/certificate-files.js';
import {
  type ClientTlsPaths,
  clientDialOptions,
  clientTlsDefault,
  configureClientTls,
  readClientTls,
} from '../net/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { AuthClient } from '../client/auth.js';
import { CairnClient } from '../client/client.js';
import { bootstrapCluster, waitForCluster } from '../client/lifecycle.js';
import { openSecretFile } from './secret-file.js';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { cairnCommandLine } from './self-command.js';

/** The user whose client certificate may bootstrap a TLS node (src/server/admission). */
const clusterRootUser = 'root';

export interface DevClusterOptions {
  readonly nodes: number;
  readonly directory: string;
  readonly host: string;
  readonly basePort: number;
  readonly replicationFactor?: number;
  /** Encryption at rest: every node is started with this key file. */
  readonly encryptionKeyFile?: string | undefined;
  /** TLS on: a CA, node certificates and root's client certificate made under the dir. */
  readonly secure?: boolean;
  readonly log: (line: string) => void;
}

export interface DevNode {
  readonly name: string;
  readonly clientAddress: string;
  readonly peerAddress: string;
  readonly dataDirectory: string;
  readonly logFile: string;
  process: ChildProcess;
}

export interface DevCluster {
  readonly nodes: DevNode[];
  readonly endpoints: string;
  readonly bootstrapped: boolean;
  /** With --secure: the files a client needs (CAIRN_CACERT, CAIRN_CERT, CAIRN_KEY). */
  readonly clientTls?: ClientTlsPaths;
  /** With --secure: the file holding root's bearer token (CAIRN_TOKEN_FILE). */
  readonly rootTokenFile?: string;
  stop(): Promise<void>;
}

const nodeStartTimeoutMilliseconds = 30_000;
const stopTimeoutMilliseconds = 15_000;

export function devNodes(options: DevClusterOptions): Omit<DevNode, 'process'>[] {
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 1 || options.nodes > 9)
    throw new InvalidArgumentError('--nodes must be between 1 and 9');
  return Array.from({ length: options.nodes }, (_, index) => {
    const name = `n${index + 1}`;
    const dataDirectory = resolve(join(options.directory, name));
    return {
      name,
      clientAddress: `${options.host}:${options.basePort + 2 * index}`,
      peerAddress: `${options.host}:${options.basePort + 2 * index + 1}`,
      dataDirectory,
      logFile: `${dataDirectory}.log`,
    };
  });
}

export function startNodeProcess(
  node: Omit<DevNode, 'process'>,
  extraEnvironment: NodeJS.ProcessEnv = {},
  extraArguments: readonly string[] = [],
): ChildProcess {
  mkdirSync(node.dataDirectory, { recursive: true });
  const log = openSync(node.logFile, 'a');
  const { command, args } = cairnCommandLine([
    'serve',
    '--name',
    node.name,
    '--data-dir',
    node.dataDirectory,
    '--listen',
    node.clientAddress,
    '--peer-listen',
    node.peerAddress,
    ...extraArguments,
  ]);
  try {
    return spawn(command, args, {
      stdio: ['ignore', log, log],
      env: { ...process.env, ...extraEnvironment },
    });
  } finally {
    closeSync(log);
  }
}

export async function waitForHealth(
  address: string,
  child: ChildProcess,
  timeoutMilliseconds: number,
): Promise<void> {
  // With client TLS (cairn dev --secure, or --cacert): https, the process's files.
  const tls = clientTlsDefault();
  const dispatcher = tls === undefined ? undefined : new Agent(clientDialOptions(tls, 1_000));
  try {
    await pollHealth(address, child, timeoutMilliseconds, dispatcher);
  } finally {
    await dispatcher?.close();
  }
}

async function pollHealth(
  address: string,
  child: ChildProcess,
  timeoutMilliseconds: number,
  dispatcher: Agent | undefined,
): Promise<void> {
  const deadline = performance.now() + timeoutMilliseconds;
  const scheme = dispatcher === undefined ? 'http' : 'https';
  for (let attempt = 0; attempt < 100_000; attempt++) {
    if (child.exitCode !== null)
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        `the node at ${address} exited with code ${child.exitCode}; see its log`,
      );
    try {
      const response = await request(`${scheme}://${address}${routes.health.path}`, {
        ...(dispatcher === undefined ? {} : { dispatcher }),
        headersTimeout: 1_000,
        bodyTimeout: 1_000,
      });
      await response.body.dump();
      if (response.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new CairnError(
    'CAIRN_ERR_TIMEOUT',
    `the node at ${address} did not answer /health within ${timeoutMilliseconds} ms`,
  );
}

export async function stopProcess(child: ChildProcess, timeoutMilliseconds: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMilliseconds);
  await exited;
  clearTimeout(timer);
}

export async function startDevCluster(options: DevClusterOptions): Promise<DevCluster> {
  const layout = devNodes(options);
  const isNew = !layout.some((node) => existsSync(join(node.dataDirectory, 'identity.json')));
  const secure =
    options.secure === true ? await prepareDevCertificates(options, layout) : undefined;
  const serveArguments = [
    ...(secure === undefined ? [] : ['--tls-dir', secure.directory]),
    ...(options.encryptionKeyFile === undefined
      ? []
      : ['--encryption-key-file', resolve(options.encryptionKeyFile)]),
  ];
  const nodes: DevNode[] = layout.map((node) => ({
    ...node,
    process: startNodeProcess(node, {}, serveArguments),
  }));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => stopProcess(node.process, stopTimeoutMilliseconds)));
  };
  try {
    await Promise.all(
      nodes.map((node) =>
        waitForHealth(node.clientAddress, node.process, nodeStartTimeoutMilliseconds),
      ),
    );
    const scheme = secure === undefined ? 'http' : 'https';
    const endpoints = nodes.map((node) => `${scheme}://${node.clientAddress}`).join(',');
    if (isNew) {
      options.log(
        `bootstrapping a new ${nodes.length}-node cluster in ${resolve(options.directory)}`,
      );
      await bootstrapCluster(endpoints, options.replicationFactor, nodeStartTimeoutMilliseconds);
    } else {
      options.log(`reusing the cluster in ${resolve(options.directory)}`);
      await waitForCluster(
        endpoints,
        nodeStartTimeoutMilliseconds,
        (status) => status.leaderId !== null,
      );
    }
    // Secure means authentication too: the first start turns it on and keeps root's token
    // in a 0600 file beside the certificates (shown as CAIRN_TOKEN_FILE).
    const rootTokenFile = secure === undefined ? undefined : join(secure.directory, 'root.token');
    if (isNew && rootTokenFile !== undefined) await enableDevAuth(endpoints, rootTokenFile);
    return {
      nodes,
      endpoints,
      bootstrapped: isNew,
      ...(secure === undefined ? {} : { clientTls: secure.client }),
      ...(rootTokenFile === undefined ? {} : { rootTokenFile }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Turns authentication on and writes root's token to a new 0600 file (never printed). */
async function enableDevAuth(endpoints: string, tokenPath: string): Promise<void> {
  const file = openSecretFile(tokenPath);
  const client = new CairnClient({ endpoints });
  try {
    const { rootToken } = await new AuthClient(client).enable();
    file.write(`${rootToken.token}\n`);
  } catch (error) {
    file.abandon();
    throw error;
  } finally {
    await client.close();
  }
}

interface DevCertificates {
  readonly directory: string;
  readonly client: Required<ClientTlsPaths>;
}

/**
 * The certificates of a secure dev cluster, under DIR/certs: made once (a CA, one node
 * certificate per node for the host and localhost, root's client certificate), reused
 * on later starts. This process then dials with root's certificate.
 */
async function prepareDevCertificates(
  options: DevClusterOptions,
  layout: readonly Omit<DevNode, 'process'>[],
): Promise<DevCertificates> {
  const directory = resolve(join(options.directory, 'certs'));
  const made = (file: string) => existsSync(join(directory, file));
  if (!made('ca.crt')) {
    await createAuthorityFiles({ directory, validDays: authorityValidDaysDefault, force: false });
    options.log(`made a CA and certificates in ${directory} (as cairn cert would)`);
  }
  const validDays = endEntityValidDaysDefault;
  for (const node of layout) {
    if (made(`node-${node.name}.crt`)) continue;
    const hosts = [options.host, 'localhost'];
    await createNodeFiles({ directory, name: node.name, hosts, validDays, force: false });
  }
  if (!made(`client-${clusterRootUser}.crt`))
    await createClientFiles({ directory, user: clusterRootUser, validDays, force: false });
  const client = {
    ca: join(directory, 'ca.crt'),
    certificate: join(directory, `client-${clusterRootUser}.crt`),
    key: join(directory, `client-${clusterRootUser}.key`),
  };
  configureClientTls(readClientTls(client));
  return { directory, client };
}
