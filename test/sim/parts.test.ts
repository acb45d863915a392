// The simulator's parts must model faults faithfully, or the simulator proves
// nothing: a disk that kept unsynced writes, or a network that never reordered,
// would hide the bugs test/sim exists to find.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory } from '../../src/check/index.js';
import type { Message } from '../../src/raft/types.js';
import type { Disk } from '../../src/storage/disk.js';
import { Prng } from '../../src/util/prng.js';
import { MachineDisk, type SimClock, type SimProcessHandle } from './disk.js';
import { SimNetwork } from './network.js';
import { Workload } from './workload.js';

interface FakeProcess extends SimProcessHandle {
  alive: boolean;
}

/** A clock whose tasks the test runs by hand, tick by tick. */
class ManualClock implements SimClock {
  tick = 0;
  private tasks: { at: number; owner: SimProcessHandle; run: () => void }[] = [];
  after(owner: SimProcessHandle, ticks: number, run: () => void): void {
    this.tasks.push({ at: this.tick + ticks, owner, run });
  }
  async advanceTo(tick: number): Promise<void> {
    this.tick = tick;
    const due = this.tasks.filter((task) => task.at <= tick && task.owner.alive);
    this.tasks = this.tasks.filter((task) => task.at > tick);
    for (const task of due) task.run();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function writeThenSync(disk: Disk, bytes: number[]): Promise<{ synced: boolean }> {
  const file = await disk.open('/f', 'create');
  await file.write(new Uint8Array(bytes), 0);
  const state = { synced: false };
  void file.datasync().then(() => {
    state.synced = true;
  });
  return state;
}

test('machine disk: an fsync completes on the simulated clock; a crash before it loses the data', async () => {
  const clock = new ManualClock();
  const machine = new MachineDisk(new Prng(4), clock, 0);
  const process: FakeProcess = { id: 'n1', alive: true };
  const state = await writeThenSync(machine.forProcess(process), [1, 2, 3]);
  assert.is(state.synced, false, 'the fsync waits for the clock');
  await clock.advanceTo(0);
  assert.is(state.synced, true);
  process.alive = false;
  machine.crash();
  assert.is((await machine.disk.stat('/f'))?.size, undefined, 'the name was never made durable');
});

test('machine disk: a crashed process never hears back; its pending fsync never lands', async () => {
  const clock = new ManualClock();
  const machine = new MachineDisk(new Prng(5), clock, 0);
  const process: FakeProcess = { id: 'n1', alive: true };
  const disk = machine.forProcess(process);
  const state = await writeThenSync(disk, [7, 7]);
  process.alive = false;
  machine.crash();
  await clock.advanceTo(10);
  assert.is(state.synced, false);
  let settled = false;
  void disk.stat('/f').finally(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(settled, false, 'calls of a dead process never settle');
});

function message(from: string, to: string, index: number): Message {
  return {
    groupId: 'g',
    type: 'append',
    from,
    to,
    term: 1,
    logTerm: 1,
    index,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}

test('network: a cut link drops, in one direction only; heal restores', () => {
  const network = new SimNetwork(new Prng(1));
  network.cutLink('a', 'b');
  assert.is(network.send(message('a', 'b', 1), 0), false);
  assert.is(network.send(message('b', 'a', 2), 0), true);
  network.heal();
  assert.is(network.send(message('a', 'b', 3), 0), true);
  assert.equal(
    network.takeDue(1).map((item) => item.message.index),
    [2, 3],
  );
});

test('network: without reordering a link is FIFO; with it, delays reorder messages', () => {
  const fifo = new SimNetwork(new Prng(2));
  fifo.faults = { dropProbability: 0, duplicateProbability: 0, delayTicksMax: 8, reorder: false };
  const reordering = new SimNetwork(new Prng(2));
  reordering.faults = {
    dropProbability: 0,
    duplicateProbability: 0,
    delayTicksMax: 8,
    reorder: true,
  };
  for (let index = 1; index <= 50; index++) {
    fifo.send(message('a', 'b', index), index);
    reordering.send(message('a', 'b', index), index);
  }
  const order = (network: SimNetwork): number[] =>
    network.takeDue(1000).map((item) => item.message.index);
  assert.equal(
    order(fifo),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  const shuffled = order(reordering);
  assert.is(shuffled.length, 50);
  assert.not.equal(
    shuffled,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
});

test('workload: the recorded history is what the checker needs; a late answer after a timeout changes nothing', () => {
  const workload = new Workload(new Prng(3), 1, 1, 5, 1);
  const [first] = workload.issue(0);
  assert.ok(first !== undefined);
  assert.equal(workload.expire(5), [first.requestId]);
  if (first.kind === 'get') workload.readAnswered(first.requestId, 'late', 6);
  else workload.writeApplied(first.requestId, true, 6);
  const [operation] = workload.operations();
  assert.is(operation?.outcome, 'unknown');
  assert.is(operation?.completedAt, undefined);
  assert.is(checkHistory(workload.operations()).ok, true);
});

test.run();
