// What the at-most-once bookkeeping of request ids costs a small put: one warm 3-node
// cluster, 64 clients putting 256 B for 6 s with CairnClient's deduplicateWrites on and
// off, rounds in alternating order (the cluster warms up as it runs). About 1 minute.
// Run: npm run build && npx tsx bench/request-id-cost.ts [ROUNDS]
import { CairnClient } from '../src/client/index.js';
import {
  CairnTarget,
  formatNumber,
  phaseReport,
  runWorkload,
  startLocalCluster,
} from '../src/bench/index.js';
import { cpuSecondsOf, loadAverage } from './suite.js';

const rounds = Math.min(Math.max(Number(process.argv[2] ?? '4'), 1), 20);
const local = await startLocalCluster(3, (line) => process.stderr.write(`${line}\n`));
const pids = local.cluster.nodes.map((node) => node.process.pid ?? 0).filter((pid) => pid > 0);
try {
  for (let round = 0; round < rounds; round++) {
    for (const deduplicateWrites of round % 2 === 0 ? [false, true] : [true, false]) {
      const client = new CairnClient({
        endpoints: local.endpoints,
        connectionsPerEndpoint: 64,
        deduplicateWrites,
      });
      const before = cpuSecondsOf(pids);
      const phases = await runWorkload(new CairnTarget(client), {
        workload: 'put',
        clients: 64,
        durationMilliseconds: 6000,
        valueSizeBytes: 256,
        sizes: { minimumBytes: 1, maximumBytes: 1 },
        keys: 1000,
        keyDistribution: 'uniform',
        consistency: 'linearizable',
        readRatio: 0.5,
        keyPrefix: 'request-id-cost/',
        preload: false,
        seed: round + 1,
      });
      const serverCpuSeconds = cpuSecondsOf(pids) - before;
      await client.close();
      const phase = phases[0];
      const row = phase === undefined ? undefined : phaseReport(phase).rows[0];
      if (row === undefined) continue;
      console.log(
        `round ${round + 1}, request ids ${deduplicateWrites ? 'on ' : 'off'}: ${formatNumber(row.operationsPerSecond)} puts/s, p50 ${formatNumber(row.p50Milliseconds)} ms, server CPU ${formatNumber((serverCpuSeconds * 1000) / Math.max(row.operations, 1))} ms/put, errors ${row.failures}, load ${loadAverage()}`,
      );
    }
  }
} finally {
  await local.stop();
}
