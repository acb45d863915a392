// What a transaction costs next to a plain put (issue 16): one warm 3-node cluster, 64
// clients, rounds of 6 s each of single 256 B puts, txns of 2 puts and txns of 16 puts
// (every txn unconditional, with a request id, as the client sends it; puts with their
// request id too), the order rotating each round (the cluster warms up as it runs).
// Prints, per round and kind: ops/s, keys written/s, p50/p99, the nodes' CPU per op, and
// the load average; then the medians. About 1 minute per round.
// Run: npm run build && flock /work/heavy.lock npx tsx bench/txn-cost.ts [ROUNDS] [KINDS]
import {
  formatNumber,
  type PlannedOperation,
  phaseReport,
  runPhase,
  startLocalCluster,
} from '../src/bench/index.js';
import { CairnClient } from '../src/client/index.js';
import { cpuSecondsOf, loadAverage } from './suite.js';

const rounds = Math.min(Math.max(Number(process.argv[2] ?? '3'), 1), 20);
const clients = 64;
const phaseMilliseconds = 6000;
const valueBytes = 256;
const keysPerClient = 64;
const allKinds = [
  { name: 'put', keys: 1 },
  { name: 'txn2', keys: 2 },
  { name: 'txn16', keys: 16 },
] as const;
type KindName = (typeof allKinds)[number]['name'];
// [KINDS]: a comma-separated subset (put,txn2,txn16), all by default.
const wanted = (process.argv[3] ?? 'put,txn2,txn16').split(',');
const kinds = allKinds.filter((kind) => wanted.includes(kind.name));

const value = new Uint8Array(valueBytes).fill(120);

function plan(
  client: CairnClient,
  kind: (typeof allKinds)[number],
  ticket: number,
): PlannedOperation {
  // Keys of one operation are distinct (a txn may not write a key twice).
  const base = (ticket * kind.keys) % (clients * keysPerClient * 16);
  const keys = Array.from({ length: kind.keys }, (_, index) => `txn-cost/${base + index}`);
  if (kind.name === 'put')
    return {
      kind: 'put',
      run: async () => {
        await client.putObject(keys[0] as string, value, { size: valueBytes });
        return valueBytes;
      },
    };
  const success = keys.map((key) => ({ type: 'put' as const, key, value }));
  return {
    kind: kind.name,
    run: async () => {
      const answer = await client.txn({ compare: [], success, failure: [] });
      if (!answer.succeeded) throw new Error('an unconditional txn failed its compares');
      return valueBytes * kind.keys;
    },
  };
}

const local = await startLocalCluster(3, (line) => process.stderr.write(`${line}\n`));
const pids = local.cluster.nodes.map((node) => node.process.pid ?? 0).filter((pid) => pid > 0);
const perKind = new Map<KindName, { opsPerSecond: number[]; p99: number[]; cpu: number[] }>();
try {
  const client = new CairnClient({ endpoints: local.endpoints, connectionsPerEndpoint: clients });
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < kinds.length; step++) {
      const kind = kinds[(round + step) % kinds.length] as (typeof allKinds)[number];
      const before = cpuSecondsOf(pids);
      const phase = await runPhase({
        name: kind.name,
        clients,
        durationMilliseconds: phaseMilliseconds,
        plan: (ticket) => plan(client, kind, ticket),
      });
      const serverCpuSeconds = cpuSecondsOf(pids) - before;
      const row = phaseReport(phase).rows[0];
      if (row === undefined) continue;
      const cpuMilliseconds = (serverCpuSeconds * 1000) / Math.max(row.operations, 1);
      const entry = perKind.get(kind.name) ?? { opsPerSecond: [], p99: [], cpu: [] };
      entry.opsPerSecond.push(row.operationsPerSecond);
      entry.p99.push(row.p99Milliseconds);
      entry.cpu.push(cpuMilliseconds);
      perKind.set(kind.name, entry);
      console.log(
        `round ${round + 1} ${kind.name.padEnd(5)}: ${formatNumber(row.operationsPerSecond)} ops/s, ${formatNumber(row.operationsPerSecond * kind.keys)} keys/s, p50 ${formatNumber(row.p50Milliseconds)} ms, p99 ${formatNumber(row.p99Milliseconds)} ms, node CPU ${formatNumber(cpuMilliseconds)} ms/op, errors ${row.failures} ${JSON.stringify(row.errorsByCode)}, load ${loadAverage()}`,
      );
    }
  }
  await client.close();
} finally {
  await local.stop();
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const putRate = median(perKind.get('put')?.opsPerSecond ?? []);
for (const kind of kinds) {
  const entry = perKind.get(kind.name);
  if (entry === undefined) continue;
  const rate = median(entry.opsPerSecond);
  console.log(
    `median ${kind.name.padEnd(5)}: ${formatNumber(rate)} ops/s${putRate > 0 ? ` (${formatNumber(putRate / Math.max(rate, 1))} puts' time each)` : ''}, p99 ${formatNumber(median(entry.p99))} ms, node CPU ${formatNumber(median(entry.cpu))} ms/op`,
  );
}
