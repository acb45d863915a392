// `--local N`: a throwaway N-node cluster in a temporary directory on free ports,
// started before the run and stopped (and deleted) after it.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCluster, type DevCluster } from '../cli/dev-cluster.js';
import { assertInteger } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { Prng } from '../util/prng.js';

export interface LocalCluster {
  readonly endpoints: string;
  readonly directory: string;
  readonly cluster: DevCluster;
  stop(): Promise<void>;
}

const portSearchAttemptsMax = 50;
const portLowest = 20_000;
const portHighest = 60_000;

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports from it (racy by nature; good enough for a local run). */
export async function findFreePortRange(
  count: number,
  host = '127.0.0.1',
  prng = new Prng(process.pid),
): Promise<number> {
  assertInteger(count, 'port count', 1, 2 * limits.benchLocalNodesMax);
  for (let attempt = 0; attempt < portSearchAttemptsMax; attempt++) {
    const base = prng.nextIntegerInclusive(portLowest, portHighest - count);
    let allFree = true;
    for (let offset = 0; offset < count && allFree; offset++)
      allFree = await portFree(base + offset, host);
    if (allFree) return base;
  }
  throw new CairnError(
    'CAIRN_ERR_UNAVAILABLE',
    `no ${count} consecutive free ports found on ${host} after ${portSearchAttemptsMax} tries`,
  );
}

export async function startLocalCluster(
  nodes: number,
  log: (line: string) => void,
  environment: { readonly directory?: string; readonly encryptionKeyFile?: string } = {},
): Promise<LocalCluster> {
  assertInteger(nodes, '--local nodes', 1, limits.benchLocalNodesMax);
  const directory = environment.directory ?? mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const basePort = await findFreePortRange(2 * nodes);
  let cluster: DevCluster;
  try {
    const { encryptionKeyFile } = environment;
    cluster = await startDevCluster({
      ...{ nodes, directory, host: '127.0.0.1', basePort, log, encryptionKeyFile },
    });
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await cluster.stop();
    rmSync(directory, { recursive: true, force: true });
  };
  return { endpoints: cluster.endpoints, directory, cluster, stop };
}
