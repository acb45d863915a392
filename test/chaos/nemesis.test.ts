import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  faultKinds,
  parseFaultKinds,
  partitionCuts,
  planFaults,
  resolveTarget,
  type PlannedFault,
} from '../../src/chaos/nemesis.js';
import { parseDuration } from '../../src/chaos/duration.js';

const members = ['n1', 'n2', 'n3', 'n4', 'n5'];

test('the same seed gives the same schedule; another seed another one', () => {
  const options = { seed: 42, kinds: [...faultKinds], durationMilliseconds: 60_000 };
  assert.equal(planFaults(options), planFaults(options));
  assert.not.equal(planFaults(options), planFaults({ ...options, seed: 43 }));
  // The order of --faults does not change the schedule.
  assert.equal(planFaults(options), planFaults({ ...options, kinds: [...faultKinds].reverse() }));
});

test('a schedule fills the duration, uses only the enabled kinds, and holds pauses and partitions beyond the election timeout', () => {
  const plan = planFaults({
    seed: 7,
    kinds: ['pause', 'partition'],
    durationMilliseconds: 120_000,
  });
  const planned = plan.reduce(
    (sum, fault) => sum + fault.gapMilliseconds + fault.holdMilliseconds,
    0,
  );
  assert.ok(planned >= 120_000, `planned ${planned} ms`);
  assert.ok(plan.every((fault) => fault.kind === 'pause' || fault.kind === 'partition'));
  assert.ok(
    plan.some((fault) => fault.kind === 'pause') &&
      plan.some((fault) => fault.kind === 'partition'),
  );
  assert.ok(
    plan.every((fault) => fault.holdMilliseconds > 1_000),
    'longer than the 1 s election timeout',
  );
  assert.equal(planFaults({ seed: 7, kinds: [], durationMilliseconds: 120_000 }), []);
});

test('membership faults alternate join and remove, starting with a join', () => {
  const plan = planFaults({ seed: 3, kinds: ['membership'], durationMilliseconds: 30_000 });
  assert.ok(plan.length >= 4);
  plan.forEach((fault, index) =>
    assert.is(fault.membershipAction, index % 2 === 0 ? 'join' : 'remove'),
  );
});

function fault(overrides: Partial<PlannedFault>): PlannedFault {
  return {
    index: 0,
    kind: 'kill',
    gapMilliseconds: 0,
    holdMilliseconds: 0,
    targetLeader: false,
    choice: 0,
    partitionShape: 'isolate-node',
    linkMode: 'drop',
    membershipAction: 'join',
    diskFault: 'fill',
    ...overrides,
  };
}

test('resolveTarget: the leader when asked and known, else the choice among sorted members', () => {
  assert.is(resolveTarget(fault({ targetLeader: true, choice: 0 }), members, 'n4'), 'n4');
  assert.is(resolveTarget(fault({ targetLeader: true, choice: 1 }), members, null), 'n2');
  assert.is(
    resolveTarget(fault({ targetLeader: true, choice: 1 }), members, 'n9'),
    'n2',
    'a leader that is not a member is ignored',
  );
  assert.is(resolveTarget(fault({ choice: 7 }), ['n3', 'n1', 'n2'], 'n1'), 'n2');
});

function linkSet(cuts: readonly { from: string; to: string }[]): Set<string> {
  return new Set(cuts.map((cut) => `${cut.from}->${cut.to}`));
}

test('isolating the leader cuts every link to and from it, and no other', () => {
  const { cuts } = partitionCuts('isolate-leader', members, 'n3', 5);
  const links = linkSet(cuts);
  assert.is(links.size, 8);
  for (const other of ['n1', 'n2', 'n4', 'n5']) {
    assert.ok(links.has(`n3->${other}`) && links.has(`${other}->n3`));
  }
});

test('majority/minority splits 5 into 2 and 3 with no link across, both ways', () => {
  const { cuts } = partitionCuts('majority-minority', members, null, 1);
  const links = linkSet(cuts);
  assert.is(links.size, 2 * 3 * 2);
  assert.ok(
    links.has('n2->n1') && links.has('n1->n2') && links.has('n3->n5') && links.has('n5->n3'),
  );
  assert.not.ok(links.has('n2->n3'), 'n2 and n3 form the minority together');
});

test('one-way partitions cut one direction only', () => {
  const inbound = linkSet(partitionCuts('one-way-in', members, null, 0).cuts);
  assert.is(inbound.size, 4);
  assert.ok(inbound.has('n2->n1') && !inbound.has('n1->n2'));
  const outbound = linkSet(partitionCuts('one-way-out', members, null, 0).cuts);
  assert.ok(outbound.has('n1->n2') && !outbound.has('n2->n1'));
});

test('a bridge node keeps every link while the two halves lose theirs', () => {
  const { cuts } = partitionCuts('bridge', members, null, 2);
  const links = linkSet(cuts);
  assert.ok(
    [...links].every((link) => !link.includes('n3')),
    'n3 is the bridge',
  );
  assert.ok(links.has('n4->n1') && links.has('n1->n4') && links.has('n5->n2'));
  assert.not.ok(links.has('n4->n5'), 'n4 and n5 are on the same side');
});

test('parseFaultKinds and parseDuration accept what the help says and refuse the rest', () => {
  assert.equal(parseFaultKinds('kill,pause'), ['kill', 'pause']);
  assert.equal(parseFaultKinds('all'), [...faultKinds]);
  assert.equal(parseFaultKinds('none'), []);
  assert.throws(() => parseFaultKinds('kill,flood'), /unknown fault "flood"/);
  assert.is(parseDuration('60s'), 60_000);
  assert.is(parseDuration('2m'), 120_000);
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('30'), 30_000);
  assert.throws(() => parseDuration('soon'), /--duration/);
  assert.throws(() => parseDuration('0s'), /--duration/);
});

test.run();
