// Time to re-replicate after a node is marked down (issue 13's closing figure): a fresh
// 4-node cluster (R = 3) on real processes, --gib GiB of 4 MiB objects put, down-after set
// to 2 s, then one node holding copies is killed with SIGKILL. Prints how long the
// cluster took from the kill to "marked down" and from there to every chunk having 3
// copies on the three nodes left, with the repair rate in force and the bytes copied.
// Not a test: it prints numbers. Bounded by --seconds-max.
// Run: npm run build && npx tsx bench/re-replicate.ts [--gib 1] [--repair-rate 64MiB]
import { parseArgs } from 'node:util';
import { copiesByChunk } from '../test/cluster/chunk-copies.js';
import { deterministicBytes, TestCluster } from '../test/cluster/harness.js';
import { waitFor } from '../test/helpers/wait.js';
import { loadAverage } from './suite.js';

const { values } = parseArgs({
  options: {
    gib: { type: 'string', default: '1' },
    'repair-rate': { type: 'string', default: '64MiB' },
    'seconds-max': { type: 'string', default: '900' },
  },
});
const objectBytes = 4 * 1024 * 1024;
const gibibytes = Math.min(Math.max(Number(values.gib), 0.01), 8);
const objectCount = Math.ceil((gibibytes * 1024 * 1024 * 1024) / objectBytes);
const secondsMax = Math.min(Math.max(Number(values['seconds-max']), 60), 3600);

console.log(
  `re-replicate: ${objectCount} objects of 4 MiB (${gibibytes} GiB), 4 nodes, R = 3, ` +
    `repair-rate ${values['repair-rate']}; load average before: ${loadAverage()}`,
);
const cluster = await TestCluster.start('re-replicate', 4);
try {
  const settings = ['settings', 'set', 'down-after=2s', `repair-rate=${values['repair-rate']}`];
  const set = cluster.cli([...settings, '--json']);
  if (set.code !== 0) throw new Error(set.stderr);
  const client = cluster.client();
  const putStarted = performance.now();
  try {
    for (let index = 0; index < objectCount; index++)
      await client.putObject(`re-replicate/${index}`, deterministicBytes(index + 1, objectBytes));
  } finally {
    await client.close();
  }
  const putSeconds = (performance.now() - putStarted) / 1000;
  console.log(`  put ${objectCount} objects in ${putSeconds.toFixed(1)} s`);
  const before = copiesByChunk(cluster.nodes);
  const leader = await cluster.waitForLeader();
  const victim = cluster.nodes.find((node) => node.name !== leader)?.name as string;
  const victimChunks = [...before.values()].filter((holders) => holders.includes(victim)).length;
  const killedAt = performance.now();
  await cluster.kill(victim);
  const downMarked = (): boolean => {
    const status = cluster.cli(['status', '--json']);
    if (status.code !== 0) return false;
    const parsed = JSON.parse(status.stdout) as { settings?: { downMembers: { id: string }[] } };
    return parsed.settings?.downMembers.some((member) => member.id === victim) ?? false;
  };
  const timeouts = { timeoutMilliseconds: secondsMax * 1000, intervalMilliseconds: 250 };
  await waitFor(`${victim} marked down`, downMarked, timeouts);
  const markedAt = performance.now();
  await waitFor(
    'every chunk at 3 copies on the nodes left',
    () => {
      const copies = copiesByChunk(cluster.running());
      return [...before.keys()].every((sha256) => (copies.get(sha256)?.length ?? 0) >= 3);
    },
    timeouts,
  );
  const doneAt = performance.now();
  const copiedMiB = (victimChunks * objectBytes) / (1024 * 1024);
  const seconds = (doneAt - markedAt) / 1000;
  console.log(`  kill to marked down: ${((markedAt - killedAt) / 1000).toFixed(1)} s`);
  console.log(
    `  marked down to 3 copies everywhere: ${seconds.toFixed(1)} s for ${victimChunks} ` +
      `chunks (${copiedMiB.toFixed(0)} MiB, ${(copiedMiB / seconds).toFixed(0)} MiB/s); ` +
      `load average after: ${loadAverage()}`,
  );
} finally {
  await cluster.destroy();
}
