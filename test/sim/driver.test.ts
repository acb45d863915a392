// Two RaftDriver bugs the simulator found (FINDINGS.md, D1 and D2), as direct tests:
// each fails on the driver as it was before its fix.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AppliedStateMachine,
  type DriverScheduler,
  RaftDriver,
} from '../../src/node/raft-driver.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { RaftNode } from '../../src/raft/raft.js';
import { RaftLog } from '../../src/storage/raft-log.js';
import { SimulatedDisk } from '../../src/storage/simulated-disk.js';
import { CairnError, isCairnError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';

/** Runs deferred work at once: nothing here has a Ready, so nothing loops. */
const immediate: DriverScheduler = {
  defer: (task) => task(),
  now: () => 0,
  sleep: async () => undefined,
};

const noStateMachine: AppliedStateMachine = {
  apply: async () => new Map(),
  installSnapshot: async () => undefined,
};

/** A core that accepts proposals at the positions given, and never has a Ready. */
function scriptedCore(positions: { index: number; term: number }[]): RaftNode {
  const core = {
    status: () => ({ applied: 0 }),
    propose: () => positions.shift(),
    hasReady: () => false,
  };
  return core as unknown as RaftNode;
}

function driverWith(raft: RaftNode, memory: MemoryLogStorage, log: RaftLog): RaftDriver {
  return new RaftDriver({
    raft,
    memory,
    durableLog: log,
    stateMachine: noStateMachine,
    send: () => undefined,
    onFatal: (error) => {
      throw error;
    },
    scheduler: immediate,
  });
}

test('D1: a proposal at an index its earlier, overwritten proposal still waits on drops that one', async () => {
  // Leader in term 2 proposes at 13; the entry is overwritten; leader again in term 4,
  // it proposes at 13 before anything applied 13 here. This used to assert.
  const raft = scriptedCore([
    { index: 13, term: 2 },
    { index: 13, term: 4 },
  ]);
  const { log } = await RaftLog.open(new SimulatedDisk(new Prng(1)), '/wal');
  const driver = driverWith(raft, new MemoryLogStorage(), log);
  const first = driver.propose(new Uint8Array([1]));
  const second = driver.propose(new Uint8Array([2]));
  const outcome = await first.then(
    () => 'resolved',
    (error: unknown) => (isCairnError(error) ? error.code : String(error)),
  );
  assert.is(outcome, 'CAIRN_ERR_PROPOSAL_DROPPED');
  driver.stop(new CairnError('CAIRN_ERR_UNAVAILABLE', 'the test ends'));
  await second.catch(() => undefined);
});

test('D2: a state store ahead of the durable log (crash during a snapshot install) is reconciled', async () => {
  // The state store installed a leader's snapshot at 7; the log's snapshot record was
  // not synced before the crash, so the WAL ends at 0. The next append used to assert.
  const memory = new MemoryLogStorage();
  memory.applySnapshot({
    metadata: { index: 7, term: 3, confState: { voters: ['n1'], learners: [] } },
    data: new Uint8Array(0),
  });
  const disk = new SimulatedDisk(new Prng(2));
  const { log } = await RaftLog.open(disk, '/wal');
  assert.is(log.lastIndex(), 0);
  driverWith(scriptedCore([]), memory, log);
  assert.is(log.lastIndex(), 7);
  log.append([{ index: 8, term: 3, type: 'normal', data: new Uint8Array([8]) }]);
  await log.sync();
  await log.close();
  const reopened = await RaftLog.open(disk, '/wal');
  assert.equal(reopened.replayed.snapshot, { index: 7, term: 3 });
  assert.equal(
    reopened.replayed.entries.map((entry) => entry.index),
    [8],
  );
});

test.run();
