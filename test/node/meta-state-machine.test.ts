// The meta state machine on a real LMDB state store: a conf change whose context is a
// meta command changes the Raft configuration and the member record in one entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeCommand,
  type MetaChange,
  type MetaCommand,
  members,
  readProgress,
} from '../../src/meta/index.js';
import { MetaStateMachine } from '../../src/node/meta-state-machine.js';
import { type ConfChange, encodeConfChange, type Entry } from '../../src/raft/index.js';
import { StateStore } from '../../src/storage/state-store.js';
import { bootstrapThree, member } from '../meta/helpers.js';
import { temporaryDirectory } from '../storage/helpers.js';

const normal = (index: number, command: MetaCommand): Entry => ({
  index,
  term: 1,
  type: 'normal',
  data: encodeCommand(command),
});
const confChange = (index: number, change: ConfChange): Entry => ({
  index,
  term: 1,
  type: 'confChange',
  data: encodeConfChange(change),
});

async function withMachine(
  action: (
    machine: MetaStateMachine,
    changes: { index: number; changes: readonly MetaChange[] }[],
  ) => Promise<void>,
): Promise<void> {
  const directory = temporaryDirectory('meta-state-machine');
  const store = StateStore.open(directory.path);
  const changes: { index: number; changes: readonly MetaChange[] }[] = [];
  const machine = new MetaStateMachine(store, {
    onChanges: (index, entryChanges) => changes.push({ index, changes: entryChanges }),
  });
  try {
    await machine.writeFoundingState({ voters: ['n1', 'n2', 'n3'], learners: [] });
    await machine.apply([normal(2, bootstrapThree)]);
    await action(machine, changes);
  } finally {
    await store.close();
    directory.remove();
  }
}

const n4 = member('n4', { zone: 'zone-b', weight: 2, role: 'learner' });

test('a join is one entry: the learner in the configuration and its member record', async () => {
  await withMachine(async (machine, changes) => {
    const context = encodeCommand({ type: 'addMember', ...n4 });
    const results = await machine.apply([
      confChange(3, { type: 'addLearner', nodeId: 'n4', context }),
    ]);
    assert.equal(results.get(3), { type: 'ok', version: 2 });
    assert.equal(machine.confState(), { voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    const recorded = members(machine.reader()).find((record) => record.id === 'n4');
    assert.equal(
      recorded && [recorded.peerAddress, recorded.zone, recorded.weight, recorded.role],
      [n4.peerAddress, 'zone-b', 2, 'learner'],
    );
    assert.is(readProgress(machine.reader()).revision, 2);
    assert.equal(
      changes.map((entry) => [entry.index, entry.changes.map((change) => change.key)]),
      [
        [2, ['c/identity', 'm/n1', 'm/n2', 'm/n3', 'r/0000000000000001', 'c/ring']],
        [3, ['r/0000000000000002', 'c/ring', 'm/n4']],
      ],
    );
    // Promotion and removal: one entry each, the role and the record follow the change.
    const promote = encodeCommand({ type: 'updateMember', id: 'n4', role: 'voter' });
    const remove = encodeCommand({ type: 'removeMember', id: 'n4' });
    await machine.apply([
      confChange(4, { type: 'promoteLearner', nodeId: 'n4', context: promote }),
    ]);
    assert.equal(machine.confState(), { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    assert.is(members(machine.reader()).find((record) => record.id === 'n4')?.role, 'voter');
    const removed = await machine.apply([
      confChange(5, { type: 'removeNode', nodeId: 'n4', context: remove }),
    ]);
    assert.equal(removed.get(5), { type: 'ok', version: 4 });
    assert.equal(machine.confState(), { voters: ['n1', 'n2', 'n3'], learners: [] });
    assert.not.ok(members(machine.reader()).some((record) => record.id === 'n4'));
  });
});

test('a conf change that does not fit the configuration changes neither it nor the members', async () => {
  await withMachine(async (machine) => {
    const context = encodeCommand({ type: 'addMember', ...member('n1', { role: 'learner' }) });
    const before = members(machine.reader());
    const results = await machine.apply([
      confChange(3, { type: 'addLearner', nodeId: 'n1', context }),
    ]);
    const result = results.get(3) as { type: string; message: string };
    assert.is(result.type, 'rejected');
    assert.match(result.message, /already a member/);
    assert.equal(machine.confState(), { voters: ['n1', 'n2', 'n3'], learners: [] });
    assert.equal(members(machine.reader()), before);
    assert.is(readProgress(machine.reader()).revision, 1);
  });
});

test('a leftover member record (a join half done before) is replaced by the join', async () => {
  await withMachine(async (machine) => {
    await machine.apply([normal(3, { type: 'addMember', ...member('n4', { role: 'learner' }) })]);
    const context = encodeCommand({ type: 'addMember', ...n4 });
    const results = await machine.apply([
      confChange(4, { type: 'addLearner', nodeId: 'n4', context }),
    ]);
    assert.is((results.get(4) as { type: string }).type, 'ok');
    assert.is(members(machine.reader()).find((record) => record.id === 'n4')?.weight, 2);
    assert.equal(machine.confState().learners, ['n4']);
  });
});

test('a context that cannot be decoded aborts the whole entry: the configuration is unchanged', async () => {
  await withMachine(async (machine) => {
    const context = new Uint8Array([1, 200, 7]);
    let failure: unknown;
    try {
      await machine.apply([confChange(3, { type: 'addLearner', nodeId: 'n4', context })]);
    } catch (error) {
      failure = error;
    }
    assert.is((failure as { code?: string }).code, 'CAIRN_ERR_CORRUPTION');
    assert.equal(machine.confState(), { voters: ['n1', 'n2', 'n3'], learners: [] });
  });
});

test.run();
