import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import type { MetaCommand, WriteCondition } from '../../src/meta/commands.js';
import { encodeCommand } from '../../src/meta/commands.js';
import {
  chunkReferenceCount,
  clusterInfo,
  currentRing,
  getObject,
  members,
  ringAt,
  settledRing,
} from '../../src/meta/index.js';
import type { MetaResult } from '../../src/meta/index.js';
import {
  applyCommand,
  applyCommandReporting,
  applyEntryData,
  readProgress,
} from '../../src/meta/index.js';
import { MemoryMetaStore } from '../../src/meta/store.js';
import { snapshotPieces } from '../../src/meta/snapshot.js';
import { AssertionFailure } from '../../src/util/assert.js';
import { CorruptionError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';
import { Prng } from '../../src/util/prng.js';
import {
  bootstrappedStore,
  bootstrapThree,
  dump,
  inline,
  manifest,
  member,
  randomCommand,
  randomKey,
  sha256Of,
} from './helpers.js';

/** Applies commands at consecutive indexes after `start`, returning the results. */
function applyAll(
  store: MemoryMetaStore,
  commands: readonly MetaCommand[],
  start = readProgress(store).appliedIndex,
): MetaResult[] {
  return commands.map((command, offset) => applyCommand(command, start + offset + 1, store));
}

const put = (key: string, text: string, condition?: WriteCondition, requestId = ''): MetaCommand =>
  condition === undefined
    ? { type: 'putObject', key, value: inline(text), requestId }
    : { type: 'putObject', key, value: inline(text), condition, requestId };
const del = (key: string, condition?: WriteCondition, requestId = ''): MetaCommand =>
  condition === undefined
    ? { type: 'deleteObject', key, requestId }
    : { type: 'deleteObject', key, condition, requestId };

test('bootstrap records identity, members, ring epoch 1 settled, and refuses a second bootstrap', () => {
  const store = bootstrappedStore();
  const info = clusterInfo(store);
  assert.equal(info.identity, {
    clusterId: 'cluster-1',
    replicationFactor: 3,
    vnodesPerWeightUnit: 16,
    bootstrapRevision: 1,
  });
  assert.equal(info.ring, { currentEpoch: 1, settledEpoch: 1 });
  assert.is(info.memberCount, 3);
  assert.equal(info.progress, {
    appliedIndex: 1,
    revision: 1,
    revisionBase: 0,
    objectCount: 0,
    objectBytesTotal: 0,
  });
  assert.equal(
    members(store).map((record) => [record.id, record.state, record.addedRevision]),
    [
      ['n1', 'active', 1],
      ['n2', 'active', 1],
      ['n3', 'active', 1],
    ],
  );
  const ring = currentRing(store);
  assert.is(ring?.epoch, 1);
  assert.equal(
    ring?.members.map((ringMember) => ringMember.zone),
    ['zone-a', 'zone-b', 'zone-c'],
  );
  const again = applyCommand(bootstrapThree, 2, store);
  assert.is(again.type, 'rejected');
  assert.match((again as { message: string }).message, /already bootstrapped as "cluster-1"/);
  assert.equal(
    readProgress(store),
    { appliedIndex: 2, revision: 1, revisionBase: 0, objectCount: 0, objectBytesTotal: 0 },
    'a rejection moves only the applied index',
  );
});

test('before bootstrap every command but noop is rejected and writes nothing but progress', () => {
  const store = new MemoryMetaStore();
  const results = applyAll(store, [
    put('k', 'v'),
    del('k'),
    { type: 'addMember', ...member('n1') },
    { type: 'settleEpoch', epoch: 2 },
  ]);
  for (const result of results)
    assert.equal(result, { type: 'rejected', message: 'the cluster is not bootstrapped yet' });
  assert.equal(applyCommand({ type: 'noop' }, 9, store), { type: 'ok', version: 0 });
  assert.equal(
    dump(store).map(([key]) => key),
    ['c/progress'],
  );
});

test('bootstrap with fewer active members than R is rejected (the ring could not place R copies)', () => {
  const store = new MemoryMetaStore();
  const result = applyCommand(
    { ...bootstrapThree, members: [member('n1'), member('n2')] } as MetaCommand,
    1,
    store,
  );
  assert.is(result.type, 'rejected');
  assert.match(
    (result as { message: string }).message,
    /replicationFactor 3 needs at least as many active members, got 2/,
  );
  assert.is(clusterInfo(store).identity, undefined);
});

// Compare-and-set table: [what, setup commands, command, expected result (with V = version of the setup put)]
type Expected = MetaResult | ((setupVersion: number, revision: number) => MetaResult);
const casCases: readonly [string, MetaCommand[], MetaCommand, Expected][] = [
  [
    'put unconditionally on absent',
    [],
    put('k', 'v'),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  [
    'put unconditionally on existing',
    [put('k', 'a')],
    put('k', 'v'),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  [
    'put ifAbsent on absent',
    [],
    put('k', 'v', { ifAbsent: true }),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  [
    'put ifAbsent on existing',
    [put('k', 'a')],
    put('k', 'v', { ifAbsent: true }),
    (version) => ({ type: 'conflict', currentVersion: version }),
  ],
  [
    'put ifVersion 0 on absent',
    [],
    put('k', 'v', { ifVersion: 0 }),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  [
    'put ifVersion 0 on existing',
    [put('k', 'a')],
    put('k', 'v', { ifVersion: 0 }),
    (version) => ({ type: 'conflict', currentVersion: version }),
  ],
  [
    'put ifVersion match',
    [put('k', 'a')],
    put('k', 'v', { ifVersion: 2 }),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  [
    'put ifVersion mismatch',
    [put('k', 'a')],
    put('k', 'v', { ifVersion: 3 }),
    { type: 'conflict', currentVersion: 2 },
  ],
  [
    'put ifVersion on absent',
    [],
    put('k', 'v', { ifVersion: 2 }),
    { type: 'conflict', currentVersion: 0 },
  ],
  [
    'put ifVersion after delete',
    [put('k', 'a'), del('k')],
    put('k', 'v', { ifVersion: 2 }),
    { type: 'conflict', currentVersion: 0 },
  ],
  [
    'delete existing',
    [put('k', 'a')],
    del('k'),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  ['delete absent', [], del('k'), { type: 'notFound' }],
  [
    'delete ifVersion match',
    [put('k', 'a')],
    del('k', { ifVersion: 2 }),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
  [
    'delete ifVersion mismatch',
    [put('k', 'a')],
    del('k', { ifVersion: 1 }),
    { type: 'conflict', currentVersion: 2 },
  ],
  [
    'delete ifVersion on absent',
    [],
    del('k', { ifVersion: 5 }),
    { type: 'conflict', currentVersion: 0 },
  ],
  ['delete ifVersion 0 on absent', [], del('k', { ifVersion: 0 }), { type: 'notFound' }],
  [
    'delete ifAbsent on existing',
    [put('k', 'a')],
    del('k', { ifAbsent: true }),
    { type: 'conflict', currentVersion: 2 },
  ],
  [
    'other keys do not interfere',
    [put('k2', 'a')],
    put('k', 'v', { ifAbsent: true }),
    (_, revision) => ({ type: 'ok', version: revision }),
  ],
];

for (const [what, setup, command, expected] of casCases) {
  test(`compare-and-set: ${what}`, () => {
    const store = bootstrappedStore();
    applyAll(store, setup);
    const before = dump(store).filter(([key]) => key.startsWith('o/') || key.startsWith('v/'));
    const index = readProgress(store).appliedIndex + 1;
    const revision = readProgress(store).revision + 1;
    const result = applyCommand(command, index, store);
    const wanted = typeof expected === 'function' ? expected(2, revision) : expected;
    assert.equal(result, wanted);
    const after = dump(store).filter(([key]) => key.startsWith('o/') || key.startsWith('v/'));
    if (result.type !== 'ok') assert.equal(after, before, 'a failed condition changes no object');
    const object = getObject(store, 'k');
    if (result.type === 'ok' && command.type === 'putObject') assert.is(object?.version, revision);
    if (result.type === 'ok' && command.type === 'deleteObject') assert.is(object, undefined);
  });
}

test('versions are revisions, not log indexes; createdRevision survives overwrites; only changes advance the revision', () => {
  const store = bootstrappedStore(); // revision 1 at index 1
  assert.equal(applyCommand(put('k', 'one'), 5, store), { type: 'ok', version: 2 });
  assert.equal(applyCommand({ type: 'noop' }, 6, store), { type: 'ok', version: 2 });
  assert.equal(applyCommand(put('k', 'two!'), 9, store), { type: 'ok', version: 3 });
  const object = getObject(store, 'k');
  assert.is(object?.version, 3);
  assert.is(object?.createdRevision, 2);
  assert.is(object?.size, 4);
  assert.is(object?.sha256, createHash('sha256').update('two!').digest('hex'));
  assert.equal(object?.body, { kind: 'inline', bytes: new TextEncoder().encode('two!') });
  assert.equal(applyCommand(put('k', 'x', { ifVersion: 2 }), 10, store), {
    type: 'conflict',
    currentVersion: 3,
  });
  assert.equal(readProgress(store), {
    appliedIndex: 10,
    revision: 3,
    revisionBase: 0,
    objectCount: 1,
    objectBytesTotal: 4,
  });
  applyCommand(del('k'), 11, store);
  applyCommand(put('k', 'z'), 12, store);
  assert.is(getObject(store, 'k')?.createdRevision, 5, 'a re-created key starts a new life');
});

test('the revision advances by one per entry that changes state, over a random workload', () => {
  const prng = new Prng(21);
  const store = bootstrappedStore();
  let index = 1;
  let lastRevision = 1;
  const keys = ['a', 'b', 'c'];
  for (let round = 0; round < 1500; round++) {
    index += prng.nextIntegerInclusive(1, 3); // indexes may skip (conf changes, empty entries)
    const applied = applyCommandReporting(randomCommand(prng, keys), index, store);
    const progress = readProgress(store);
    assert.is(progress.appliedIndex, index);
    assert.is(progress.revision, applied.revision);
    const changed = applied.changes.length > 0;
    assert.is(progress.revision, lastRevision + (changed ? 1 : 0), 'one revision per change');
    if (changed) assert.equal(applied.result, { type: 'ok', version: progress.revision });
    for (const change of applied.changes) assert.is(change.revision, progress.revision);
    lastRevision = progress.revision;
    for (const key of keys) {
      const object = getObject(store, key);
      if (object !== undefined)
        assert.ok(object.version <= progress.revision && object.createdRevision <= object.version);
    }
  }
});

test('applying an index at or below the applied index is a bug (assertion)', () => {
  const store = bootstrappedStore();
  applyCommand(put('k', 'v'), 4, store);
  assert.throws(
    () => applyCommand(put('k', 'v'), 4, store),
    (error: unknown) => error instanceof AssertionFailure,
  );
  assert.throws(
    () => applyCommand(put('k', 'v'), 3, store),
    (error: unknown) => error instanceof AssertionFailure,
  );
});

test('a malformed entry is a CorruptionError; a well-formed one applies like the command', () => {
  const store = bootstrappedStore();
  assert.throws(
    () => applyEntryData(new Uint8Array([1, 200]), 2, store),
    (error: unknown) => error instanceof CorruptionError,
  );
  assert.equal(applyEntryData(encodeCommand(put('k', 'v')), 3, store), { type: 'ok', version: 2 });
  assert.is(getObject(store, 'k')?.size, 1);
});

test('every membership change that moves placement starts a new ring epoch; role changes do not', () => {
  const store = bootstrappedStore();
  const steps: [MetaCommand, number][] = [
    [{ type: 'addMember', ...member('n4', { zone: 'zone-d', role: 'learner' }) }, 2],
    [{ type: 'updateMember', id: 'n4', role: 'voter' }, 2],
    [{ type: 'updateMember', id: 'n4', weight: 2 }, 3],
    [{ type: 'updateMember', id: 'n4', zone: 'zone-a' }, 4],
    [{ type: 'updateMember', id: 'n4', clientAddress: '10.0.0.4:7000' }, 4],
    [{ type: 'updateMember', id: 'n4', state: 'draining' }, 5],
    [{ type: 'removeMember', id: 'n4' }, 6],
  ];
  let index = 1;
  for (const [command, epoch] of steps) {
    index++;
    assert.equal(applyCommand(command, index, store), { type: 'ok', version: index }, command.type);
    assert.is(clusterInfo(store).ring?.currentEpoch, epoch, `${command.type} -> epoch ${epoch}`);
    assert.is(currentRing(store)?.epoch, epoch);
  }
  assert.is(clusterInfo(store).ring?.settledEpoch, 1, 'nothing is settled until rebalance says so');
  assert.equal(
    ringAt(store, 3)?.members.find((ringMember) => ringMember.id === 'n4'),
    { id: 'n4', zone: 'zone-d', weight: 2, state: 'active' },
  );
  assert.is(ringAt(store, 6)?.members.length, 3);
  assert.equal(settledRing(store)?.epoch, 1);
});

test('membership rules: duplicates, unknown members, last voter, voter limit, R active members', () => {
  const store = bootstrappedStore();
  const cases: [MetaCommand, RegExp | 'notFound'][] = [
    [{ type: 'addMember', ...member('n1') }, /already exists/],
    [{ type: 'updateMember', id: 'n9', weight: 2 }, 'notFound'],
    [{ type: 'removeMember', id: 'n9' }, 'notFound'],
    [
      { type: 'removeMember', id: 'n3' },
      /replicationFactor 3 needs at least as many active members, got 2/,
    ],
    [{ type: 'updateMember', id: 'n2', state: 'gone' }, /replicationFactor 3/],
  ];
  let index = 1;
  for (const [command, expected] of cases) {
    index++;
    const result = applyCommand(command, index, store);
    if (expected === 'notFound') assert.equal(result, { type: 'notFound' });
    else {
      assert.is(result.type, 'rejected', command.type);
      assert.match((result as { message: string }).message, expected);
    }
    assert.is(clusterInfo(store).ring?.currentEpoch, 1, 'a refused change makes no epoch');
  }
  const single = new MemoryMetaStore();
  applyCommand(
    {
      ...bootstrapThree,
      replicationFactor: 1,
      members: [member('a'), member('b', { role: 'learner' })],
    } as MetaCommand,
    1,
    single,
  );
  const demote = applyCommand({ type: 'updateMember', id: 'a', role: 'learner' }, 2, single);
  assert.match((demote as { message: string }).message, /last voter/);
  const removeVoter = applyCommand({ type: 'removeMember', id: 'a' }, 3, single);
  assert.match((removeVoter as { message: string }).message, /last voter/);
  for (let count = 0; count < limits.raftVotersMax - 1; count++) {
    assert.is(
      applyCommand({ type: 'addMember', ...member(`v${count}`) }, 10 + count, single).type,
      'ok',
    );
  }
  const tooMany = applyCommand({ type: 'addMember', ...member('v-extra') }, 100, single);
  assert.match((tooMany as { message: string }).message, /at most 5 voters/);
  assert.is(
    applyCommand({ type: 'addMember', ...member('l-extra', { role: 'learner' }) }, 101, single)
      .type,
    'ok',
  );
});

test('settling an epoch drops older ring descriptions; unsettled epochs are bounded', () => {
  const store = bootstrappedStore();
  let index = 1;
  for (let weight = 2; weight <= 4; weight++)
    applyCommand({ type: 'updateMember', id: 'n1', weight }, ++index, store);
  assert.equal(clusterInfo(store).ring, { currentEpoch: 4, settledEpoch: 1 });
  assert.match(
    (applyCommand({ type: 'settleEpoch', epoch: 5 }, ++index, store) as { message: string })
      .message,
    /cannot be settled/,
  );
  assert.equal(applyCommand({ type: 'settleEpoch', epoch: 3 }, ++index, store), {
    type: 'ok',
    version: 5, // bootstrap and three weight changes before it; the rejection is no change
  });
  assert.equal(clusterInfo(store).ring, { currentEpoch: 4, settledEpoch: 3 });
  assert.is(ringAt(store, 1), undefined);
  assert.is(ringAt(store, 2), undefined);
  assert.is(ringAt(store, 3)?.epoch, 3);
  assert.is(settledRing(store)?.epoch, 3);
  assert.is(
    applyCommand({ type: 'settleEpoch', epoch: 3 }, ++index, store).type,
    'rejected',
    'settling twice',
  );
  let weight = 1;
  for (let count = 0; count < limits.metaRingEpochsUnsettledMax; count++) {
    weight = weight === 1 ? 1.5 : 1;
    const result = applyCommand({ type: 'updateMember', id: 'n2', weight }, ++index, store);
    if (count < limits.metaRingEpochsUnsettledMax - 1)
      assert.is(result.type, 'ok', `change ${count}`);
    else assert.match((result as { message: string }).message, /metaRingEpochsUnsettledMax/);
  }
});

test('chunk references: overwrite and delete drop references; a count of 0 leaves no key; shared chunks stay', () => {
  const store = bootstrappedStore();
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(sha256Of) as [string, string, string, string];
  applyCommand(
    { type: 'putObject', key: 'x', value: manifest(['a', 'b', 'c']), requestId: '' },
    2,
    store,
  );
  applyCommand(
    { type: 'putObject', key: 'y', value: manifest(['c', 'c']), requestId: '' },
    3,
    store,
  );
  const counts = (): number[] => [a, b, c, d].map((sha) => chunkReferenceCount(store, sha));
  assert.equal(counts(), [1, 1, 3, 0]);
  // Overwrite x: a and b lose their last reference; c keeps references from y.
  applyCommand(
    { type: 'putObject', key: 'x', value: manifest(['c', 'd']), requestId: '' },
    4,
    store,
  );
  assert.equal(counts(), [0, 0, 3, 1]);
  // Overwriting with inline bytes and deleting drops the rest.
  applyCommand(put('x', 'small'), 5, store);
  applyCommand(del('y'), 6, store);
  assert.equal(counts(), [0, 0, 0, 0]);
  assert.equal(store.rangeEntries('k/', undefined, 10), [], 'no count is stored at 0');
  assert.equal(store.rangeEntries('g/', undefined, 10), [], 'no unreferenced-chunk index');
  // A chunk referenced again counts from 1.
  applyCommand({ type: 'putObject', key: 'z', value: manifest(['a']), requestId: '' }, 7, store);
  assert.is(chunkReferenceCount(store, a), 1);
});

test('rewriting the same manifest keeps its chunks referenced (no transient garbage)', () => {
  const store = bootstrappedStore();
  applyCommand(
    { type: 'putObject', key: 'x', value: manifest(['a', 'b']), requestId: '' },
    2,
    store,
  );
  applyCommand(
    { type: 'putObject', key: 'x', value: manifest(['a', 'b']), requestId: '' },
    3,
    store,
  );
  assert.is(chunkReferenceCount(store, sha256Of('a')), 1);
});

test('object totals follow puts, overwrites and deletes', () => {
  const store = bootstrappedStore();
  applyAll(store, [
    put('a', '12345'),
    put('b', '1'),
    { type: 'putObject', key: 'c', value: manifest(['q', 'r'], 50), requestId: '' },
  ]);
  assert.equal([readProgress(store).objectCount, readProgress(store).objectBytesTotal], [3, 156]);
  applyAll(store, [put('a', '12'), del('b'), del('b')]);
  assert.equal([readProgress(store).objectCount, readProgress(store).objectBytesTotal], [2, 152]);
});

test('a retried request (same requestId) returns the first result without a second effect', () => {
  const store = bootstrappedStore();
  assert.equal(applyCommand(put('k', 'v1', { ifAbsent: true }, 'req-1'), 2, store), {
    type: 'ok',
    version: 2,
  });
  assert.equal(
    applyCommand(put('k', 'v1', { ifAbsent: true }, 'req-1'), 3, store),
    { type: 'ok', version: 2 },
    'retry: same answer',
  );
  assert.is(getObject(store, 'k')?.version, 2);
  assert.equal(applyCommand(put('k', 'v2', { ifAbsent: true }, 'req-2'), 4, store), {
    type: 'conflict',
    currentVersion: 2,
  });
  assert.equal(applyCommand(del('k', undefined, 'req-3'), 5, store), { type: 'ok', version: 3 });
  assert.equal(
    applyCommand(del('k', undefined, 'req-3'), 6, store),
    { type: 'ok', version: 3 },
    'a retried delete is not notFound',
  );
  assert.equal(
    applyCommand(put('k', 'v1', undefined, 'req-1'), 7, store),
    { type: 'ok', version: 2 },
    'no resurrection by a late retry',
  );
  assert.is(getObject(store, 'k'), undefined);
  const reused = applyCommand(put('other', 'v', undefined, 'req-1'), 8, store);
  assert.match((reused as { message: string }).message, /already used for another key/);
});

test('request results expire after the deduplication window, a bounded number per apply', () => {
  const store = bootstrappedStore();
  applyCommand(put('k', 'v', undefined, 'old-1'), 2, store);
  applyCommand(put('k', 'v', undefined, 'old-2'), 3, store);
  const window = limits.metaRequestDeduplicationIndexWindow;
  // Just inside the window: still deduplicated.
  assert.equal(applyCommand(put('k', 'again', undefined, 'old-1'), 2 + window - 1, store), {
    type: 'ok',
    version: 2,
  });
  // At 2 + window, old-1 (applied at 2) has expired but old-2 (applied at 3) has not.
  const index = 2 + window;
  assert.equal(applyCommand(put('k', 'again', undefined, 'old-2'), index, store), {
    type: 'ok',
    version: 3,
  });
  assert.equal(applyCommand(put('k', 'again', undefined, 'old-1'), index + 1, store), {
    type: 'ok',
    version: 4, // the window counts Raft indexes; the revision counts changes
  });
  // By index + 1, old-2 expired too; old-1 is a fresh request again.
  const requestKeys = dump(store)
    .filter(([key]) => key.startsWith('q/') || key.startsWith('x/'))
    .map(([key]) => key);
  assert.equal(requestKeys, ['q/old-1', `x/${(index + 1).toString(16).padStart(16, '0')}/old-1`]);
});

test('expiry removes at most metaRequestExpiriesPerApplyMax old requests per apply', () => {
  const store = bootstrappedStore();
  const count = limits.metaRequestExpiriesPerApplyMax * 2 + 1;
  for (let offset = 0; offset < count; offset++)
    applyCommand(put('k', 'v', undefined, `r${offset}`), 2 + offset, store);
  const live = (): number => dump(store).filter(([key]) => key.startsWith('q/')).length;
  assert.is(live(), count);
  let index = 2 + count + limits.metaRequestDeduplicationIndexWindow;
  applyCommand(put('k', 'v'), index, store);
  assert.is(live(), count - limits.metaRequestExpiriesPerApplyMax);
  applyCommand(put('k', 'v'), ++index, store);
  applyCommand(put('k', 'v'), ++index, store);
  assert.is(live(), 0);
});

test('determinism: the same random command sequence on two stores gives identical state and results', () => {
  for (const seed of [1, 2, 3]) {
    const first = new MemoryMetaStore();
    const second = new MemoryMetaStore();
    const prng = new Prng(seed);
    const keys = Array.from({ length: 8 }, () => randomKey(prng));
    const commands: MetaCommand[] = [bootstrapThree];
    for (let count = 0; count < 800; count++) commands.push(randomCommand(prng, keys));
    // The second replica decodes the commands from their encoding, as a follower would.
    const firstResults = commands.map((command, offset) =>
      applyCommand(command, offset + 1, first),
    );
    const secondResults = commands.map((command, offset) =>
      applyEntryData(encodeCommand(command), offset + 1, second),
    );
    assert.equal(secondResults, firstResults, `seed ${seed}: results`);
    assert.equal(dump(second), dump(first), `seed ${seed}: stored bytes`);
    const snapshotOf = (store: MemoryMetaStore): string =>
      Buffer.concat([...snapshotPieces(store, 4096)]).toString('hex');
    assert.is(snapshotOf(second), snapshotOf(first), `seed ${seed}: identical snapshots`);
    const kinds = new Set(firstResults.map((result) => result.type));
    for (const kind of ['ok', 'conflict', 'notFound', 'rejected'])
      assert.ok(kinds.has(kind as MetaResult['type']), `seed ${seed} exercised ${kind}`);
  }
});

test.run();
