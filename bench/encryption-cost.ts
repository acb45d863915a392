// What encryption at rest costs a large object: a fresh 3-node cluster without and one
// with --encryption-key-file, each putting and getting 64 MiB objects (16 chunks of
// 4 MiB, 3 copies each), rounds in alternating order; plus the raw seal/open rate of
// one core (AES-256-GCM in 64 KiB segments) for scale. Prints medians, CPU seconds of
// the nodes per round and the load average; then 256 B puts from 32 clients for 6 s on
// each (puts/s, p50, node CPU per put). About 3 minutes.
// Run: npm run build && flock /work/heavy.lock npx tsx bench/encryption-cost.ts [ROUNDS]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CairnClient } from '../src/client/index.js';
import { CairnTarget, phaseReport, runWorkload, startLocalCluster } from '../src/bench/index.js';
import { createKeyFile } from '../src/storage/encryption-keys.js';
import { Keyring, openSealed, seal } from '../src/storage/sealing.js';
import { cpuSecondsOf, loadAverage } from './suite.js';

const rounds = Math.min(Math.max(Number(process.argv[2] ?? '3'), 1), 10);
const objectBytes = 64 * 1024 * 1024;
const mebibytes = objectBytes / (1024 * 1024);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

function rawRate(): { sealMiBps: number; openMiBps: number } {
  const keyring = new Keyring([{ id: 1, key: randomBytes(32) }]);
  const plain = randomBytes(4 * 1024 * 1024);
  let started = performance.now();
  let sealed = seal(keyring, 'chunk', plain);
  for (let round = 1; round < 16; round++) sealed = seal(keyring, 'chunk', plain);
  const sealSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  for (let round = 0; round < 16; round++) openSealed(keyring, 'chunk', sealed);
  const openSeconds = (performance.now() - started) / 1000;
  return { sealMiBps: 64 / sealSeconds, openMiBps: 64 / openSeconds };
}

interface Figures {
  put: number[];
  get: number[];
  cpu: number[];
}

async function measure(endpoints: string, pids: number[], round: number, into: Figures) {
  const client = new CairnClient({ endpoints, requestTimeoutMilliseconds: 120_000 });
  try {
    const body = randomBytes(objectBytes);
    const cpuBefore = cpuSecondsOf(pids);
    let started = performance.now();
    await client.putObject(`cost/${round}`, body);
    into.put.push(mebibytes / ((performance.now() - started) / 1000));
    started = performance.now();
    const { body: stream } = await client.getObject(`cost/${round}`);
    let received = 0;
    for await (const piece of stream) received += (piece as Buffer).length;
    into.get.push(mebibytes / ((performance.now() - started) / 1000));
    if (received !== objectBytes) throw new Error(`got ${received} bytes`);
    into.cpu.push(cpuSecondsOf(pids) - cpuBefore);
  } finally {
    await client.close();
  }
}

interface SmallPuts {
  rate: number[];
  p50: number[];
  cpuMillisecondsPerPut: number[];
}

async function smallPuts(endpoints: string, pids: number[], round: number, into: SmallPuts) {
  const client = new CairnClient({ endpoints, connectionsPerEndpoint: 32 });
  const before = cpuSecondsOf(pids);
  try {
    const phases = await runWorkload(new CairnTarget(client), {
      ...{ workload: 'put', clients: 32, durationMilliseconds: 6000, valueSizeBytes: 256 },
      ...{ sizes: { minimumBytes: 1, maximumBytes: 1 }, keys: 1000, keyDistribution: 'uniform' },
      ...{ consistency: 'linearizable', readRatio: 0.5, keyPrefix: 'small/', preload: false },
      seed: round + 1,
    });
    const row = phases[0] === undefined ? undefined : phaseReport(phases[0]).rows[0];
    if (row === undefined) return;
    into.rate.push(row.operationsPerSecond);
    into.p50.push(row.p50Milliseconds);
    into.cpuMillisecondsPerPut.push(((cpuSecondsOf(pids) - before) * 1000) / row.operations);
  } finally {
    await client.close();
  }
}

const keys = mkdtempSync(join(tmpdir(), 'cairn-cost-keys-'));
const keyFile = join(keys, 'bench.keys');
await createKeyFile(keyFile);
const results: Record<'plain' | 'encrypted', Figures> = {
  plain: { put: [], get: [], cpu: [] },
  encrypted: { put: [], get: [], cpu: [] },
};
const small: Record<'plain' | 'encrypted', SmallPuts> = {
  plain: { rate: [], p50: [], cpuMillisecondsPerPut: [] },
  encrypted: { rate: [], p50: [], cpuMillisecondsPerPut: [] },
};
const loadBefore = loadAverage();
const raw = rawRate();
const plain = await startLocalCluster(3, log);
const encrypted = await startLocalCluster(3, log, { encryptionKeyFile: keyFile });
try {
  for (let round = 0; round < rounds; round++) {
    const order =
      round % 2 === 0 ? (['plain', 'encrypted'] as const) : (['encrypted', 'plain'] as const);
    for (const which of order) {
      const local = which === 'plain' ? plain : encrypted;
      const pids = local.cluster.nodes
        .map((node) => node.process.pid ?? 0)
        .filter((pid) => pid > 0);
      await measure(local.endpoints, pids, round, results[which]);
      await smallPuts(local.endpoints, pids, round, small[which]);
      log(
        `round ${round + 1} ${which}: put ${results[which].put.at(-1)!.toFixed(1)} MiB/s, get ${results[which].get.at(-1)!.toFixed(1)} MiB/s`,
      );
    }
  }
} finally {
  await plain.stop();
  await encrypted.stop();
  rmSync(keys, { recursive: true, force: true });
}
const loadAfter = loadAverage();
console.log(
  `raw AES-256-GCM, one core, 64 KiB segments: seal ${raw.sealMiBps.toFixed(0)} MiB/s, open ${raw.openMiBps.toFixed(0)} MiB/s`,
);
console.log(
  `64 MiB objects, 3 nodes, R=3, ${rounds} rounds each (median; node CPU seconds per put+get)`,
);
for (const which of ['plain', 'encrypted'] as const) {
  const figures = results[which];
  console.log(
    `  ${which.padEnd(9)} put ${median(figures.put).toFixed(1)} MiB/s  get ${median(figures.get).toFixed(1)} MiB/s  cpu ${median(figures.cpu).toFixed(2)} s   (puts ${figures.put.map((value) => value.toFixed(1)).join(', ')}; gets ${figures.get.map((value) => value.toFixed(1)).join(', ')})`,
  );
}
console.log('256 B puts, 32 clients, 6 s per round (median puts/s, p50 ms, node CPU ms per put)');
for (const which of ['plain', 'encrypted'] as const) {
  const figures = small[which];
  console.log(
    `  ${which.padEnd(9)} ${median(figures.rate).toFixed(0)} puts/s  p50 ${median(figures.p50).toFixed(2)} ms  cpu ${median(figures.cpuMillisecondsPerPut).toFixed(2)} ms/put   (${figures.rate.map((value) => value.toFixed(0)).join(', ')})`,
  );
}
console.log(`load average before ${loadBefore}, after ${loadAfter}`);
