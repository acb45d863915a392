// Leases under leader churn (real processes): the leader is killed and restarted every
// 4 s (for about 20 s). A lease without keepalives is gone (its object with it) no earlier than its TTL
// after the grant was sent, and within TTL + one maximum election timeout (plus what a
// leader change and the polling cost); a lease kept alive is never expired.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CoordinationClient } from '../../src/client/index.js';
import { CairnError } from '../../src/util/errors.js';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('lease churn');
const ttlMilliseconds = 3_000;
const electionTimeoutMaxMilliseconds = 2_000; // 2 x raftElectionTimeoutTicks x 100 ms
const slackMilliseconds = 3_000; // a leader change under way, polling, a loaded machine

test.before(async (context) => {
  context.cluster = await TestCluster.start('lease-churn', 3);
  await context.cluster.waitForLeader();
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

const keepaliveIntervalMilliseconds = 300;

test('an idle lease ends between TTL and TTL + an election timeout; a kept one lives', async (context) => {
  const cluster = context.cluster as TestCluster;
  const client = cluster.client();
  const coordination = new CoordinationClient(client);
  let keeper: NodeJS.Timeout | undefined;
  try {
    const kept = await coordination.grantLease(6_000);
    let keptLost: unknown;
    // The holder's keepalive cadence (a client's schedule, not a wait on a condition):
    // one keepalive in flight at a time, every keepaliveIntervalMilliseconds.
    let inFlight: Promise<void> = Promise.resolve();
    let busy = false;
    keeper = setInterval(() => {
      if (busy) return;
      busy = true;
      inFlight = coordination
        .keepaliveLease(kept.id, { signal: AbortSignal.timeout(2_000) })
        .then(
          () => undefined,
          (error: unknown) => {
            if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND')
              keptLost = error;
          },
        )
        .finally(() => {
          busy = false;
        });
    }, keepaliveIntervalMilliseconds);
    const sent = performance.now();
    const idle = await coordination.grantLease(ttlMilliseconds);
    await client.putObject('churn/idle', Buffer.from('x'), { lease: idle.id });
    let killed = 0;
    const restarts: Promise<void>[] = []; // awaited before the end: no node left behind
    let nextKill = performance.now() + 1_000;
    const gone = await waitFor(
      'the idle lease to end',
      async () => {
        if (performance.now() >= nextKill) {
          const leader = await cluster.waitForLeader();
          await cluster.kill(leader);
          restarts.push(cluster.restart(leader));
          killed++;
          nextKill = performance.now() + 4_000;
        }
        try {
          await client.headObject('churn/idle');
          return undefined;
        } catch (error) {
          if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND')
            return performance.now();
          return undefined;
        }
      },
      { timeoutMilliseconds: 30_000, intervalMilliseconds: 50 },
    );
    const lived = gone - sent;
    console.log(
      `idle lease of ${ttlMilliseconds} ms lived ${Math.round(lived)} ms; leaders killed: ${killed}`,
    );
    assert.ok(lived >= ttlMilliseconds, `never before its TTL (lived ${lived} ms)`);
    const bound = ttlMilliseconds + electionTimeoutMaxMilliseconds + slackMilliseconds;
    assert.ok(lived <= bound, `gone within ${bound} ms (lived ${lived} ms)`);
    // The kept lease lives on through more churn: a leader killed every 4 s for 20 s.
    for (let round = 0; round < 5 && keptLost === undefined; round++) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, nextKill - performance.now())),
      );
      const leader = await cluster.waitForLeader();
      await cluster.kill(leader);
      restarts.push(cluster.restart(leader));
      killed++;
      nextKill = performance.now() + 4_000;
    }
    await Promise.all(restarts);
    await cluster.waitForLeader();
    console.log(`the kept lease lived through ${killed} leader kills`);
    clearInterval(keeper);
    await inFlight;
    assert.is(keptLost, undefined, 'the lease kept alive through the churn never expired');
    await coordination.getLease(kept.id);
  } finally {
    clearInterval(keeper);
    await client.close();
  }
});

test.run();
