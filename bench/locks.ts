// Locks next to puts (issue 15): on one warm local 3-node cluster, for PHASE seconds each,
//   put 256 B, 1 client                         the baseline: one Raft entry per operation
//   acquire + release, 1 client, uncontended    two entries (grant, release) per operation
//   acquire + release, 64 clients on 64 locks   each client its own lock and lease
//   acquire + release, 64 clients on one lock   FIFO: each release grants the next waiter
// Every client holds one lease (60 s TTL, granted before the phase, so no keepalives).
// Latency is of the whole operation (both requests for a lock). Prints one line per
// phase with the load average. Run: npm run build && npx tsx bench/locks.ts [PHASE_SECONDS]
import { randomUUID } from 'node:crypto';
import {
  formatNumber,
  phaseReport,
  type PlannedOperation,
  runPhase,
  startLocalCluster,
} from '../src/bench/index.js';
import { CairnClient, CoordinationClient } from '../src/client/index.js';
import { loadAverage } from './suite.js';

const phaseSeconds = Math.min(Math.max(Number(process.argv[2] ?? '8'), 1), 120);
const local = await startLocalCluster(3, (line) => process.stderr.write(`${line}\n`));
const client = new CairnClient({ endpoints: local.endpoints, connectionsPerEndpoint: 64 });
const coordination = new CoordinationClient(client);
const body = Buffer.alloc(256, 7);

/** Slots: one lease (and lock name) per concurrent client of a phase. */
async function slots(count: number, lockOf: (slot: number) => string) {
  const leases = await Promise.all(
    Array.from({ length: count }, () => coordination.grantLease(60_000)),
  );
  const free = leases.map((lease, slot) => ({ leaseId: lease.id, lock: lockOf(slot) }));
  return {
    take: () => free.pop() as { leaseId: number; lock: string },
    give: (slot: { leaseId: number; lock: string }) => free.push(slot),
    revoke: () => Promise.all(leases.map((lease) => coordination.revokeLease(lease.id))),
  };
}

function lockOperation(pool: Awaited<ReturnType<typeof slots>>): PlannedOperation {
  return {
    kind: 'acquire+release',
    run: async () => {
      const slot = pool.take();
      try {
        const requestId = randomUUID();
        const answer = await coordination.acquireLock(slot.lock, {
          leaseId: slot.leaseId,
          requestId,
          waitMilliseconds: 20_000,
        });
        if (!answer.granted) throw new Error('not granted within 20 s');
        await coordination.releaseLock(slot.lock, requestId);
        return 0;
      } finally {
        pool.give(slot);
      }
    },
  };
}

async function measure(name: string, clients: number, plan: () => PlannedOperation) {
  const phase = await runPhase({
    name,
    clients,
    durationMilliseconds: phaseSeconds * 1000,
    plan: () => plan(),
  });
  const row = phaseReport(phase).rows[0];
  if (row === undefined) return;
  console.log(
    `${name.padEnd(36)} ${formatNumber(row.operationsPerSecond).padStart(7)} ops/s  p50 ${formatNumber(row.p50Milliseconds)} ms  p99 ${formatNumber(row.p99Milliseconds)} ms  errors ${row.failures}  load ${loadAverage()}`,
  );
}

try {
  // Warm-up (not reported): the first entries of a fresh cluster are slower.
  await runPhase({
    name: 'warm-up',
    clients: 8,
    durationMilliseconds: 2000,
    plan: (ticket) => ({
      kind: 'put',
      run: async () => (await client.putObject(`bench/warm/${ticket % 100}`, body), 256),
    }),
  });
  await measure('put 256 B, 1 client', 1, () => ({
    kind: 'put',
    run: async () => (await client.putObject('bench/put/one', body), 256),
  }));
  const single = await slots(1, () => 'bench/uncontended');
  await measure('acquire+release, 1 client', 1, () => lockOperation(single));
  await single.revoke();
  const many = await slots(64, (slot) => `bench/many/${slot}`);
  await measure('acquire+release, 64 clients, 64 locks', 64, () => lockOperation(many));
  await many.revoke();
  const one = await slots(64, () => 'bench/one');
  await measure('acquire+release, 64 clients, 1 lock', 64, () => lockOperation(one));
  await one.revoke();
} finally {
  await client.close();
  await local.stop();
}
