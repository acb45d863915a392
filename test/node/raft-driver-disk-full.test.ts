// A full disk stalls the node's loop instead of stopping it (issue 13): the WAL's
// write meets ENOSPC (simulated disk), the driver keeps the same Ready, reports itself
// stalled, answers nothing it has not persisted, and once space frees it goes on by
// itself: the proposal commits and applies, and onFatal is never called.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryLogStorage, RaftNode, type Entry } from '../../src/raft/index.js';
import { RaftDriver } from '../../src/node/raft-driver.js';
import { RaftLog } from '../../src/storage/raft-log.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { Prng } from '../../src/util/prng.js';
import { waitFor } from '../helpers/wait.js';

async function singleVoter(failApply: () => boolean) {
  const disk = new SimulatedDisk(new Prng(7));
  const opened = await RaftLog.open(disk, '/wal');
  opened.log.installSnapshot({ index: 1, term: 1 });
  opened.log.setHardState({ term: 1, vote: null, commit: 1 });
  await opened.log.sync();
  const memory = new MemoryLogStorage();
  memory.applySnapshot({
    metadata: { index: 1, term: 1, confState: { voters: ['n1'], learners: [] } },
    data: new Uint8Array(),
  });
  memory.setHardState({ term: 1, vote: null, commit: 1 });
  const raft = new RaftNode({
    id: 'n1',
    groupId: 'meta',
    electionTimeoutTicks: 10,
    heartbeatTicks: 1,
    prng: new Prng(1),
    storage: memory,
    appliedIndex: 1,
    maxSizePerMessageBytes: 1 << 20,
    inflightMessagesMax: 64,
    inflightBytesMax: 1 << 24,
    preVote: true,
    checkQuorum: true,
  });
  const applied: Entry[] = [];
  const fatal: unknown[] = [];
  const driver = new RaftDriver({
    raft,
    memory,
    durableLog: opened.log,
    stateMachine: {
      apply: async (entries) => {
        if (failApply()) throw Object.assign(new Error('MDB: No space left on device'), {});
        applied.push(...entries);
        return new Map(entries.map((entry) => [entry.index, `ok ${entry.index}`]));
      },
      installSnapshot: async () => undefined,
    },
    send: () => undefined,
    onFatal: (error) => {
      if (process.env['DEBUG_DRIVER']) console.error('FATAL', error);
      fatal.push(error);
    },
  });
  return { disk, raft, driver, applied, fatal };
}

async function elect(raft: RaftNode, driver: RaftDriver): Promise<void> {
  await waitFor(
    'a leader',
    () => {
      driver.tick();
      return raft.status().role === 'leader';
    },
    { timeoutMilliseconds: 5_000, intervalMilliseconds: 5 },
  );
}

test('ENOSPC in the WAL stalls the loop; space freed, the proposal commits', async () => {
  const node = await singleVoter(() => false);
  await elect(node.raft, node.driver);
  // The WAL rewrites preallocated segments, so a full disk shows as a failing write:
  // two in a row (the first attempt and the first retry a second later).
  node.disk.failNext('write', 'ENOSPC', '/wal');
  node.disk.failNext('write', 'ENOSPC', '/wal');
  let result: unknown;
  const proposal = node.driver.propose(new TextEncoder().encode('x')).then((value) => {
    result = value;
  });
  await waitFor('the loop to stall', () => node.driver.stalled !== undefined, {
    timeoutMilliseconds: 5_000,
    intervalMilliseconds: 5,
  });
  assert.match(node.driver.stalled?.error ?? '', /disk full/);
  assert.is(result, undefined, 'nothing answered before it is durable');
  assert.equal(node.fatal, [], 'a full disk is not fatal');
  node.driver.tick(); // inputs keep stepping the core while stalled
  // Space frees: the next retry goes through.
  await proposal;
  assert.match(String(result), /^ok /);
  assert.is(node.driver.stalled, undefined);
  assert.equal(node.fatal, []);
  node.driver.stop(new Error('end') as never);
});

test('a full disk in the apply (LMDB) stalls too, and the same entries apply later', async () => {
  let full = false;
  const node = await singleVoter(() => full);
  await elect(node.raft, node.driver);
  const before = node.applied.length;
  full = true;
  const proposal = node.driver.propose(new TextEncoder().encode('y'));
  await waitFor('the loop to stall', () => node.driver.stalled !== undefined, {
    timeoutMilliseconds: 5_000,
    intervalMilliseconds: 5,
  });
  assert.is(node.applied.length, before, 'nothing applied while full');
  full = false;
  assert.match(String(await proposal), /^ok /);
  const indexes = node.applied.map((entry) => entry.index);
  assert.is(new Set(indexes).size, indexes.length, 'every entry applied exactly once');
  assert.equal(node.fatal, []);
  node.driver.stop(new Error('end') as never);
});

test('any other storage error is still fatal', async () => {
  const node = await singleVoter(() => false);
  await elect(node.raft, node.driver);
  node.disk.failNext('datasync', 'EIO');
  node.driver.propose(new TextEncoder().encode('z')).catch(() => undefined);
  await waitFor('onFatal', () => node.fatal.length > 0, {
    timeoutMilliseconds: 5_000,
    intervalMilliseconds: 5,
  });
  assert.is(node.driver.stalled, undefined);
});

test.run();
