// Scenario tests of leader election: PreVote, CheckQuorum, log up-to-dateness,
// removed members. Runs in well under a second.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Network, appliedTexts, bytes } from './network.js';

test('three nodes elect exactly one leader that every node follows', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 11 });
  const leader = network.electLeader();
  assert.equal(network.leaders(), [leader]);
  const term = network.node(leader).status().term;
  assert.ok(term >= 2, 'bootstrap term is 1, an election moves past it');
  network.tickAndSettle(3);
  for (const id of ['a', 'b', 'c']) {
    const status = network.node(id).status();
    assert.is(status.leaderId, leader, `${id} follows the leader`);
    assert.is(status.term, term);
    // The leader's empty entry of its term is committed and applied everywhere.
    assert.is(status.commit, 2);
    assert.is(network.member(id).appliedIndex, 2);
  }
});

test('a single-voter group elects itself and commits alone', () => {
  const network = new Network(['solo']);
  network.electLeader();
  network.node('solo').propose(bytes('x'));
  network.settle();
  assert.equal(appliedTexts(network.member('solo')), ['x']);
});

test('PreVote: a partitioned follower does not raise its term, and does not disrupt the leader when it rejoins', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 3 });
  network.campaign('a');
  const term = network.node('a').status().term;
  network.isolate('c');
  network.tickAndSettle(100);
  assert.is(network.node('c').status().term, term, 'pre-votes do not bump the term');
  assert.is(network.node('c').status().role, 'preCandidate');
  network.heal();
  network.tickAndSettle(20);
  assert.equal(network.leaders(), ['a']);
  assert.is(network.node('a').status().term, term);
  assert.is(network.node('c').status().leaderId, 'a');
});

test('without PreVote the same partition does disrupt the leader (the previous test can fail)', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 3, overrides: { preVote: false } });
  network.campaign('a');
  const term = network.node('a').status().term;
  network.isolate('c');
  network.tickAndSettle(100);
  assert.ok(network.node('c').status().term > term);
  network.heal();
  network.tickAndSettle(30);
  assert.ok(network.node('a').status().term > term, 'the old leader was pushed to a higher term');
});

test('leader lease: members hearing from a live leader ignore an up-to-date candidate', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 13 });
  network.campaign('a');
  network.tickAndSettle(2);
  const term = network.node('a').status().term;
  // c stops hearing from a (its log stays up to date: nothing new is proposed).
  network.isolate('c');
  network.tickAndSettle(25, ['c']);
  network.heal();
  // Only c ticks, so a and b keep a fresh lease while c's requests arrive.
  for (let i = 0; i < 40; i++) {
    network.tick(['c']);
    network.settle();
  }
  assert.equal(network.leaders(), ['a']);
  assert.is(network.node('a').status().term, term);
  assert.is(network.node('b').status().term, term);
});

test('CheckQuorum: a leader cut off from its quorum steps down within an election timeout', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 5 });
  network.campaign('a');
  network.isolate('a');
  let ticks = 0;
  while (network.node('a').status().role === 'leader' && ticks < 30) {
    network.tick(['a']);
    network.settle();
    ticks++;
  }
  assert.is(network.node('a').status().role, 'follower');
  assert.ok(ticks <= 2 * 10, `stepped down after ${ticks} ticks`);
  // The majority side elects a new leader.
  const leader = network.electLeader();
  assert.ok(leader === 'b' || leader === 'c');
});

test('a vote is refused to a candidate whose log is less up to date', () => {
  for (const preVote of [true, false]) {
    const network = new Network(['a', 'b', 'c'], {
      seed: 7,
      overrides: { preVote, checkQuorum: false },
    });
    network.campaign('a');
    network.isolate('c');
    network.node('a').propose(bytes('x'));
    network.settle();
    network.tickAndSettle(2, ['a', 'b']);
    network.crash('a');
    network.heal();
    // Only c ticks: it campaigns again and again; b must refuse it every time.
    for (let i = 0; i < 60; i++) {
      network.tick(['c']);
      network.settle();
    }
    assert.is.not(network.node('c').status().role, 'leader', `preVote ${preVote}`);
    assert.is.not(network.node('b').status().vote, 'c', `preVote ${preVote}`);
    // b, whose log holds x, can win with c's vote; x survives and reaches c.
    network.campaign('b');
    network.tickAndSettle(3);
    assert.equal(appliedTexts(network.member('c')), ['x'], `preVote ${preVote}`);
  }
});

test('a removed node that never learnt of its removal cannot disrupt the cluster', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 9 });
  network.campaign('a');
  network.isolate('c');
  network.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'c' });
  network.tickAndSettle(3, ['a', 'b']);
  assert.equal(network.node('a').status().confState.voters, ['a', 'b']);
  assert.equal(
    network.node('c').status().confState.voters,
    ['a', 'b', 'c'],
    'c missed its removal',
  );
  const term = network.node('a').status().term;
  network.heal();
  network.tickAndSettle(100);
  assert.equal(network.leaders(), ['a']);
  assert.is(network.node('a').status().term, term);
  assert.is(network.node('b').status().term, term);
  network.node('a').propose(bytes('after'));
  network.tickAndSettle(2);
  assert.equal(appliedTexts(network.member('b')), ['after']);
});

test('a removed node that applied its removal never campaigns', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 9 });
  network.campaign('a');
  network.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'c' });
  network.tickAndSettle(3);
  assert.equal(network.node('c').status().confState.voters, ['a', 'b']);
  network.isolate('c');
  network.tickAndSettle(60);
  assert.is(network.node('c').status().role, 'follower');
});

test('a voter that missed the commit of a removal learns it from the removed node refusing its vote (sim F3)', () => {
  const network = new Network(['a', 'b'], { seed: 5 });
  network.campaign('a');
  // a proposes b's removal; b stores it but a never hears the ack, so it stays uncommitted at a.
  network.filter = (message) => !(message.type === 'appendResponse' && message.from === 'b');
  network.node('a').proposeConfChange({ type: 'removeNode', nodeId: 'b' });
  network.settle();
  network.crash('a');
  network.restart('a');
  // b wins, then commits the removal with a's help, but a is never told the commit index,
  // and b's later entry never reaches a: b's log ends up longer than a's.
  const lastSharedIndex = network.node('a').status().lastIndex + 1; // b's empty entry of its term
  network.filter = (message) => !(message.type === 'append' && message.from === 'b');
  network.campaign('b');
  network.node('b').propose(bytes('never reaches a'));
  network.filter = () => true;
  network.rewrite = (message) => {
    if (message.from !== 'b' || message.to !== 'a') return message;
    return {
      ...message,
      commit: 0,
      entries: message.entries.filter((entry) => entry.index <= lastSharedIndex),
    };
  };
  network.tickAndSettle(3);
  assert.equal(network.node('b').status().confState.voters, ['a'], 'b applied its own removal');
  assert.ok(
    network.node('a').status().commit < lastSharedIndex,
    'a does not know the removal committed',
  );
  assert.ok(
    network.node('b').status().lastIndex > network.node('a').status().lastIndex,
    "b's log is longer",
  );
  // b crashes before handing leadership over, and comes back as a non-voter.
  network.crash('b');
  network.restart('b');
  network.rewrite = (message) => message;
  network.tickAndSettle(60);
  assert.equal(
    network.leaders(),
    ['a'],
    'a learnt the commit from b refusing its pre-vote, and leads alone',
  );
  assert.equal(network.node('a').status().confState.voters, ['a']);
  network.node('a').propose(bytes('after'));
  network.tickAndSettle(2);
  assert.ok(appliedTexts(network.member('a')).includes('after'));
});

test.run();
