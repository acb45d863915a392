// A sustained load (issue 13): a fresh local 3-node cluster, 64 clients putting 256 B
// values until PUTS puts are acknowledged (default 100,000; about 63% distinct keys),
// then a check that no node exited or logged a fatal error. Prints the put rate of
// every tenth of the load and each node's RSS at the end. Bounded: stops after
// --seconds-max even when the count is not reached. Not a test: it prints numbers.
// Run: npm run build && npx tsx bench/sustained-load.ts [--puts N] [--seconds-max S]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startLocalCluster } from '../src/bench/index.js';
import { CairnClient } from '../src/client/index.js';
import { Prng } from '../src/util/prng.js';
import { loadAverage } from './suite.js';

const { values } = parseArgs({
  options: {
    puts: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '64' },
    'seconds-max': { type: 'string', default: '1800' },
  },
});
const putsWanted = Math.min(Math.max(Number(values.puts), 1_000), 10_000_000);
const clientCount = Math.min(Math.max(Number(values.clients), 1), 256);
const deadline = performance.now() + Math.min(Number(values['seconds-max']), 24 * 3600) * 1000;
const distinctKeys = Math.round(putsWanted * 0.63);
const windowPuts = Math.max(1, Math.floor(putsWanted / 10));

console.log(
  `sustained load: ${putsWanted} puts of 256 B from ${clientCount} clients, ` +
    `${distinctKeys} keys; load average before: ${loadAverage()}`,
);
const local = await startLocalCluster(3, (line) => process.stderr.write(`${line}\n`));
const exits: string[] = [];
for (const node of local.cluster.nodes)
  node.process.once('exit', (code, signal) => exits.push(`${node.name}: ${code ?? signal}`));
const client = new CairnClient({ endpoints: local.endpoints, connectionsPerEndpoint: clientCount });
let acknowledged = 0;
let failed = 0;
const windowRates: number[] = [];
let windowStarted = performance.now();
const started = performance.now();
const value = Buffer.alloc(256, 0x61);

async function worker(id: number): Promise<void> {
  const prng = new Prng(id + 1);
  for (let attempt = 0; attempt < 10 * putsWanted; attempt++) {
    if (acknowledged >= putsWanted || performance.now() > deadline) return;
    const key = `sustained/${prng.nextIntegerInclusive(0, distinctKeys - 1)}`;
    try {
      await client.putObject(key, value);
    } catch {
      failed++;
      continue;
    }
    acknowledged++;
    if (acknowledged % windowPuts === 0) {
      const now = performance.now();
      windowRates.push((windowPuts * 1000) / (now - windowStarted));
      console.log(
        `  ${acknowledged} puts: ${windowRates.at(-1)?.toFixed(0)} puts/s in this tenth, ` +
          `${failed} failed so far, load ${loadAverage()}`,
      );
      windowStarted = now;
    }
  }
}

try {
  await Promise.all(Array.from({ length: clientCount }, (_, id) => worker(id)));
  const seconds = (performance.now() - started) / 1000;
  const fatal = local.cluster.nodes.filter((node) =>
    readFileSync(node.logFile, 'utf8').includes('"event":"fatal"'),
  );
  for (const node of local.cluster.nodes) {
    const pid = node.process.pid;
    const status = pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status)?.[1] ?? '?';
    const anonymous = /RssAnon:\s+(\d+)/.exec(status)?.[1] ?? '?';
    console.log(
      `  ${node.name}: RSS ${Math.round(Number(rss) / 1024)} MiB ` +
        `(anonymous ${Math.round(Number(anonymous) / 1024)} MiB)`,
    );
  }
  const first = windowRates[0] ?? 0;
  const last = windowRates.at(-1) ?? 0;
  console.log(
    `${acknowledged} puts acknowledged, ${failed} failed, in ${seconds.toFixed(0)} s ` +
      `(${(acknowledged / seconds).toFixed(0)} puts/s); last tenth ${last.toFixed(0)} ` +
      `against first ${first.toFixed(0)} puts/s; load average after: ${loadAverage()}`,
  );
  console.log(
    `node exits: ${exits.length === 0 ? 'none' : exits.join(', ')}; ` +
      `fatal errors logged by: ${fatal.map((node) => node.name).join(', ') || 'none'}`,
  );
  process.exitCode = exits.length === 0 && fatal.length === 0 && acknowledged >= putsWanted ? 0 : 1;
} finally {
  await client.close();
  await local.stop();
}
