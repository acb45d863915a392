// The lease service with its clock injected: the leader expires a lease no earlier than
// TTL after it applied the last renewal, a follower that becomes leader counts from its
// own apply (never a fresh TTL), and a restarted node counts the checkpointed time left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyCommandReporting,
  type MetaCommand,
  type MetaResult,
  readLease,
} from '../../src/meta/index.js';
import { LeaseService } from '../../src/node/lease-service.js';
import { bootstrappedStore } from '../meta/helpers.js';

/** One replicated store; each node applies every entry at the time its clock says. */
function group() {
  const store = bootstrappedStore();
  let index = 1;
  const clock = { now: 0 };
  const nodes: { service: LeaseService; leader: boolean }[] = [];
  const propose = async (command: MetaCommand): Promise<MetaResult> => {
    index++;
    const applied = applyCommandReporting(command, index, store);
    for (const node of nodes) node.service.onChanges(applied.changes);
    return applied.result;
  };
  const addNode = (leader: boolean) => {
    const node = { leader, service: undefined as unknown as LeaseService };
    node.service = new LeaseService({
      group: { propose, reader: () => store, isLeader: () => node.leader, requireMember: () => {} },
      now: () => clock.now,
      log: () => {},
    });
    nodes.push(node);
    return node;
  };
  return { store, clock, addNode, propose };
}

test('the leader expires a lease at TTL after its last renewal, not before', async () => {
  const { store, clock, addNode } = group();
  const leader = addNode(true);
  const lease = await leader.service.grant(3000);
  clock.now = 2000;
  await leader.service.keepalive(String(lease.id));
  clock.now = 4999;
  await leader.service.expiryDuty();
  assert.ok(readLease(store, lease.id) !== undefined, 'alive until 2000 + 3000');
  clock.now = 5000;
  await leader.service.expiryDuty();
  assert.is(readLease(store, lease.id), undefined);
});

test('a follower that becomes leader counts from its own apply, never a fresh TTL', async () => {
  const { store, clock, addNode } = group();
  const first = addNode(true);
  const second = addNode(false);
  const lease = await first.service.grant(3000);
  clock.now = 2500;
  first.leader = false; // the leader is gone; the follower takes over
  second.leader = true;
  await second.service.expiryDuty();
  assert.ok(readLease(store, lease.id) !== undefined);
  clock.now = 3000;
  await second.service.expiryDuty();
  assert.is(readLease(store, lease.id), undefined, 'expired at grant + TTL by its own clock');
});

test('a restarted node counts the checkpointed time left from when it read it', async () => {
  const { store, clock, addNode } = group();
  const leader = addNode(true);
  const lease = await leader.service.grant(3000);
  clock.now = 2300;
  await leader.service.expiryDuty(); // checkpoints: 700 ms left
  assert.is(readLease(store, lease.id)?.remainingMilliseconds, 700);
  leader.leader = false;
  clock.now = 60_000; // much later, a node with no memory of the lease leads
  const restarted = addNode(true);
  await restarted.service.expiryDuty();
  assert.ok(readLease(store, lease.id) !== undefined, 'never early');
  clock.now = 60_699;
  await restarted.service.expiryDuty();
  assert.ok(readLease(store, lease.id) !== undefined);
  clock.now = 60_700;
  await restarted.service.expiryDuty();
  assert.is(readLease(store, lease.id), undefined, 'not a fresh TTL: 700 ms, not 3000');
});

async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

test('a keepalive past the deadline is refused; an unknown lease is NOT_FOUND', async () => {
  const { clock, addNode } = group();
  const leader = addNode(true);
  const lease = await leader.service.grant(3000);
  clock.now = 3000;
  await rejects(() => leader.service.keepalive(String(lease.id)), /expired/);
  await rejects(() => leader.service.keepalive('999999'), /not found/);
  assert.throws(() => leader.service.get('x'), /positive integer/);
});

test.run();
