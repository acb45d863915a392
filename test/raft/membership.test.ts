// Scenario tests of membership changes (learners, promotion, removal, one change at a
// time) and leader transfer. Runs in well under a second.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeConfChange, encodeConfChange } from '../../src/raft/conf-change.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import { Network, appliedTexts, bytes, text } from './network.js';

/** A CairnError's code, or a RaftError's reason (the core's own refusals). */
function code(error: unknown): string | undefined {
  const fields = error as { code?: string; reason?: string };
  return fields.code ?? fields.reason;
}

function throwsCode(run: () => unknown, expected: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.is(code(caught), expected);
}

test('a new node joins as a learner from empty storage, catches up, then is promoted to voter', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 101 });
  network.campaign('a');
  network.node('a').propose(bytes('before-join'));
  network.settle();
  network.addMember('d', new MemoryLogStorage());
  assert.equal(network.node('d').status().confState, { voters: [], learners: [] });
  network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'd' });
  network.tickAndSettle(3);
  const learnerStatus = network.node('d').status();
  assert.equal(learnerStatus.confState, { voters: ['a', 'b', 'c'], learners: ['d'] });
  assert.is(learnerStatus.commit, network.node('a').status().commit);
  assert.ok(
    network.member('d').storage.snapshot().metadata.index >= 1,
    'the bootstrap snapshot taught d the configuration',
  );
  assert.equal(appliedTexts(network.member('d')), ['before-join']);
  assert.is(network.node('a').status().progress.d?.isLearner, true);

  network.node('a').proposeConfChange({ type: 'promoteLearner', nodeId: 'd' });
  network.tickAndSettle(3);
  for (const id of ['a', 'b', 'c', 'd']) {
    assert.equal(
      network.node(id).status().confState,
      { voters: ['a', 'b', 'c', 'd'], learners: [] },
      id,
    );
  }
  assert.is(network.node('a').status().progress.d?.isLearner, false);
  // d now counts: with b and c cut off, a and d are 2 of 4, not a majority.
  network.isolate('b');
  network.isolate('c');
  const commit = network.node('a').status().commit;
  network.node('a').propose(bytes('no-quorum'));
  network.tickAndSettle(3, ['a', 'd']);
  assert.is(network.node('a').status().commit, commit);
});

test('a conf change carries an opaque context in its one entry, to every member', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 7 });
  network.campaign('a');
  network.settle();
  network.addMember('d', new MemoryLogStorage());
  const context = bytes('member d: 127.0.0.4, zone-b, weight 2');
  network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'd', context });
  network.tickAndSettle(3);
  for (const id of ['a', 'b', 'c']) {
    const entries = network.member(id).applied.filter((entry) => entry.type === 'confChange');
    assert.is(entries.length, 1, id);
    const change = decodeConfChange((entries[0] as { data: Uint8Array }).data);
    assert.equal(change.type, 'addLearner');
    assert.is(text(change.context ?? new Uint8Array(0)), text(context), id);
    assert.equal(network.node(id).status().confState.learners, ['d'], id);
  }
});

test('conf change encoding: round trip with and without context; older JSON entries still decode', () => {
  const plain = { type: 'removeNode', nodeId: 'n-é' } as const;
  assert.equal(decodeConfChange(encodeConfChange(plain)), plain);
  const withContext = { type: 'promoteLearner', nodeId: 'n2', context: bytes('x') } as const;
  assert.equal(decodeConfChange(encodeConfChange(withContext)), withContext);
  const legacy = bytes(JSON.stringify({ type: 'addLearner', nodeId: 'n9' }));
  assert.equal(decodeConfChange(legacy), { type: 'addLearner', nodeId: 'n9' });
  const truncated = encodeConfChange(withContext).subarray(0, 8);
  assert.throws(() => decodeConfChange(truncated));
});

test('a learner far behind the commit index is not promoted until it catches up', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 111, learners: ['d'] });
  network.campaign('a');
  network.isolate('d');
  for (let i = 0; i < 300; i++) network.node('a').propose(bytes(`v${i}`));
  network.tickAndSettle(2, ['a', 'b', 'c']);
  throwsCode(
    () => network.node('a').proposeConfChange({ type: 'promoteLearner', nodeId: 'd' }),
    'CAIRN_ERR_UNAVAILABLE',
  );
  network.heal();
  network.tickAndSettle(3);
  network.node('a').proposeConfChange({ type: 'promoteLearner', nodeId: 'd' });
  network.settle();
  assert.equal(network.node('d').status().confState.voters, ['a', 'b', 'c', 'd']);
});

test('a learner neither counts toward the quorum nor campaigns', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 102, learners: ['d'] });
  network.campaign('a');
  network.node('a').propose(bytes('x'));
  network.tickAndSettle(2);
  assert.equal(appliedTexts(network.member('d')), ['x'], 'learners receive the log');
  network.isolate('b');
  network.isolate('c');
  const commit = network.node('a').status().commit;
  network.node('a').propose(bytes('y'));
  network.tickAndSettle(3, ['a', 'd']);
  assert.is(
    network.node('a').status().commit,
    commit,
    "the learner's acknowledgement does not commit",
  );
  network.heal();
  const term = network.node('d').status().term;
  network.isolate('d');
  network.tickAndSettle(60, ['d']);
  assert.is(network.node('d').status().role, 'follower');
  assert.is(network.node('d').status().term, term);
});

test('one membership change at a time: a second is rejected while the first is not applied', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 103 });
  network.campaign('a');
  network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'd' });
  throwsCode(
    () => network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'e' }),
    'CAIRN_ERR_CONFLICT',
  );
  network.settle();
  network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'e' });
  network.settle();
  assert.equal(network.node('b').status().confState.learners, ['d', 'e']);
});

test('a new leader accepts no membership change before it committed and applied an entry of its term', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 104 });
  network.filter = (m) => m.type !== 'appendResponse';
  network.campaign('a');
  throwsCode(
    () => network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'd' }),
    'CAIRN_ERR_CONFLICT',
  );
  network.filter = () => true;
  network.tickAndSettle(2, ['a']);
  network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'd' });
});

test('membership changes that do not fit the configuration are rejected', () => {
  const network = new Network(['a'], { seed: 105, learners: ['l'] });
  network.electLeader();
  const table: [string, 'addLearner' | 'promoteLearner' | 'removeNode', string][] = [
    ['remove the last voter', 'removeNode', 'a'],
    ['promote a voter', 'promoteLearner', 'a'],
    ['promote a stranger', 'promoteLearner', 'x'],
    ['add a member twice', 'addLearner', 'l'],
    ['remove a stranger', 'removeNode', 'x'],
  ];
  for (const [what, type, nodeId] of table) {
    let caught: unknown;
    try {
      network.node('a').proposeConfChange({ type, nodeId });
    } catch (error) {
      caught = error;
    }
    assert.is(code(caught), 'conf-change-invalid', what);
  }
});

test('a leader refuses to remove itself; after a transfer the new leader removes it and the others carry on', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 106 });
  network.campaign('a');
  let caught: unknown;
  try {
    network.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'a' });
  } catch (error) {
    caught = error;
  }
  assert.is(code(caught), 'removes-leader', 'self-removal is refused (FINDINGS.md F3)');
  network.node('a').transferLeader('b');
  network.settle();
  for (let i = 0; i < 20 && !network.leaders().includes('b'); i++) network.tickAndSettle(1);
  assert.equal(network.leaders(), ['b']);
  for (
    let i = 0;
    i < 20 && network.node('b').status().lastIndex > network.node('b').status().applied;
    i++
  )
    network.tickAndSettle(1);
  network.node('b').proposeConfChange({ type: 'removeNode', nodeId: 'a' });
  network.tickAndSettle(2);
  assert.equal(network.node('b').status().confState.voters, ['b', 'c']);
  network.node('b').propose(bytes('without-a'));
  network.tickAndSettle(2);
  assert.equal(appliedTexts(network.member('c')), ['without-a']);
});

test('leader transfer: the target catches up, gets TimeoutNow and wins at once; proposals are refused meanwhile', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 107 });
  network.campaign('a');
  network.isolate('b');
  for (let i = 0; i < 5; i++) network.node('a').propose(bytes(`v${i}`));
  network.tickAndSettle(2, ['a', 'c']);
  network.heal();
  const term = network.node('a').status().term;
  const timeoutNows: string[] = [];
  network.filter = (m) => {
    if (m.type === 'timeoutNow') timeoutNows.push(m.to);
    return true;
  };
  network.node('a').transferLeader('b');
  assert.is(network.node('a').status().leadTransferee, 'b');
  throwsCode(() => network.node('a').propose(bytes('during')), 'CAIRN_ERR_PROPOSAL_DROPPED');
  network.settle();
  assert.equal(timeoutNows, ['b']);
  assert.equal(network.leaders(), ['b']);
  assert.is(network.node('b').status().term, term + 1);
  network.node('b').propose(bytes('after'));
  network.tickAndSettle(2);
  assert.equal(appliedTexts(network.member('a')), ['v0', 'v1', 'v2', 'v3', 'v4', 'after']);
});

test('leader transfer: a follower forwards the request to the leader', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 108 });
  network.campaign('a');
  network.tickAndSettle(1);
  network.node('c').transferLeader('b');
  network.settle();
  assert.equal(network.leaders(), ['b']);
});

test('leader transfer is abandoned after an election timeout when the target is unreachable', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 109 });
  network.campaign('a');
  network.isolate('b');
  network.node('a').transferLeader('b');
  network.settle();
  assert.is(network.node('a').status().leadTransferee, 'b');
  let ticks = 0;
  while (network.node('a').status().leadTransferee !== null && ticks < 50) {
    network.tickAndSettle(1, ['a', 'c']);
    ticks++;
  }
  assert.is(network.node('a').status().leadTransferee, null);
  assert.ok(ticks <= 10, `abandoned after ${ticks} ticks`);
  assert.equal(network.leaders(), ['a']);
  network.node('a').propose(bytes('accepted-again'));
  network.tickAndSettle(1, ['a', 'c']);
  assert.equal(appliedTexts(network.member('c')), ['accepted-again']);
  throwsCode(() => network.node('a').transferLeader('nobody'), 'transferee-not-voter');
});

test.run();
