// Down members (issue 13): the leader marks a member down only after down-after of
// silence counted from the later of its last answer and the leader's election, marks it
// up when it answers again, and the mark commits a ring epoch that places around it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetaCommand } from '../../src/meta/commands.js';
import {
  applyCommand,
  currentRing,
  readDownMembers,
  readProgress,
  readRingState,
} from '../../src/meta/index.js';
import type { MemoryMetaStore } from '../../src/meta/store.js';
import { DownMemberTracker } from '../../src/node/down-members.js';
import { bootstrappedStore, member } from '../meta/helpers.js';

function fourMemberStore(): MemoryMetaStore {
  const store = bootstrappedStore();
  const add: MetaCommand = { type: 'addMember', ...member('n4', { zone: 'zone-d' }) };
  assert.is(applyCommand(add, readProgress(store).appliedIndex + 1, store).type, 'ok');
  const settle: MetaCommand = { type: 'settleEpoch', epoch: 2 };
  assert.is(applyCommand(settle, readProgress(store).appliedIndex + 1, store).type, 'ok');
  const quick: MetaCommand = { type: 'setClusterSettings', downAfterMilliseconds: 10_000 };
  assert.is(applyCommand(quick, readProgress(store).appliedIndex + 1, store).type, 'ok');
  return store;
}

function harness(store: MemoryMetaStore) {
  let clock = 1_000_000;
  const proposed: MetaCommand[] = [];
  const tracker = new DownMemberTracker(
    {
      nodeId: 'n1',
      isLeader: () => true,
      reader: () => store,
      propose: async (command) => {
        proposed.push(command);
        return applyCommand(command, readProgress(store).appliedIndex + 1, store);
      },
    },
    () => undefined,
    () => ({ monotonic: clock, wallClock: 1_700_000_000_000 + clock }),
  );
  return {
    tracker,
    proposed,
    advance: (milliseconds: number) => {
      clock += milliseconds;
    },
  };
}

test('silent past down-after: marked down once, a new ring leaves it out; back: marked up', async () => {
  const store = fourMemberStore();
  const { tracker, proposed, advance } = harness(store);
  await tracker.duty(); // becomes the reference point: the election
  for (const id of ['n2', 'n3', 'n4']) tracker.heard(id);
  advance(9_000);
  for (const id of ['n2', 'n3']) tracker.heard(id);
  await tracker.duty();
  assert.is(proposed.length, 0, 'n4 silent 9 s < 10 s: not down yet');
  advance(2_000);
  await tracker.duty();
  assert.equal(
    proposed.map((command) => command.type === 'setMemberDown' && [command.id, command.down]),
    [['n4', true]],
  );
  assert.equal(
    readDownMembers(store).map((down) => down.id),
    ['n4'],
  );
  const ringState = readRingState(store);
  assert.is(ringState?.currentEpoch, 3, 'a ring epoch routes around the down member');
  const placed = currentRing(store)?.members.find((entry) => entry.id === 'n4');
  assert.is(placed?.state, 'gone');
  await tracker.duty();
  assert.is(proposed.length, 1, 'marked once');
  // It answers again: up at the next duty, and the next ring places it again.
  for (const id of ['n2', 'n3']) tracker.heard(id);
  advance(500);
  tracker.heard('n4');
  // The down epoch must settle before another ring change.
  const settle: MetaCommand = { type: 'settleEpoch', epoch: 3 };
  assert.is(applyCommand(settle, readProgress(store).appliedIndex + 1, store).type, 'ok');
  await tracker.duty();
  assert.equal(readDownMembers(store), []);
  assert.is(currentRing(store)?.members.find((entry) => entry.id === 'n4')?.state, 'active');
});

test('a new leader gives every member a full down-after before marking it', async () => {
  const store = fourMemberStore();
  const { tracker, proposed, advance } = harness(store);
  advance(60_000); // never heard from anyone, but the leader was just elected
  await tracker.duty();
  advance(5_000);
  await tracker.duty();
  assert.is(proposed.length, 0);
  advance(6_000);
  await tracker.duty();
  assert.is(proposed.length, 1, 'after down-after counted from the election');
});

test('with fewer than R members left, the mark stands and the ring stays', () => {
  const store = bootstrappedStore(); // 3 members, R = 3
  const before = readRingState(store)?.currentEpoch;
  const command: MetaCommand = {
    type: 'setMemberDown',
    id: 'n3',
    down: true,
    lastHeardAtMilliseconds: 1,
  };
  assert.is(applyCommand(command, 2, store).type, 'ok');
  assert.equal(
    readDownMembers(store).map((down) => down.id),
    ['n3'],
  );
  assert.is(readRingState(store)?.currentEpoch, before, 'no valid ring without n3');
});

test('a member answering after a silence is reported back (a repair pass may owe it copies)', () => {
  let clock = 0;
  const returned: string[] = [];
  const tracker = new DownMemberTracker(
    {
      nodeId: 'n1',
      isLeader: () => true,
      reader: () => bootstrappedStore(),
      propose: async () => ({ type: 'ok', version: 1 }),
    },
    () => undefined,
    () => ({ monotonic: clock, wallClock: clock }),
    (id) => returned.push(id),
  );
  tracker.heard('n2');
  clock += 1_000;
  tracker.heard('n2');
  assert.equal(returned, [], 'heartbeats a second apart: not a return');
  clock += 6_000;
  tracker.heard('n2');
  assert.equal(returned, ['n2']);
});

test.run();
