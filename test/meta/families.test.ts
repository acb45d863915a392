// The family registry, change records, batches (one entry, several families) and the
// group's revision counter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyCommand,
  applyCommandReporting,
  BufferedTransaction,
  decodeCommand,
  encodeCommand,
  type FamilyCommand,
  families,
  getObject,
  MemoryMetaStore,
  type MetaChange,
  type MetaCommand,
  members,
  ownerOfKey,
  previewCommand,
  readProgress,
  restoreSnapshot,
  snapshotPieces,
} from '../../src/meta/index.js';
import { limits } from '../../src/util/limits.js';
import { Prng } from '../../src/util/prng.js';
import { bootstrappedStore, dump, inline, member, randomCommand, randomKey } from './helpers.js';

const put = (key: string, text: string, requestId = ''): FamilyCommand => ({
  type: 'putObject',
  key,
  value: inline(text),
  requestId,
});

/** The store without its progress record (which every apply writes). */
function withoutProgress(store: MemoryMetaStore): [string, string][] {
  return dump(store).filter(([key]) => key !== 'c/progress');
}

function changeSummary(changes: readonly MetaChange[]): string[] {
  return changes.map((change) => `${change.family} ${change.kind} ${change.key}`);
}

test('the registry: command tags and types are unique, every family owns its keys', () => {
  const tags = families.flatMap((family) => family.commands.map((command) => command.tag));
  assert.is(new Set(tags).size, tags.length);
  assert.equal(
    families.map((family) => family.name),
    ['cluster', 'objects', 'txn', 'events', 'leases', 'locks', 'garbage', 'auth'],
  );
  const prng = new Prng(5);
  const store = bootstrappedStore();
  for (let index = 2; index < 400; index++)
    applyCommand(randomCommand(prng, ['a', 'b/c', 'd']), index, store);
  for (const [key] of dump(store)) assert.ok(ownerOfKey(key) !== undefined, `${key} has an owner`);
});

// [what, commands before, command, expected result type, expected changes]
const clusterCases: readonly [string, MetaCommand[], MetaCommand, string, string[]][] = [
  [
    'add a member: its record, a new ring epoch',
    [],
    { type: 'addMember', ...member('n4', { role: 'learner' }) },
    'ok',
    ['cluster put r/0000000000000002', 'cluster put c/ring', 'cluster put m/n4'],
  ],
  [
    'change an address: the record only (placement does not move)',
    [],
    { type: 'updateMember', id: 'n2', clientAddress: '10.0.0.2:1' },
    'ok',
    ['cluster put m/n2'],
  ],
  [
    'remove a member',
    [{ type: 'addMember', ...member('n4', { role: 'learner' }) }],
    { type: 'removeMember', id: 'n4' },
    'ok',
    ['cluster put r/0000000000000003', 'cluster put c/ring', 'cluster delete m/n4'],
  ],
  [
    'settle: older rings deleted',
    [{ type: 'updateMember', id: 'n1', weight: 2 }],
    { type: 'settleEpoch', epoch: 2 },
    'ok',
    ['cluster delete r/0000000000000001', 'cluster put c/ring'],
  ],
  ['a duplicate member is rejected', [], { type: 'addMember', ...member('n1') }, 'rejected', []],
  ['an unknown member is not found', [], { type: 'removeMember', id: 'zz' }, 'notFound', []],
];

const objectCases: readonly [string, MetaCommand[], MetaCommand, string, string[]][] = [
  ['put a new key', [], put('k', 'v'), 'ok', ['objects put o/k']],
  ['overwrite', [put('k', 'v')], put('k', 'w'), 'ok', ['objects put o/k']],
  [
    'delete',
    [put('k', 'v')],
    { type: 'deleteObject', key: 'k', requestId: '' },
    'ok',
    ['objects delete o/k'],
  ],
  [
    'a failed condition changes nothing',
    [put('k', 'v')],
    {
      type: 'putObject',
      key: 'k',
      value: inline('x'),
      condition: { ifAbsent: true },
      requestId: '',
    },
    'conflict',
    [],
  ],
  ['a retried request changes nothing', [put('k', 'v', 'r1')], put('k', 'v', 'r1'), 'ok', []],
];

for (const [family, cases] of [
  ['cluster', clusterCases],
  ['objects', objectCases],
] as const) {
  for (const [what, before, command, resultType, expectedChanges] of cases) {
    test(`${family} family: ${what}`, () => {
      const store = bootstrappedStore();
      let index = 1;
      for (const earlier of before) applyCommand(earlier, ++index, store);
      const revisionBefore = readProgress(store).revision;
      const applied = applyCommandReporting(command, ++index, store);
      assert.is(applied.result.type, resultType);
      assert.equal(changeSummary(applied.changes), expectedChanges);
      const advanced = expectedChanges.length > 0 ? 1 : 0;
      assert.is(readProgress(store).revision, revisionBefore + advanced);
      for (const change of applied.changes) {
        assert.is(change.revision, revisionBefore + 1);
        assert.is(ownerOfKey(change.key), family);
      }
    });
  }
}

test('a change reports whether the key existed and its previous revision', () => {
  const store = bootstrappedStore();
  applyCommand(put('k', 'v'), 2, store);
  const overwrite = applyCommandReporting(put('k', 'w'), 3, store);
  assert.equal(overwrite.changes, [
    { family: 'objects', key: 'o/k', kind: 'put', existed: true, previousRevision: 2, revision: 3 },
  ]);
  const created = applyCommandReporting(put('new', 'v'), 4, store);
  assert.equal(created.changes, [
    { family: 'objects', key: 'o/new', kind: 'put', existed: false, revision: 4 },
  ]);
});

test('one entry changes two families atomically, at one revision', () => {
  const store = bootstrappedStore();
  const batch: MetaCommand = {
    type: 'batch',
    commands: [
      { type: 'updateMember', id: 'n2', weight: 3 },
      put('deploy/lock', 'n2'),
      put('a', '1'),
    ],
  };
  assert.equal(decodeCommand(encodeCommand(batch)), batch, 'the batch round-trips');
  const applied = applyCommandReporting(batch, 2, store);
  assert.equal(applied.result, { type: 'ok', version: 2 });
  assert.equal(changeSummary(applied.changes), [
    'cluster put r/0000000000000002',
    'cluster put c/ring',
    'cluster put m/n2',
    'objects put o/deploy/lock',
    'objects put o/a',
  ]);
  assert.is(readProgress(store).revision, 2, 'one revision for the whole entry');
  assert.is(getObject(store, 'a')?.version, 2);
  assert.is(members(store).find((record) => record.id === 'n2')?.updatedRevision, 2);
});

test('a batch whose last command fails writes nothing at all (no family sees the others)', () => {
  const store = bootstrappedStore();
  applyCommand(put('taken', 'x'), 2, store);
  const before = withoutProgress(store);
  const batch: MetaCommand = {
    type: 'batch',
    commands: [
      { type: 'updateMember', id: 'n2', weight: 3 },
      put('a', '1'),
      {
        type: 'putObject',
        key: 'taken',
        value: inline('y'),
        condition: { ifAbsent: true },
        requestId: '',
      },
    ],
  };
  const applied = applyCommandReporting(batch, 3, store);
  assert.is(applied.result.type, 'rejected');
  assert.match(
    (applied.result as { message: string }).message,
    /batch command 3 of 3 \(putObject\) did not apply: conflict, current version 2/,
  );
  assert.equal(applied.changes, []);
  assert.equal(withoutProgress(store), before, 'neither family changed');
  assert.equal(readProgress(store).revision, 2);
  assert.is(readProgress(store).appliedIndex, 3);
});

test('a rejected command writes nothing but the applied index', () => {
  const store = bootstrappedStore();
  applyCommand(put('k', 'v', 'r1'), 2, store);
  const before = withoutProgress(store);
  // Rejected after the objects family had started (request expiry ran first).
  const reused = applyCommandReporting(put('other', 'v', 'r1'), 3, store);
  assert.is(reused.result.type, 'rejected');
  const duplicate = applyCommandReporting({ type: 'addMember', ...member('n1') }, 4, store);
  assert.is(duplicate.result.type, 'rejected');
  assert.equal(withoutProgress(store), before);
  assert.equal(readProgress(store).appliedIndex, 4);
});

test('request ids of one batch are each kept, and each expires', () => {
  const store = bootstrappedStore();
  const batch: MetaCommand = {
    type: 'batch',
    commands: [put('a', '1', 'ra'), put('b', '2', 'rb')],
  };
  applyCommand(batch, 2, store);
  const requestKeys = (): string[] =>
    dump(store)
      .map(([key]) => key)
      .filter((key) => key.startsWith('q/') || key.startsWith('x/'));
  assert.equal(requestKeys(), ['q/ra', 'q/rb', 'x/0000000000000002/ra', 'x/0000000000000002/rb']);
  assert.equal(applyCommand(put('b', '2', 'rb'), 3, store), { type: 'ok', version: 2 });
  applyCommand(put('c', '3'), 2 + limits.metaRequestDeduplicationIndexWindow, store);
  assert.equal(requestKeys(), [], 'both expired');
});

test('under a conf change the member command follows Raft: leftovers replaced, guards left to the proposer', () => {
  const store = bootstrappedStore();
  let index = 1;
  // Fill the unsettled-epoch allowance: a plain addMember is refused now...
  for (let count = 0; count < limits.metaRingEpochsUnsettledMax; count++)
    applyCommand({ type: 'updateMember', id: 'n1', weight: 1 + ((count + 1) % 2) }, ++index, store);
  const join: MetaCommand = { type: 'addMember', ...member('n4', { role: 'voter' }) };
  assert.match(
    (applyCommand(join, ++index, store) as { message: string }).message,
    /metaRingEpochsUnsettledMax/,
  );
  // ...but the same command riding on the conf change that adds n4 goes ahead, as a learner.
  const confChange = { type: 'addLearner', nodeId: 'n4' } as const;
  assert.is(applyCommand(join, ++index, store, { confChange }).type, 'ok');
  assert.is(members(store).find((record) => record.id === 'n4')?.role, 'learner');
  // A leftover record is replaced, not refused.
  const again: MetaCommand = { type: 'addMember', ...member('n4', { weight: 3 }) };
  assert.is(applyCommand(again, ++index, store, { confChange }).type, 'ok');
  assert.is(members(store).find((record) => record.id === 'n4')?.weight, 3);
  // The promotion sets the role from the change; a command for another member is refused.
  const promote = { type: 'promoteLearner', nodeId: 'n4' } as const;
  const update: MetaCommand = { type: 'updateMember', id: 'n4', weight: 2 };
  assert.is(applyCommand(update, ++index, store, { confChange: promote }).type, 'ok');
  assert.is(members(store).find((record) => record.id === 'n4')?.role, 'voter');
  const mismatch: MetaCommand = { type: 'removeMember', id: 'n2' };
  const refused = applyCommand(mismatch, ++index, store, { confChange: promote });
  assert.match((refused as { message: string }).message, /does not fit the conf change/);
});

test('batches refuse nesting, envelope commands and too many commands', () => {
  const nested = { type: 'batch', commands: [{ type: 'batch', commands: [put('a', '1')] }] };
  assert.throws(() => encodeCommand(nested as unknown as MetaCommand), /family command/);
  assert.throws(
    () => encodeCommand({ type: 'batch', commands: [] } as MetaCommand),
    /at least one command/,
  );
  const many = Array.from({ length: 65 }, (_, index) => put(`k${index}`, 'v'));
  assert.throws(
    () => encodeCommand({ type: 'batch', commands: many } as MetaCommand),
    /metaBatchCommandsMax/,
  );
});

test('revisions survive a snapshot and restore; the base can be raised, never lowered', () => {
  const store = bootstrappedStore();
  applyCommand(put('a', '1'), 2, store);
  applyCommand(put('b', '2'), 7, store);
  const restored = new MemoryMetaStore();
  restoreSnapshot(snapshotPieces(store, 64), restored);
  assert.equal(readProgress(restored), readProgress(store));
  assert.is(readProgress(restored).revision, 3);
  // A restore continues above its backup's revisions.
  const raised = applyCommandReporting({ type: 'raiseRevisionBase', revision: 1000 }, 8, restored);
  assert.equal(raised.result, { type: 'ok', version: 1000 });
  assert.equal(changeSummary(raised.changes), ['group put c/progress']);
  assert.equal(applyCommand(put('c', '3'), 9, restored), { type: 'ok', version: 1001 });
  assert.is(getObject(restored, 'c')?.createdRevision, 1001);
  assert.is(getObject(restored, 'a')?.version, 2, 'older revisions are kept as they were');
  const lower = applyCommand({ type: 'raiseRevisionBase', revision: 1001 }, 10, restored);
  assert.is(lower.type, 'rejected');
  assert.equal(readProgress(restored), {
    appliedIndex: 10,
    revision: 1001,
    revisionBase: 1000,
    objectCount: 3,
    objectBytesTotal: 3,
  });
  // And the raised state itself survives another snapshot.
  const again = new MemoryMetaStore();
  restoreSnapshot(snapshotPieces(restored, 100), again);
  assert.equal(readProgress(again), readProgress(restored));
});

test('previewCommand answers like apply and writes nothing', () => {
  const store = bootstrappedStore();
  const before = dump(store);
  assert.equal(previewCommand(store, put('k', 'v')), { type: 'ok', version: 2 });
  assert.is(previewCommand(store, { type: 'addMember', ...member('n1') }).type, 'rejected');
  assert.equal(dump(store), before);
});

test('a buffered transaction reads like the store it will become (random model check)', () => {
  const prng = new Prng(77);
  for (let round = 0; round < 200; round++) {
    const base = new MemoryMetaStore(4);
    const model = new MemoryMetaStore(4);
    for (let count = 0; count < 30; count++) {
      const key = `p/${randomKey(prng, 3)}`;
      const value = new Uint8Array([prng.nextIntegerInclusive(0, 255)]);
      base.put(key, value);
      model.put(key, value);
    }
    const buffer = new BufferedTransaction(base);
    for (let count = 0; count < 20; count++) {
      const key = `p/${randomKey(prng, 3)}`;
      if (prng.chance(0.4)) {
        buffer.delete(key);
        model.delete(key);
      } else {
        const value = new Uint8Array([prng.nextIntegerInclusive(0, 255), 1]);
        buffer.put(key, value);
        model.put(key, value);
      }
    }
    const prefix = prng.chance(0.5) ? 'p/' : `p/${randomKey(prng, 1)}`;
    const after = prng.chance(0.5) ? undefined : `p/${randomKey(prng, 2)}`;
    const limit = prng.nextIntegerInclusive(0, 12);
    assert.equal(
      buffer.rangeEntries(prefix, after, limit),
      model.rangeEntries(prefix, after, limit),
      `round ${round}`,
    );
    buffer.commit();
    assert.equal(dump(base), dump(model));
  }
});

test.run();
