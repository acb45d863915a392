// etcd for side-by-side runs: a 3-member etcd cluster on 127.0.0.1 (its own temporary
// data directories and ports) and a BenchTarget speaking its v3 JSON gateway
// (POST /v3/kv/put, POST /v3/kv/range, base64 keys and values) through undici, the
// same client library and load generator that drive cairn.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { type BenchBody, type BenchTarget, findFreePortRange } from '../src/bench/index.js';
import type { Consistency } from '../src/client/index.js';

export interface EtcdCluster {
  readonly clientUrls: readonly string[];
  readonly members: readonly {
    readonly name: string;
    readonly process: ChildProcess;
    readonly logFile: string;
  }[];
  stop(): Promise<void>;
}

const startTimeoutMilliseconds = 30_000;

export function etcdVersion(): string | undefined {
  const result = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return /etcd Version: (\S+)/.exec(result.stdout)?.[1] ?? 'unknown';
}

export const etcdInstallHint =
  "etcd is not installed: apt-get update && apt-get install -y etcd-server (Debian's etcd 3.4), then run this again";

export class EtcdError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function waitForEtcd(url: string, member: ChildProcess): Promise<void> {
  const deadline = performance.now() + startTimeoutMilliseconds;
  for (let attempt = 0; attempt < 10_000 && performance.now() < deadline; attempt++) {
    if (member.exitCode !== null)
      throw new Error(`etcd at ${url} exited with code ${member.exitCode}`);
    try {
      const response = await fetch(`${url}/health`);
      const body = (await response.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd at ${url} not healthy within ${startTimeoutMilliseconds} ms`);
}

export async function startEtcdCluster(memberCount = 3): Promise<EtcdCluster> {
  const directory = mkdtempSync(join(tmpdir(), 'cairn-bench-etcd-'));
  const basePort = await findFreePortRange(2 * memberCount);
  const names = Array.from({ length: memberCount }, (_, index) => `e${index + 1}`);
  const peerUrl = (index: number): string => `http://127.0.0.1:${basePort + 2 * index + 1}`;
  const clientUrls = names.map((_, index) => `http://127.0.0.1:${basePort + 2 * index}`);
  const initialCluster = names.map((name, index) => `${name}=${peerUrl(index)}`).join(',');
  const members = names.map((name, index) => {
    const dataDirectory = join(directory, name);
    mkdirSync(dataDirectory, { recursive: true });
    const logFile = `${dataDirectory}.log`;
    const log = openSync(logFile, 'a');
    const clientUrl = clientUrls[index] ?? '';
    const child = spawn(
      'etcd',
      [
        '--name',
        name,
        '--data-dir',
        dataDirectory,
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl(index),
        '--initial-advertise-peer-urls',
        peerUrl(index),
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        'cairn-bench',
        '--initial-cluster-state',
        'new',
        '--logger',
        'zap',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    return { name, process: child, logFile };
  });
  const stop = async (): Promise<void> => {
    await Promise.all(
      members.map(
        (member) =>
          new Promise<void>((resolve) => {
            if (member.process.exitCode !== null || member.process.signalCode !== null)
              return resolve();
            const timer = setTimeout(() => member.process.kill('SIGKILL'), 10_000);
            member.process.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            member.process.kill('SIGTERM');
          }),
      ),
    );
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      members.map((member, index) => waitForEtcd(clientUrls[index] ?? '', member.process)),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { clientUrls, members, stop };
}

async function bodyBytes(body: BenchBody): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const pieces: Buffer[] = [];
  for await (const piece of (body as () => Readable)()) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

/** etcd through its v3 JSON gateway, requests spread round-robin over the members. */
export class EtcdTarget implements BenchTarget {
  readonly name = 'etcd';
  private readonly pools: Pool[];
  private next = 0;

  constructor(clientUrls: readonly string[], connectionsPerMember: number) {
    this.pools = clientUrls.map(
      (url) => new Pool(url, { connections: connectionsPerMember, pipelining: 1 }),
    );
  }

  private async post(path: string, body: string): Promise<Record<string, unknown>> {
    const pool = this.pools[this.next++ % this.pools.length] as Pool;
    const response = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200)
      throw new EtcdError(`ETCD_HTTP_${response.statusCode}`, text.slice(0, 200));
    return JSON.parse(text) as Record<string, unknown>;
  }

  async put(key: string, body: BenchBody): Promise<void> {
    const value = await bodyBytes(body);
    await this.post(
      '/v3/kv/put',
      JSON.stringify({ key: Buffer.from(key).toString('base64'), value: value.toString('base64') }),
    );
  }

  async get(key: string, consistency: Consistency): Promise<number> {
    const answer = await this.post(
      '/v3/kv/range',
      JSON.stringify({
        key: Buffer.from(key).toString('base64'),
        serializable: consistency === 'serializable',
      }),
    );
    const kvs = answer['kvs'] as { value?: string }[] | undefined;
    const value = kvs?.[0]?.value;
    if (value === undefined) throw new EtcdError('ETCD_NOT_FOUND', `key ${key} not found`);
    return Buffer.from(value, 'base64').length;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}
