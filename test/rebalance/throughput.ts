// Rebalance throughput (issue 6 "done when"): a 4th node joins a 3-node cluster that
// holds TOTAL_MIB of objects (default 2048, 32 MiB objects); the time from `cairn
// rebalance` to the settled epoch, with the rate limit off (RATE=0) or on (RATE=50MiB).
// Not a test: a measurement. Needs `npm run build`. Run:
//   RATE=0 npx tsx test/rebalance/throughput.ts ; RATE=50MiB npx tsx test/rebalance/throughput.ts
import { spawnSync } from 'node:child_process';
import { TestCluster, deterministicBytes } from '../cluster/harness.js';

const totalMebibytes = Number(process.env['TOTAL_MIB'] ?? 2048);
const objectMebibytes = 32;
const rate = process.env['RATE'] ?? '0';
const entry = new URL('../../bin/run.js', import.meta.url).pathname;

function cli(cluster: TestCluster, args: readonly string[]): string {
  const result = spawnSync(process.execPath, [entry, ...args], {
    encoding: 'utf8',
    timeout: 3_600_000,
    env: { ...process.env, NO_COLOR: '1', CAIRN_ENDPOINTS: cluster.endpoints(cluster.running()) },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`cairn ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const cluster = await TestCluster.start('throughput', 3);
try {
  const client = cluster.client();
  const objects = Math.ceil(totalMebibytes / objectMebibytes);
  const loadStarted = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects) {
      const index = next++;
      await client.putObject(
        `bulk/${index}`,
        deterministicBytes(index + 1, objectMebibytes * 1024 * 1024),
      );
    }
  };
  await Promise.all([worker(), worker()]);
  await client.close();
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  console.log(`loaded ${objects} x ${objectMebibytes} MiB in ${loadSeconds.toFixed(1)} s`);
  cli(cluster, ['rebalance', '--pause']);
  const fourth = await cluster.addNode();
  cli(cluster, ['join', '--node', fourth.clientAddress]);
  const plan = JSON.parse(cli(cluster, ['rebalance', '--dry-run', '--json'])) as {
    bytesMoved: number;
    copiesMoved: number;
    movedShare: number;
  };
  const started = performance.now();
  const final = JSON.parse(cli(cluster, ['rebalance', '--rate', rate, '--json'])) as {
    settledEpoch: number;
    currentEpoch: number;
  };
  const seconds = (performance.now() - started) / 1000;
  const mebibytes = plan.bytesMoved / 1024 / 1024;
  console.log(
    JSON.stringify({
      totalMebibytes,
      rate,
      copiesMoved: plan.copiesMoved,
      movedMebibytes: Math.round(mebibytes),
      movedShare: plan.movedShare.toFixed(3),
      seconds: seconds.toFixed(1),
      mebibytesPerSecond: (mebibytes / seconds).toFixed(1),
      settled: final.settledEpoch === final.currentEpoch,
    }),
  );
} finally {
  await cluster.destroy();
}
