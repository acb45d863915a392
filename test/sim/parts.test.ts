// The simulator's parts must model faults faithfully, or the simulator proves
// nothing: a disk that kept unsynced writes, or a network that never reordered,
// would hide the bugs test/sim exists to find.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory } from '../../src/check/index.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { Entry, Message } from '../../src/raft/types.js';
import { Prng } from '../../src/util/prng.js';
import { SimDisk } from './disk.js';
import { decodeCommand, encodeCommand, KvStateMachine } from './kv.js';
import { SimNetwork } from './network.js';
import { Workload } from './workload.js';

const confState = { voters: ['n1'], learners: [] };

function entry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array([index]) };
}

test('disk: a crash loses unsynced entries and hard state, keeps synced ones', () => {
  const disk = new SimDisk(MemoryLogStorage.bootstrap(confState));
  disk.append([entry(2, 1), entry(3, 1)]);
  disk.setHardState({ term: 2, vote: 'n1', commit: 3 });
  disk.sync();
  disk.append([entry(4, 2)]);
  disk.setHardState({ term: 3, vote: 'n1', commit: 4 });
  assert.is(disk.live.lastIndex(), 4);
  disk.crash(0);
  assert.is(disk.live.lastIndex(), 3);
  assert.equal(disk.live.hardStateValue(), { term: 2, vote: 'n1', commit: 3 });
});

test('disk: a torn crash keeps a prefix of the unsynced writes, in order', () => {
  const disk = new SimDisk(MemoryLogStorage.bootstrap(confState));
  disk.append([entry(2, 1)]);
  disk.setHardState({ term: 2, vote: null, commit: 2 });
  disk.append([entry(3, 2)]);
  assert.is(disk.journalLength(), 3);
  disk.crash(2);
  assert.is(disk.live.lastIndex(), 2);
  assert.is(disk.live.hardStateValue().term, 2);
});

test('disk: a snapshot is durable at once and compacts both views', () => {
  const disk = new SimDisk(MemoryLogStorage.bootstrap(confState));
  disk.append([entry(2, 1), entry(3, 1), entry(4, 1)]);
  disk.setHardState({ term: 1, vote: null, commit: 4 });
  disk.snapshotAndCompact(4, confState, new Uint8Array([9]), 3);
  disk.crash(0);
  assert.is(disk.live.snapshot().metadata.index, 4);
  assert.is(disk.live.firstIndex(), 4);
  assert.is(disk.live.lastIndex(), 4);
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

test('kv: commands round-trip and cas compares the value', () => {
  const machine = new KvStateMachine();
  const put = decodeCommand(encodeCommand({ kind: 'put', requestId: 'r1', key: 'k', value: 'a' }));
  assert.ok(put !== null);
  machine.apply(put);
  assert.is(
    machine.apply({ kind: 'cas', requestId: 'r2', key: 'k', expected: 'b', value: 'c' }).success,
    false,
  );
  assert.is(
    machine.apply({ kind: 'cas', requestId: 'r3', key: 'k', expected: 'a', value: 'c' }).success,
    true,
  );
  assert.is(
    machine.apply({ kind: 'cas', requestId: 'r4', key: 'x', expected: null, value: 'new' }).success,
    true,
  );
  assert.is(KvStateMachine.restore(machine.serialize()).get('k'), 'c');
  assert.is(decodeCommand(new Uint8Array(0)), null);
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
