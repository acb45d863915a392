// Scenario tests of log replication and commitment: Raft paper figure 8, partitioned
// leaders, snapshots for lagging followers, flow control, restarts, and the Ready
// durability contract. Runs in well under a second.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftNode } from '../../src/raft/raft.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { Message } from '../../src/raft/types.js';
import { Prng } from '../../src/util/prng.js';
import { Network, appliedTexts, bytes, groupId, text } from './network.js';

const five = ['s1', 's2', 's3', 's4', 's5'];

/**
 * Raft paper figure 8, up to (c): s1 (term 2) put x at index 3 on s2 only; s5 won term 3
 * without it and wrote its own index 3 nowhere else; s1 came back, won term 4 and copied
 * x to s3. Index 3 of term 2 is now on a majority (s1, s2, s3); s1's own term-4 entry is
 * held back. One entry per message makes the copying precise.
 */
function figure8(): Network {
  const network = new Network(five, {
    seed: 8,
    overrides: { checkQuorum: false, maxSizePerMessageBytes: 1 },
  });
  network.campaign('s1');
  assert.is(network.node('s1').status().term, 2);
  network.filter = (m) => !(m.type === 'append' && m.from === 's1' && m.to !== 's2');
  network.node('s1').propose(bytes('x'));
  network.settle();
  network.crash('s1');
  assert.is(network.member('s2').storage.term(3), 2);

  network.filter = (m) => !(m.from === 's5' && m.type === 'append');
  network.campaign('s5');
  assert.is(network.node('s5').status().term, 3);
  network.crash('s5');

  network.restart('s1');
  network.filter = () => true;
  // The network loses every term-4 entry (the entries before them still arrive).
  network.rewrite = (m) =>
    m.type === 'append' ? { ...m, entries: m.entries.filter((entry) => entry.term !== 4) } : m;
  network.campaign('s1');
  assert.is(network.node('s1').status().term, 4);
  network.tickAndSettle(3, ['s1']);
  for (const id of ['s1', 's2', 's3'])
    assert.is(network.member(id).storage.term(3), 2, `${id} holds x`);
  return network;
}

test('figure 8: an entry of an earlier term on a majority is not committed by counting', () => {
  const network = figure8();
  assert.is(network.node('s1').status().commit, 2, 'x at index 3 (term 2) is not committed');
  // Rightly so: s5 (last term 3) can still win and overwrite index 3 everywhere.
  network.crash('s1');
  network.restart('s5');
  network.rewrite = (m) => m;
  network.campaign('s5');
  network.tickAndSettle(3, ['s5']);
  for (const id of ['s2', 's3', 's4', 's5']) {
    assert.is(network.member(id).storage.term(3), 3, `${id} now holds s5's entry at 3`);
    assert.ok(network.member(id).appliedIndex >= 3);
    assert.equal(appliedTexts(network.member(id)), [], `${id} never applied x`);
  }
});

test('figure 8: the earlier-term entry commits together with an entry of the current term', () => {
  const network = figure8();
  network.rewrite = (m) => m;
  network.tickAndSettle(3, ['s1']);
  const status = network.node('s1').status();
  assert.is(status.commit, 4);
  for (const id of ['s1', 's2', 's3', 's4'])
    assert.equal(appliedTexts(network.member(id)), ['x'], id);
  // Now s5 can no longer win: a majority holds a term-4 entry.
  network.crash('s1');
  network.restart('s5');
  for (let i = 0; i < 60; i++) {
    network.tick(['s5']);
    network.settle();
  }
  assert.is.not(network.node('s5').status().role, 'leader');
});

test('a partitioned old leader can neither commit nor serve a ReadIndex', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 21 });
  network.campaign('a');
  network.tickAndSettle(2);
  const commitBefore = network.node('a').status().commit;
  network.isolate('a');
  const position = network.node('a').propose(bytes('lost'));
  network.node('a').readIndex(bytes('read-1'));
  network.tickAndSettle(5, ['a']);
  assert.is(
    network.node('a').status().role,
    'leader',
    'still believes it leads (within the election timeout)',
  );
  assert.is(network.node('a').status().commit, commitBefore);
  assert.equal(network.member('a').readStates, [], 'no read served without a quorum');
  // The majority moves on; when a rejoins its uncommitted entry is replaced.
  let leader: string | undefined;
  for (let i = 0; i < 100 && leader === undefined; i++) {
    network.tickAndSettle(1);
    leader = network.leaders().find((id) => id !== 'a');
  }
  assert.ok(leader === 'b' || leader === 'c');
  network.node(leader).propose(bytes('kept'));
  network.settle();
  network.heal();
  network.tickAndSettle(15);
  for (const id of ['a', 'b', 'c']) assert.equal(appliedTexts(network.member(id)), ['kept'], id);
  assert.is.not(
    network.member('a').storage.term(position.index),
    position.term,
    "a's uncommitted entry was overwritten",
  );
  assert.equal(network.member('a').readStates, []);
});

test('ReadIndex: the leader answers after a heartbeat quorum; a follower forwards; a single voter answers at once', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 22 });
  network.campaign('a');
  network.node('a').propose(bytes('v1'));
  network.settle();
  const commit = network.node('a').status().commit;
  network.node('a').readIndex(bytes('leader-read'));
  assert.equal(network.member('a').readStates, [], 'not before the heartbeat round');
  network.settle();
  assert.equal(
    network.member('a').readStates.map((r) => [r.index, text(r.requestContext)]),
    [[commit, 'leader-read']],
  );
  network.node('b').readIndex(bytes('follower-read'));
  network.settle();
  assert.equal(
    network.member('b').readStates.map((r) => [r.index, text(r.requestContext)]),
    [[commit, 'follower-read']],
  );

  const solo = new Network(['solo']);
  solo.electLeader();
  solo.node('solo').readIndex(bytes('r'));
  solo.processAll();
  assert.is(solo.member('solo').readStates.length, 1);
});

test('ReadIndex waits until the new leader has committed an entry of its term', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 23 });
  network.filter = (m) => m.type !== 'appendResponse';
  network.campaign('a');
  network.node('a').readIndex(bytes('early'));
  network.tickAndSettle(3, ['a']);
  assert.equal(network.member('a').readStates, []);
  network.filter = () => true;
  network.tickAndSettle(2, ['a']);
  const states = network.member('a').readStates;
  assert.is(states.length, 1);
  assert.ok((states[0]?.index ?? 0) >= 2, 'the read index includes the new term entry');
});

test('a follower behind the first index catches up through InstallSnapshot', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 31 });
  network.campaign('a');
  network.isolate('c');
  for (let i = 0; i < 20; i++) network.node('a').propose(bytes(`v${i}`));
  network.tickAndSettle(2, ['a', 'b']);
  for (const id of ['a', 'b']) {
    const member = network.member(id);
    member.storage.createSnapshot(
      member.appliedIndex,
      network.node(id).status().confState,
      bytes(`state@${member.appliedIndex}`),
    );
    member.storage.compact(member.appliedIndex);
  }
  const snapshotIndex = network.member('a').storage.snapshot().metadata.index;
  assert.ok(snapshotIndex >= 22);
  const snapshots: Message[] = [];
  network.filter = (m) => {
    if (m.type === 'snapshot') snapshots.push(m);
    return true;
  };
  network.node('a').propose(bytes('after-snapshot'));
  network.heal();
  network.tickAndSettle(5);
  assert.is(snapshots.length, 1);
  assert.is(text(network.member('c').storage.snapshot().data), `state@${snapshotIndex}`);
  assert.is(network.node('c').status().commit, network.node('a').status().commit);
  assert.is(network.member('c').appliedIndex, network.member('a').appliedIndex);
  assert.equal(
    appliedTexts(network.member('c')),
    ['after-snapshot'],
    'entries after the snapshot are replicated',
  );
  assert.is(network.node('a').status().progress.c?.state, 'replicate');
});

test('a lost snapshot is sent again after two election timeouts of heartbeats, without reportSnapshot', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 32 });
  network.campaign('a');
  network.isolate('c');
  for (let i = 0; i < 5; i++) network.node('a').propose(bytes(`v${i}`));
  network.tickAndSettle(2, ['a', 'b']);
  const member = network.member('a');
  member.storage.createSnapshot(
    member.appliedIndex,
    network.node('a').status().confState,
    bytes('state'),
  );
  member.storage.compact(member.appliedIndex);
  let snapshotsSent = 0;
  network.filter = (m) => (m.type === 'snapshot' ? ++snapshotsSent > 1 : true);
  network.heal();
  network.tickAndSettle(10, ['a']);
  assert.is(snapshotsSent, 1);
  assert.is(network.node('a').status().progress.c?.state, 'snapshot');
  network.tickAndSettle(15, ['a']);
  assert.is(snapshotsSent, 2, 'sent again after 20 heartbeat responses');
  assert.is(network.node('c').status().commit, network.node('a').status().commit);
  assert.is(network.node('a').status().progress.c?.state, 'replicate');
});

test('flow control: a follower in probe state gets one append per heartbeat', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 41 });
  network.campaign('a');
  network.node('a').reportUnreachable('c');
  let appendsToC = 0;
  network.filter = (m) => {
    if (m.type === 'append' && m.to === 'c') {
      appendsToC++;
      return false;
    }
    return true;
  };
  for (let i = 0; i < 10; i++) network.node('a').propose(bytes(`p${i}`));
  network.settle();
  assert.is(network.node('a').status().progress.c?.state, 'probe');
  assert.is(appendsToC, 1, 'ten proposals, one probe');
  for (let tick = 1; tick <= 5; tick++) {
    network.tickAndSettle(1, ['a']);
    assert.is(appendsToC, 1 + tick, `after heartbeat ${tick}`);
  }
  network.filter = () => true;
  network.tickAndSettle(2, ['a']);
  assert.equal(appliedTexts(network.member('c')).length, 10);
});

test('flow control: a full inflight window (by count, then by bytes) pauses sending', () => {
  // One 100-byte entry (116 bytes with its header) per message.
  const oneEntryPerMessage = { maxSizePerMessageBytes: 116 };
  for (const overrides of [
    { ...oneEntryPerMessage, inflightMessagesMax: 2 },
    { ...oneEntryPerMessage, inflightBytesMax: 2 * 116 },
  ]) {
    const network = new Network(['a', 'b', 'c'], { seed: 42, overrides });
    network.campaign('a');
    network.tickAndSettle(1);
    let appendsToC = 0;
    network.filter = (m) => {
      if (m.type === 'append' && m.to === 'c' && m.entries.length > 0) appendsToC++;
      return !(m.type === 'appendResponse' && m.from === 'c');
    };
    for (let i = 0; i < 6; i++) network.node('a').propose(new Uint8Array(100));
    network.settle();
    const progress = network.node('a').status().progress.c;
    assert.is(progress?.state, 'replicate', JSON.stringify(overrides));
    assert.is(appendsToC, 2, JSON.stringify(overrides));
    assert.is(progress?.inflightMessages, 2);
    // A heartbeat response frees one slot (acks may have been lost): exactly one more append.
    network.tickAndSettle(1, ['a']);
    assert.is(appendsToC, 3, JSON.stringify(overrides));
    network.filter = () => true;
    network.tickAndSettle(3, ['a']);
    assert.is(network.node('c').status().commit, network.node('a').status().commit);
  }
});

test('proposals of one driver iteration travel in one append per follower', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 43 });
  network.campaign('a');
  network.tickAndSettle(1);
  const appends: Message[] = [];
  network.filter = (m) => {
    if (m.type === 'append' && m.entries.length > 0) appends.push(m);
    return true;
  };
  for (let i = 0; i < 50; i++) network.node('a').propose(bytes(`p${i}`));
  network.settle();
  assert.equal(
    appends.map((m) => [m.to, m.entries.length]),
    [
      ['b', 50],
      ['c', 50],
    ],
  );
  assert.is(appliedTexts(network.member('b')).length, 50);
});

test('every message carries the group id; a message of another group is refused', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 51 });
  const seen: Message[] = [];
  network.filter = (m) => {
    seen.push(m);
    return true;
  };
  network.electLeader();
  network.node(network.leaders()[0] ?? 'a').propose(bytes('x'));
  network.tickAndSettle(3);
  assert.ok(seen.length > 10);
  assert.ok(seen.every((m) => m.groupId === groupId));
  const heartbeat = seen.find((m) => m.type === 'heartbeat');
  assert.ok(heartbeat !== undefined);
  assert.throws(() => network.node(heartbeat.to).step({ ...heartbeat, groupId: 'other' }), /group/);
});

test('restart from MemoryLogStorage recovers term, vote, log and configuration', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 61 });
  network.campaign('a');
  network.node('a').proposeConfChange({ type: 'addLearner', nodeId: 'd' });
  network.settle();
  for (let i = 0; i < 5; i++) network.node('a').propose(bytes(`v${i}`));
  network.tickAndSettle(2);
  const before = network.node('b').status();
  network.restart('b');
  const after = network.node('b').status();
  assert.is(after.term, before.term);
  assert.is(after.vote, before.vote);
  assert.is(after.lastIndex, before.lastIndex);
  assert.is(after.commit, before.commit);
  assert.is(after.applied, before.applied);
  assert.equal(
    after.confState,
    { voters: ['a', 'b', 'c'], learners: ['d'] },
    'conf changes after the snapshot are replayed',
  );
  // The whole group restarts and carries on without re-applying anything.
  for (const id of ['a', 'b', 'c']) network.restart(id);
  const leader = network.electLeader();
  network.node(leader).propose(bytes('after-restart'));
  network.tickAndSettle(2);
  for (const id of ['a', 'b', 'c'])
    assert.equal(
      appliedTexts(network.member(id)),
      ['v0', 'v1', 'v2', 'v3', 'v4', 'after-restart'],
      id,
    );
});

function freshNode(id: string, storage: MemoryLogStorage): RaftNode {
  return new RaftNode({
    id,
    groupId,
    electionTimeoutTicks: 10,
    heartbeatTicks: 1,
    prng: new Prng(1),
    storage,
    appliedIndex: 0,
    maxSizePerMessageBytes: 1 << 20,
    inflightMessagesMax: 16,
    inflightBytesMax: 1 << 20,
    preVote: true,
    checkQuorum: true,
  });
}

function message(
  fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>,
): Message {
  return {
    groupId,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

test('a vote grant leaves in the same Ready as the hard state recording it', () => {
  const node = freshNode(
    'b',
    MemoryLogStorage.bootstrap({ voters: ['a', 'b', 'c'], learners: [] }),
  );
  node.step(message({ type: 'vote', from: 'a', to: 'b', term: 2, index: 1, logTerm: 1 }));
  assert.ok(node.hasReady());
  const ready = node.ready();
  assert.equal(ready.hardState, { term: 2, vote: 'a', commit: 1 });
  assert.ok(ready.mustSync);
  assert.equal(
    ready.messages.map((m) => [m.type, m.reject, m.term]),
    [['voteResponse', false, 2]],
  );
  assert.throws(() => node.ready(), /advance/);
  node.advance(ready);
  assert.not.ok(node.hasReady());
});

test('an append acknowledgement leaves in the same Ready as the entries it acknowledges', () => {
  const node = freshNode(
    'b',
    MemoryLogStorage.bootstrap({ voters: ['a', 'b', 'c'], learners: [] }),
  );
  const entries = [
    { term: 2, index: 2, type: 'normal' as const, data: bytes('x') },
    { term: 2, index: 3, type: 'normal' as const, data: bytes('y') },
  ];
  node.step(
    message({
      type: 'append',
      from: 'a',
      to: 'b',
      term: 2,
      index: 1,
      logTerm: 1,
      entries,
      commit: 2,
    }),
  );
  const ready = node.ready();
  assert.equal(
    ready.entries.map((e) => e.index),
    [2, 3],
  );
  assert.ok(ready.mustSync);
  assert.equal(
    ready.messages.map((m) => [m.type, m.index]),
    [['appendResponse', 3]],
  );
  assert.equal(
    ready.committedEntries.map((e) => e.index),
    [2],
    'committed entries are persisted by this same Ready first',
  );
  node.advance(ready);
});

test('a leader counts its own entry only after it is persisted', () => {
  const storage = MemoryLogStorage.bootstrap({ voters: ['solo'], learners: [] });
  const node = freshNode('solo', storage);
  for (let i = 0; i < 30 && node.status().role !== 'leader'; i++) node.tick();
  assert.is(node.status().role, 'leader');
  const first = node.ready();
  assert.equal(
    first.entries.map((e) => e.index),
    [2],
  );
  assert.equal(first.committedEntries, [], 'not committed before it is on disk');
  storage.append(first.entries);
  if (first.hardState) storage.setHardState(first.hardState);
  node.advance(first);
  const second = node.ready();
  assert.equal(
    second.committedEntries.map((e) => e.index),
    [2],
  );
  assert.is(second.hardState?.commit, 2);
  assert.not.ok(second.mustSync, 'a commit index change alone needs no sync');
});

test('proposals: not on a follower, not above raftEntryBytesMax', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 71 });
  network.campaign('a');
  assert.throws(
    () => network.node('b').propose(bytes('x')),
    (error: unknown) =>
      (error as { code?: string; details?: { leaderId?: string } }).code ===
        'CAIRN_ERR_NOT_LEADER' &&
      (error as { details: { leaderId: string } }).details.leaderId === 'a',
  );
  assert.throws(
    () => network.node('a').propose(new Uint8Array(1024 * 1024 + 1)),
    (error: unknown) => (error as { code?: string }).code === 'CAIRN_ERR_LIMIT_EXCEEDED',
  );
  const fresh = new Network(['x', 'y', 'z']);
  assert.throws(
    () => fresh.node('x').readIndex(bytes('r')),
    (error: unknown) => (error as { code?: string }).code === 'CAIRN_ERR_NOT_LEADER',
  );
});

test('the leader bounds its uncommitted entries', () => {
  const network = new Network(['a', 'b', 'c'], { seed: 72 });
  network.campaign('a');
  network.isolate('a');
  let accepted = 0;
  let error: unknown;
  for (let i = 0; i < 5000 && error === undefined; i++) {
    try {
      network.node('a').propose(new Uint8Array(1));
      accepted++;
    } catch (caught) {
      error = caught;
    }
  }
  assert.is((error as { code?: string }).code, 'CAIRN_ERR_LIMIT_EXCEEDED');
  assert.is(accepted, 4096);
  assert.is(network.node('a').status().lastIndex - network.node('a').status().commit, 4096);
});

test.run();
