import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHistory, type Operation } from '../../src/check/index.js';
import { measureAvailability } from '../../src/chaos/availability.js';
import type { FaultRecord } from '../../src/chaos/history.js';
import { buildVerdict, renderVerdict, type VerdictInput } from '../../src/chaos/verdict.js';

const settings = {
  seed: 9,
  nodes: 5,
  durationMilliseconds: 60_000,
  faults: ['kill', 'partition'],
  workload: 'mixed',
  injectBug: undefined,
};
const faults: FaultRecord[] = [
  { index: 0, kind: 'kill', description: 'SIGKILL n1', startedAt: 1, healedAt: 2 },
  { index: 1, kind: 'partition', description: 'n1 | n2 n3', startedAt: 3, healedAt: 4 },
  { index: 2, kind: 'kill', description: 'SIGKILL n2', startedAt: 5, healedAt: 6 },
  {
    index: 3,
    kind: 'membership',
    description: 'skipped',
    startedAt: 7,
    healedAt: 7,
    skipped: true,
  },
];

function input(overrides: Partial<VerdictInput>): VerdictInput {
  return {
    settings,
    elapsedMilliseconds: 61_000,
    counts: { ok: 10, failed: 2, unknown: 1 },
    faults,
    registerCheck: { ok: true, keysChecked: 1, statesExplored: 3 },
    objectProblems: [],
    recoveryProblem: '',
    availability: measureAvailability([], []),
    notes: [],
    runDirectory: null,
    ...overrides,
  };
}

test('a clean run passes and counts faults by kind, skipped ones apart', () => {
  const verdict = buildVerdict(input({}));
  assert.ok(verdict.ok);
  assert.equal(verdict.faultsInjected, { kill: 2, partition: 1 });
  assert.is(verdict.faultsSkipped, 1);
  assert.is(
    verdict.replayCommand,
    'cairn chaos --seed 9 --nodes 5 --duration 60s --faults kill,partition --workload mixed',
  );
  assert.match(renderVerdict(verdict), /^PASS {2}seed 9/);
});

test('a stale read fails the run and the text shows the failing sub-history and the seed', () => {
  const history: Operation[] = [
    {
      clientId: 0,
      kind: 'put',
      key: 'k',
      input: { value: 'a' },
      invokedAt: 0,
      completedAt: 1,
      outcome: 'ok',
    },
    {
      clientId: 0,
      kind: 'put',
      key: 'k',
      input: { value: 'b' },
      invokedAt: 2,
      completedAt: 3,
      outcome: 'ok',
    },
    {
      clientId: 1,
      kind: 'get',
      key: 'k',
      input: {},
      invokedAt: 4,
      completedAt: 5,
      outcome: 'ok',
      output: { value: 'a' },
    },
  ];
  const verdict = buildVerdict(
    input({ registerCheck: checkHistory(history), runDirectory: '/tmp/run' }),
  );
  assert.not.ok(verdict.ok);
  assert.is(verdict.anomalies.length, 1);
  const text = renderVerdict(verdict);
  assert.match(text, /^FAIL/);
  assert.match(text, /client 1 get on "k" \[4, 5\] ok -> "a"/);
  assert.match(text, /kept in \/tmp\/run/);
  assert.match(text, /replay: cairn chaos --seed 9/);
});

test('lost writes, bytes that differ and a failed recovery each fail the run', () => {
  const lost = { key: 'o', kind: 'lost' as const, detail: 'absent', writes: [] };
  const differ = { key: 'o', kind: 'bytes-differ' as const, detail: 'sha', writes: [] };
  assert.not.ok(buildVerdict(input({ objectProblems: [lost] })).ok);
  assert.is(buildVerdict(input({ objectProblems: [lost] })).lostWrites.length, 1);
  assert.is(buildVerdict(input({ objectProblems: [differ] })).objectsDiffering.length, 1);
  assert.not.ok(buildVerdict(input({ recoveryProblem: 'no leader' })).ok);
  assert.ok(
    buildVerdict(
      input({ registerCheck: { ok: 'unknown', reason: 'limit', key: 'k', statesExplored: 9 } }),
    ).ok,
    'a key the checker gave up on is reported, not failed',
  );
});

test.run();
