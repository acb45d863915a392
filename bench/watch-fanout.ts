// Watch fan-out (issue 17): one 3-node cluster; on ONE node (a follower, the usual place
// for readers) 1,000 watchers, each on its own prefix, plus 10 watchers of the whole
// bench prefix; an open-loop load of --rate puts per second (1,000 by default, 256 B,
// each a new key) spread evenly over the 1,000 prefixes for --seconds. Reports:
//  * the lag from each put's acknowledgement (its commit, as the writer sees it) to the
//    delivery of its event, p50/p99/max, for the prefix watchers and the 10 of everything
//    (and from the put's send, an upper bound that includes the put's own latency);
//  * that no watcher missed, repeated or reordered an event: each prefix watcher's keys
//    equal the acknowledged puts of its prefix in revision order, each of the 10 all;
//  * the watch node's resident memory per watcher (RSS with the watchers open and idle
//    minus before, over their number).
// The watchers run in the load generator's process (5 clients of 256 connections: the
// client's per-endpoint cap), on the same 2 cores as the nodes.
// Run: npm run build && flock /work/heavy.lock npx tsx bench/watch-fanout.ts [RATE] [SECONDS] [none]
import { readFileSync } from 'node:fs';
import {
  formatNumber,
  LatencyHistogram,
  type LatencySummary,
  runPhase,
  startLocalCluster,
} from '../src/bench/index.js';
import { CairnClient } from '../src/client/index.js';
import { limits } from '../src/util/limits.js';
import { loadAverage } from './suite.js';

const rate = Math.min(Math.max(Number(process.argv[2] ?? '1000'), 1), 10_000);
const seconds = Math.min(Math.max(Number(process.argv[3] ?? '20'), 1), 600);
const prefixWatchers = 1000;
const allWatchers = 10;
// [none]: the same load without watchers (what the watchers cost the puts).
const watcherCount = process.argv[4] === 'none' ? 0 : prefixWatchers + allWatchers;
const root = 'watch-bench/';
const deliveryDeadlineMilliseconds = 60_000;
const readyDeadlineMilliseconds = 120_000;

const prefixOf = (index: number): string => `${root}p${String(index).padStart(4, '0')}/`;

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib ?? 0) * 1024;
}

interface WatcherRecord {
  readonly prefix: string;
  ready: boolean;
  /** Keys in delivery order, their revisions, and when each arrived. */
  readonly keys: string[];
  readonly revisions: number[];
  readonly deliveredAt: Map<string, number>;
  failure?: string;
}

function startWatcher(client: CairnClient, prefix: string, signal: AbortSignal): WatcherRecord {
  const record: WatcherRecord = {
    prefix,
    ready: false,
    keys: [],
    revisions: [],
    deliveredAt: new Map(),
  };
  void (async () => {
    try {
      for await (const item of client.watch(prefix, { signal })) {
        record.ready = true;
        if (item.kind !== 'revision') continue;
        const now = performance.now();
        for (const event of item.events) {
          record.keys.push(event.key);
          record.revisions.push(item.revision);
          record.deliveredAt.set(event.key, now);
        }
      }
    } catch (error) {
      if (!signal.aborted) record.failure = error instanceof Error ? error.message : String(error);
    }
  })();
  return record;
}

async function waitFor(what: string, deadlineMilliseconds: number, done: () => boolean) {
  const deadline = performance.now() + deadlineMilliseconds;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface PutRecord {
  readonly key: string;
  readonly prefixIndex: number;
  readonly sentAt: number;
  ackedAt?: number;
  version?: number;
}

/** Problems of one watcher against the acknowledged puts it should have seen. */
function checkWatcher(
  watcher: WatcherRecord,
  expected: readonly PutRecord[],
  unknownKeys: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  if (watcher.failure !== undefined) problems.push(`${watcher.prefix}: ${watcher.failure}`);
  const seen = new Set<string>();
  for (let index = 0; index < watcher.keys.length; index++) {
    const key = watcher.keys[index] as string;
    if (seen.has(key)) problems.push(`${watcher.prefix}: ${key} delivered twice`);
    seen.add(key);
    if (
      index > 0 &&
      (watcher.revisions[index] as number) <= (watcher.revisions[index - 1] as number)
    )
      problems.push(`${watcher.prefix}: revisions out of order at ${key}`);
  }
  const wanted = [...expected].sort((left, right) => (left.version ?? 0) - (right.version ?? 0));
  // A put that failed may or may not have applied: its event is neither required nor wrong.
  const got = watcher.keys.filter((key) => !unknownKeys.has(key));
  if (got.length !== wanted.length || wanted.some((put, index) => got[index] !== put.key))
    problems.push(
      `${watcher.prefix}: got ${got.length} events, ${wanted.length} acknowledged puts (or another order)`,
    );
  return problems;
}

function summaryText(summary: LatencySummary): string {
  return `p50 ${formatNumber(summary.p50Milliseconds)} ms, p99 ${formatNumber(summary.p99Milliseconds)} ms, max ${formatNumber(summary.maxMilliseconds)} ms (${summary.count} deliveries)`;
}

const local = await startLocalCluster(3, (line) => process.stderr.write(`${line}\n`));
const abort = new AbortController();
const clients: CairnClient[] = [];
try {
  const writer = new CairnClient({ endpoints: local.endpoints, connectionsPerEndpoint: 64 });
  clients.push(writer);
  const statuses = await Promise.all(
    local.cluster.nodes.map(async (node) => {
      const one = new CairnClient({ endpoints: node.clientAddress });
      clients.push(one);
      return {
        node,
        status: (await one.requestJson('GET', '/v1/node/status')) as { role: string },
      };
    }),
  );
  const watched = (statuses.find((each) => each.status.role !== 'leader') ?? statuses[0])?.node;
  if (watched === undefined) throw new Error('no node to watch');
  const pid = watched.process.pid ?? 0;
  const perClient = limits.clientConnectionsPerEndpointMax - 6;
  const watcherClients = Array.from(
    { length: Math.ceil(watcherCount / perClient) },
    () => new CairnClient({ endpoints: watched.clientAddress }),
  );
  clients.push(...watcherClients);
  const rssBefore = residentBytes(pid);
  const watchers: WatcherRecord[] = [];
  for (let index = 0; index < watcherCount; index++) {
    const client = watcherClients[Math.floor(index / perClient)] as CairnClient;
    const prefix = index < prefixWatchers ? prefixOf(index) : root;
    watchers.push(startWatcher(client, prefix, abort.signal));
  }
  await waitFor('every watcher open', readyDeadlineMilliseconds, () =>
    watchers.every((watcher) => watcher.ready || watcher.failure !== undefined),
  );
  const rssWatching = residentBytes(pid);
  console.log(
    `${watchers.length} watchers open on ${watched.name} (${statuses.find((each) => each.node === watched)?.status.role}); its RSS ${formatNumber(rssBefore / 2 ** 20)} MiB before, ${formatNumber(rssWatching / 2 ** 20)} MiB with them: ${formatNumber((rssWatching - rssBefore) / 1024 / watchers.length)} KiB per watcher; load ${loadAverage()}`,
  );
  const puts: PutRecord[] = [];
  const unknownKeys = new Set<string>();
  const value = new Uint8Array(256).fill(119);
  const phase = await runPhase({
    name: 'put',
    clients: 64,
    durationMilliseconds: seconds * 1000,
    rateOperationsPerSecond: rate,
    plan: (ticket) => {
      const prefixIndex = ticket % prefixWatchers;
      const key = `${prefixOf(prefixIndex)}${ticket}`;
      return {
        kind: 'put',
        run: async () => {
          const put: PutRecord = { key, prefixIndex, sentAt: performance.now() };
          const answer = await writer
            .putObject(key, value, { size: value.length })
            .catch((error: unknown) => {
              unknownKeys.add(key);
              throw error;
            });
          put.ackedAt = performance.now();
          put.version = answer.version;
          puts.push(put);
          return value.length;
        },
      };
    },
  });
  const stats = phase.operations[0];
  const achieved = (puts.length * 1000) / phase.elapsedMilliseconds;
  console.log(
    `puts: ${puts.length} acknowledged (${formatNumber(achieved)}/s of ${rate}/s asked), ${stats?.failures ?? 0} failed ${JSON.stringify(stats?.errorsByCode ?? {})}, put p50 ${formatNumber(stats?.latency.p50Milliseconds ?? 0)} ms p99 ${formatNumber(stats?.latency.p99Milliseconds ?? 0)} ms; load ${loadAverage()}`,
  );
  const byPrefix = Array.from({ length: prefixWatchers }, (): PutRecord[] => []);
  for (const put of puts) byPrefix[put.prefixIndex]?.push(put);
  const delivered = () =>
    watchers.every((watcher, index) => {
      const expected = index < prefixWatchers ? (byPrefix[index] as PutRecord[]) : puts;
      return (
        watcher.failure !== undefined || expected.every((put) => watcher.deliveredAt.has(put.key))
      );
    });
  await waitFor('every acknowledged put delivered', deliveryDeadlineMilliseconds, delivered).catch(
    (error: Error) => console.log(error.message),
  );
  const fromAck = { prefix: new LatencyHistogram(), all: new LatencyHistogram() };
  const fromSend = { prefix: new LatencyHistogram(), all: new LatencyHistogram() };
  let beforeAck = 0;
  let deliveries = 0;
  const problems: string[] = [];
  for (let index = 0; index < watchers.length; index++) {
    const watcher = watchers[index] as WatcherRecord;
    const expected = index < prefixWatchers ? (byPrefix[index] as PutRecord[]) : puts;
    problems.push(...checkWatcher(watcher, expected, unknownKeys));
    const kind = index < prefixWatchers ? 'prefix' : 'all';
    for (const put of expected) {
      const at = watcher.deliveredAt.get(put.key);
      if (at === undefined || put.ackedAt === undefined) continue;
      deliveries++;
      if (at < put.ackedAt) beforeAck++;
      fromAck[kind].recordMilliseconds(Math.max(at - put.ackedAt, 0));
      fromSend[kind].recordMilliseconds(at - put.sentAt);
    }
  }
  console.log(`prefix watchers, from the put's ack: ${summaryText(fromAck.prefix.summary())}`);
  console.log(`prefix watchers, from the put's send: ${summaryText(fromSend.prefix.summary())}`);
  console.log(`watchers of everything, from the ack: ${summaryText(fromAck.all.summary())}`);
  console.log(`watchers of everything, from the send: ${summaryText(fromSend.all.summary())}`);
  console.log(
    `${formatNumber((100 * beforeAck) / Math.max(deliveries, 1))}% of deliveries arrived before the writer had its ack (counted as 0)`,
  );
  console.log(
    problems.length === 0
      ? `no watcher missed, repeated or reordered an event (${watchers.length} watchers checked); load ${loadAverage()}`
      : `PROBLEMS (${problems.length}):\n${problems.slice(0, 20).join('\n')}`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
} finally {
  abort.abort();
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await local.stop();
}
