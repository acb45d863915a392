// What a benchmark drives: put a body under a key, read a key back. cairn through its
// client; bench/cairn-vs-etcd.ts adds etcd's v3 JSON gateway behind the same interface,
// so both stores see the same workloads from the same load generator.

import type { CairnClient, Consistency } from '../client/index.js';
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
