// What a benchmark drives: put a body under a key, read a key back. cairn through its
// client; bench/cairn-vs-etcd.ts adds etcd's v3 JSON gateway behind the same interface,
// so both stores see the same workloads from the same load generator.

import { Pool } from 'undici';
import type { CairnClient, Consistency } from '../client/index.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import type { BenchBody } from './values.js';

export interface BenchTarget {
  readonly name: string;
  put(key: string, body: BenchBody, sizeBytes: number): Promise<void>;
  /** Reads the whole value; resolves to its length in bytes. */
  get(key: string, consistency: Consistency): Promise<number>;
}

export class CairnTarget implements BenchTarget {
  readonly name = 'cairn';

  /** `verify`: hash every body read against its SHA-256, as `cairn get` does. */
  constructor(
    private readonly client: CairnClient,
    private readonly verify = true,
  ) {}

  async put(key: string, body: BenchBody, sizeBytes: number): Promise<void> {
    await this.client.putObject(key, body, { size: sizeBytes });
  }

  async get(key: string, consistency: Consistency): Promise<number> {
    const result = await this.client.getObject(key, { consistency, verify: this.verify });
    let bytes = 0;
    for await (const piece of result.body) bytes += (piece as Buffer).length;
    return bytes;
  }
}

/**
 * cairn driven as a curl script or a client in another language would drive it: plain
 * HTTP, every request to the next member in turn (followers forward writes to the
 * leader), no leader routing and no request ids. `endpoints`: host:port of each member.
 */
export class RoundRobinHttpTarget implements BenchTarget {
  readonly name = 'cairn-round-robin';
  private readonly pools: Pool[];
  private next = 0;

  constructor(endpoints: readonly string[], connectionsPerEndpoint: number) {
    assert(endpoints.length > 0, 'a round-robin target needs endpoints');
    this.pools = endpoints.map(
      (endpoint) =>
        new Pool(`http://${endpoint}`, { connections: connectionsPerEndpoint, pipelining: 1 }),
    );
  }

  private pool(): Pool {
    return this.pools[this.next++ % this.pools.length] as Pool;
  }

  async put(key: string, body: BenchBody, sizeBytes: number): Promise<void> {
    const response = await this.pool().request({
      path: `/v1/objects/${encodeURIComponent(key)}`,
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(sizeBytes) },
      body: typeof body === 'function' ? body() : body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200)
      throw new CairnError(
        'CAIRN_ERR_BAD_RESPONSE',
        `put answered ${response.statusCode}: ${text.slice(0, 200)}`,
      );
  }

  async get(key: string, consistency: Consistency): Promise<number> {
    const query = consistency === 'serializable' ? '?consistency=serializable' : '';
    const response = await this.pool().request({
      path: `/v1/objects/${encodeURIComponent(key)}${query}`,
      method: 'GET',
    });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new CairnError(
        'CAIRN_ERR_BAD_RESPONSE',
        `get answered ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    let bytes = 0;
    for await (const piece of response.body) bytes += (piece as Buffer).length;
    return bytes;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}
