// The cluster under test: real `cairn serve` processes on 127.0.0.1, each sending
// its peer traffic through the proxy mesh (CAIRN_TEST_PEER_ROUTES). Spare nodes
// (ids after the initial ones) are laid out up front, so every node's routes name
// them, and started only when the nemesis joins them. With the disk fault on, each
// node's data directory sits on its own small tmpfs, which the fault fills up.

import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statfsSync,
  statSync,
  openSync,
  writeSync,
  closeSync,
  unlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CairnClient } from '../client/index.js';
import { bootstrapCluster, clusterStatus, type ClusterStatus } from '../client/lifecycle.js';
import { startNodeProcess, stopProcess, waitForHealth } from '../cli/dev-cluster.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { ProxyMesh } from './proxy.js';

export interface ChaosNode {
  readonly name: string;
  readonly clientAddress: string;
  readonly peerAddress: string;
  /** The mount point of its tmpfs, when the disk fault is on. */
  readonly fileSystem: string | null;
  readonly dataDirectory: string;
  readonly logFile: string;
  process: ChildProcess | null;
  paused: boolean;
  /** A voter or learner of the cluster (as far as the nemesis knows). */
  member: boolean;
  /** Set while the nemesis or the teardown stops the process on purpose. */
  stopping: boolean;
  /** Exits nobody asked for (a crash, a fatal storage error): with the last code or signal. */
  readonly unexpectedExits: string[];
}

export interface ChaosClusterOptions {
  readonly directory: string;
  readonly nodes: number;
  readonly spareNodes: number;
  readonly useTmpfs: boolean;
  readonly injectBug: string | undefined;
  readonly host: string;
}

const nodeStartTimeoutMilliseconds = 30_000;
const stopTimeoutMilliseconds = 10_000;
const diskFillBlockBytes = 1024 * 1024;

/**
 * Reserves a free port by keeping a listener on it: held until release(), so neither a
 * later reservation nor a proxy (which listens on port 0) can be given the same port.
 */
async function reservePort(host: string): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export class ChaosCluster {
  /** sha256 -> copies the nemesis destroyed (damaged files, removed nodes), over the whole run. */
  readonly chunkDamage = new Map<string, number>();
  /** "node:sha256" of every copy the nemesis damaged. */
  readonly damagedCopies = new Set<string>();

  private constructor(
    readonly nodes: ChaosNode[],
    readonly mesh: ProxyMesh,
    private readonly options: ChaosClusterOptions,
  ) {}

  static async create(options: ChaosClusterOptions): Promise<ChaosCluster> {
    assert(options.nodes >= 1 && options.nodes <= limits.chaosNodesMax, 'node count is bounded');
    assert(
      options.spareNodes >= 0 && options.spareNodes <= limits.chaosSpareNodesMax,
      'spare count is bounded',
    );
    mkdirSync(options.directory, { recursive: true });
    const nodes: ChaosNode[] = [];
    const reservations: { port: number; release: () => Promise<void> }[] = [];
    let mesh: ProxyMesh;
    try {
      for (let index = 0; index < options.nodes + options.spareNodes; index++) {
        const name = `n${index + 1}`;
        const fileSystem = options.useTmpfs ? join(options.directory, `${name}-fs`) : null;
        const client = await reservePort(options.host);
        const peer = await reservePort(options.host);
        reservations.push(client, peer);
        nodes.push({
          name,
          clientAddress: `${options.host}:${client.port}`,
          peerAddress: `${options.host}:${peer.port}`,
          fileSystem,
          dataDirectory:
            fileSystem === null ? join(options.directory, name) : join(fileSystem, 'data'),
          logFile: join(options.directory, `${name}.log`),
          process: null,
          paused: false,
          member: false,
          stopping: false,
          unexpectedExits: [],
        });
      }
      const peers = new Map(
        nodes.map((node) => [
          node.name,
          { host: options.host, port: Number(node.peerAddress.split(':')[1]) },
        ]),
      );
      mesh = await ProxyMesh.start(peers, options.host);
    } finally {
      await Promise.all(reservations.map((reservation) => reservation.release()));
    }
    const cluster = new ChaosCluster(nodes, mesh, options);
    try {
      for (const node of nodes) if (node.fileSystem !== null) mountTmpfs(node.fileSystem);
      const initial = nodes.slice(0, options.nodes);
      await Promise.all(initial.map((node) => cluster.startNode(node.name)));
      await bootstrapCluster(
        initial.map((node) => node.clientAddress).join(','),
        undefined,
        nodeStartTimeoutMilliseconds,
      );
      for (const node of initial) node.member = true;
      return cluster;
    } catch (error) {
      await cluster.destroy(false);
      throw error;
    }
  }

  node(name: string): ChaosNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    assert(node !== undefined, `no node ${name}`);
    return node;
  }

  members(): string[] {
    return this.nodes.filter((node) => node.member).map((node) => node.name);
  }

  spares(): string[] {
    return this.nodes
      .filter(
        (node) =>
          !node.member &&
          node.process === null &&
          !existsSync(join(node.dataDirectory, 'identity.json')),
      )
      .map((node) => node.name);
  }

  running(name: string): boolean {
    const child = this.node(name).process;
    return child !== null && child.exitCode === null && child.signalCode === null;
  }

  /** Client addresses of the initial nodes (the workload clients' endpoints). */
  initialEndpoints(): string {
    return this.nodes
      .slice(0, this.options.nodes)
      .map((node) => node.clientAddress)
      .join(',');
  }

  memberEndpoints(): string {
    return this.nodes
      .filter((node) => node.member)
      .map((node) => node.clientAddress)
      .join(',');
  }

  async startNode(name: string): Promise<void> {
    const node = this.node(name);
    assert(!this.running(name), `${name} is not running already`);
    const environment: NodeJS.ProcessEnv = {
      CAIRN_TEST_PEER_ROUTES: JSON.stringify(this.mesh.routesFor(name)),
    };
    if (this.options.injectBug !== undefined)
      environment['CAIRN_TEST_INJECT_BUG'] = this.options.injectBug;
    const child = startNodeProcess(node, environment);
    node.process = child;
    node.paused = false;
    node.stopping = false;
    child.once('exit', (code, signal) => {
      if (!node.stopping && node.process === child)
        node.unexpectedExits.push(signal ?? `code ${code ?? '?'}`);
    });
    await waitForHealth(node.clientAddress, node.process, nodeStartTimeoutMilliseconds);
  }

  async kill(name: string): Promise<void> {
    const node = this.node(name);
    const child = node.process;
    if (child === null || !this.running(name)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    node.stopping = true;
    child.kill('SIGKILL');
    await exited;
    node.paused = false;
  }

  pause(name: string): void {
    const node = this.node(name);
    if (node.process === null || !this.running(name)) return;
    node.process.kill('SIGSTOP');
    node.paused = true;
  }

  resume(name: string): void {
    const node = this.node(name);
    if (node.process === null || !node.paused) return;
    node.process.kill('SIGCONT');
    node.paused = false;
  }

  /** Restarts every member that should run but does not, and resumes paused ones; returns the names restarted. */
  async reviveAll(): Promise<string[]> {
    for (const node of this.nodes) this.resume(node.name);
    const restarted: string[] = [];
    for (const node of this.nodes) {
      if (!node.member || this.running(node.name)) continue;
      await this.startNode(node.name);
      restarted.push(node.name);
    }
    return restarted;
  }

  async status(): Promise<ClusterStatus> {
    const client = new CairnClient({
      endpoints: this.memberEndpoints(),
      retryAttemptsMax: 3,
      requestTimeoutMilliseconds: 3_000,
    });
    try {
      return await clusterStatus(client);
    } finally {
      await client.close();
    }
  }

  async leader(): Promise<string | null> {
    try {
      return (await this.status()).leaderId;
    } catch {
      return null;
    }
  }

  /** Chunk files on a node: [sha256, path]. Bounded. */
  chunkFiles(name: string, filesMax = 10_000): [string, string][] {
    const root = join(this.node(name).dataDirectory, 'chunks');
    const found: [string, string][] = [];
    if (!existsSync(root)) return found;
    for (const first of readdirSync(root)) {
      for (const second of safeReaddir(join(root, first))) {
        for (const file of safeReaddir(join(root, first, second))) {
          if (/^[0-9a-f]{64}$/.test(file)) found.push([file, join(root, first, second, file)]);
          if (found.length >= filesMax) return found;
        }
      }
    }
    return found;
  }

  /** Fills the node's tmpfs with a filler file (fallocate, else writes) until no byte is free; returns its size. */
  fillDisk(name: string): number {
    const node = this.node(name);
    assert(node.fileSystem !== null, 'the disk fault needs a tmpfs');
    const filler = join(node.fileSystem, 'chaos-filler');
    const free = (): number => {
      const stats = statfsSync(node.fileSystem as string);
      return stats.bavail * stats.bsize;
    };
    try {
      execFileSync(
        'fallocate',
        ['-l', String(Math.min(free(), limits.chaosDiskFillBytesMax)), filler],
        { stdio: 'ignore' },
      );
    } catch {
      // no fallocate here: write blocks below
    }
    const block = Buffer.alloc(diskFillBlockBytes, 0xcd);
    const descriptor = openSync(filler, 'a');
    try {
      for (
        let blocks = 0;
        blocks < limits.chaosDiskFillBytesMax / diskFillBlockBytes && free() > 0;
        blocks++
      ) {
        writeSync(descriptor, block, 0, Math.min(block.length, free()));
      }
    } catch {
      // ENOSPC: the file system is full, which was the point.
    } finally {
      closeSync(descriptor);
    }
    return statSync(filler).size;
  }

  freeDisk(name: string): void {
    const node = this.node(name);
    if (node.fileSystem === null) return;
    rmSync(join(node.fileSystem, 'chaos-filler'), { force: true });
  }

  /** Stops every process and proxy; copies tmpfs data out (when keeping) and unmounts. */
  async destroy(keepData: boolean): Promise<void> {
    for (const node of this.nodes) {
      this.resume(node.name);
      node.stopping = true;
    }
    await Promise.all(
      this.nodes.map((node) =>
        node.process === null ? undefined : stopProcess(node.process, stopTimeoutMilliseconds),
      ),
    );
    await this.mesh.close();
    for (const node of this.nodes) {
      if (node.fileSystem === null) continue;
      if (keepData && existsSync(node.dataDirectory))
        cpSync(node.dataDirectory, join(this.options.directory, node.name), { recursive: true });
      unmountTmpfs(node.fileSystem);
    }
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** True when this process may mount a tmpfs (root, and a kernel that allows it here). */
export function tmpfsAvailable(directory: string): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(directory, '.tmpfs-probe');
  try {
    mountTmpfs(probe, 1024 * 1024);
    unmountTmpfs(probe);
    return true;
  } catch {
    rmSync(probe, { recursive: true, force: true });
    return false;
  }
}

function mountTmpfs(path: string, bytes: number = limits.chaosTmpfsBytes): void {
  mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path], { stdio: 'ignore' });
}

function unmountTmpfs(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('umount', ['-l', path], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
  }
  rmSync(path, { recursive: true, force: true });
}

export function removeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
