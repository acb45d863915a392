// Real clusters for tests: `cairn serve` processes of the built CLI on 127.0.0.x,
// each in its own data directory, stopped by PID when the test ends.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CairnClient } from '../../src/client/index.js';
import { bootstrapCluster, clusterStatus, type ClusterStatus } from '../../src/client/lifecycle.js';
import {
  startNodeProcess,
  stopProcess,
  waitForHealth,
  type DevNode,
} from '../../src/cli/dev-cluster.js';
import { waitFor } from '../helpers/wait.js';

const entry = new URL('../../bin/run.js', import.meta.url).pathname;

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class TestCluster {
  readonly nodes: DevNode[] = [];
  readonly directory: string;

  private constructor(
    prefix: string,
    environment: NodeJS.ProcessEnv,
    serveArguments: readonly string[],
  ) {
    this.environment = environment;
    this.serveArguments = serveArguments;
    this.directory = mkdtempSync(join(tmpdir(), `cairn-${prefix}-`));
  }

  private readonly environment: NodeJS.ProcessEnv;
  private readonly serveArguments: readonly string[];

  static async start(
    prefix: string,
    count: number,
    environment: NodeJS.ProcessEnv = {},
    serveArguments: readonly string[] = [],
  ): Promise<TestCluster> {
    const cluster = new TestCluster(prefix, environment, serveArguments);
    try {
      for (let index = 0; index < count; index++) await cluster.addNode();
      await bootstrapCluster(cluster.endpoints(), undefined, 30_000);
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Starts `count` nodes that belong to no cluster yet (the test bootstraps them). */
  static async startUnformed(prefix: string, count: number): Promise<TestCluster> {
    const cluster = new TestCluster(prefix, {}, []);
    try {
      for (let index = 0; index < count; index++) await cluster.addNode();
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Starts one more `cairn serve` (not yet a member) on 127.0.0.<n>. */
  async addNode(): Promise<DevNode> {
    const number = this.nodes.length + 1;
    const host = `127.0.0.${number}`;
    const layout = {
      name: `n${number}`,
      clientAddress: `${host}:${await freePort(host)}`,
      peerAddress: `${host}:${await freePort(host)}`,
      dataDirectory: join(this.directory, `n${number}`),
      logFile: join(this.directory, `n${number}.log`),
    };
    const node: DevNode = {
      ...layout,
      process: startNodeProcess(layout, this.environment, this.serveArguments),
    };
    this.nodes.push(node);
    await waitForHealth(node.clientAddress, node.process, 30_000);
    return node;
  }

  endpoints(nodes: readonly DevNode[] = this.nodes): string {
    return nodes.map((node) => node.clientAddress).join(',');
  }

  node(name: string): DevNode {
    const found = this.nodes.find((node) => node.name === name);
    if (found === undefined) throw new Error(`no node ${name}`);
    return found;
  }

  client(nodes: readonly DevNode[] = this.nodes): CairnClient {
    return new CairnClient({
      endpoints: this.endpoints(nodes),
      retryAttemptsMax: 8,
      requestTimeoutMilliseconds: 20_000,
    });
  }

  async status(nodes: readonly DevNode[] = this.running()): Promise<ClusterStatus> {
    const client = new CairnClient({
      endpoints: this.endpoints(nodes),
      retryAttemptsMax: 3,
      requestTimeoutMilliseconds: 5_000,
    });
    try {
      return await clusterStatus(client);
    } finally {
      await client.close();
    }
  }

  running(): DevNode[] {
    return this.nodes.filter(
      (node) => node.process.exitCode === null && node.process.signalCode === null,
    );
  }

  async waitForLeader(
    among: readonly DevNode[] = this.running(),
    timeoutMilliseconds = 20_000,
  ): Promise<string> {
    return waitFor(
      'a leader',
      async () => {
        const status = await this.status(among);
        const leader = status.leaderId;
        return leader !== null && among.some((node) => node.name === leader) ? leader : undefined;
      },
      { timeoutMilliseconds, intervalMilliseconds: 100 },
    );
  }

  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(name);
    const exited = new Promise<void>((resolve) => node.process.once('exit', () => resolve()));
    node.process.kill(signal);
    return exited;
  }

  async restart(name: string): Promise<void> {
    const node = this.node(name);
    await stopProcess(node.process, 10_000);
    node.process = startNodeProcess(node, this.environment, this.serveArguments);
    await waitForHealth(node.clientAddress, node.process, 30_000);
  }

  /** Runs the built CLI; returns its exit code and output. */
  cli(
    args: readonly string[],
    input?: Buffer,
  ): { code: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [entry, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', CAIRN_ENDPOINTS: this.endpoints(this.running()) },
      ...(input === undefined ? {} : { input }),
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => stopProcess(node.process, 10_000)));
    if (process.env['CAIRN_KEEP_TEST_DATA'] === undefined)
      rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Reproducible pseudo-random content (xorshift32), so a failure can be replayed. */
export function deterministicBytes(seed: number, length: number): Buffer {
  const bytes = Buffer.alloc(Math.ceil(length / 4) * 4);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < bytes.length; index += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes.writeUInt32LE(state, index);
  }
  return bytes.subarray(0, length);
}
