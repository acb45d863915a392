// Cluster settings and down members in the meta group (issue 13): the defaults follow
// R, a change survives the wire form, W is refused above R or at 1 without consent, a
// member is marked down and up again, and the CLI's name=value parser says what is wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAssignments } from '../../src/cli/cluster-settings.js';
import { decodeCommand, encodeCommand, type MetaCommand } from '../../src/meta/commands.js';
import {
  applyCommand,
  applyCommandReporting,
  readClusterSettings,
  readDownMembers,
} from '../../src/meta/index.js';
import { MemoryMetaStore } from '../../src/meta/store.js';
import { bootstrappedStore } from '../meta/helpers.js';

const set = (change: Omit<Extract<MetaCommand, { type: 'setClusterSettings' }>, 'type'>) =>
  ({ type: 'setClusterSettings', ...change }) as MetaCommand;

test('before any change the defaults hold: W is a majority of R, down after 5 minutes', () => {
  const settings = readClusterSettings(bootstrappedStore(), 3);
  assert.is(settings.writeQuorum, 2);
  assert.is(settings.downAfterMilliseconds, 300_000);
  assert.is(readClusterSettings(new MemoryMetaStore(), 5).writeQuorum, 3);
  assert.is(readClusterSettings(new MemoryMetaStore(), 1).writeQuorum, 1);
});

test('a change travels the wire form and applies; the other settings keep their values', () => {
  const store = bootstrappedStore();
  const command = set({ writeQuorum: 3, downAfterMilliseconds: 30_000 });
  const decoded = decodeCommand(encodeCommand(command));
  assert.equal(decoded, command);
  const reported = applyCommandReporting(decoded, 2, store);
  assert.is(reported.result.type, 'ok');
  assert.equal(
    reported.changes.map((change) => change.key),
    ['c/settings'],
  );
  const settings = readClusterSettings(store, 3);
  assert.is(settings.writeQuorum, 3);
  assert.is(settings.downAfterMilliseconds, 30_000);
  assert.is(applyCommand(set({ repairRateBytesPerSecond: 1024 }), 3, store).type, 'ok');
  assert.is(readClusterSettings(store, 3).writeQuorum, 3, 'untouched by a rate change');
  assert.is(readClusterSettings(store, 3).repairRateBytesPerSecond, 1024);
});

test('W above R is refused, and W = 1 with R = 3 only with explicit consent', () => {
  const store = bootstrappedStore();
  const above = applyCommand(set({ writeQuorum: 4 }), 2, store);
  assert.is(above.type, 'rejected');
  assert.match(JSON.stringify(above), /cannot exceed the replication factor/);
  const one = applyCommand(set({ writeQuorum: 1 }), 3, store);
  assert.is(one.type, 'rejected');
  assert.match(JSON.stringify(one), /allow-write-quorum-one/);
  assert.is(readClusterSettings(store, 3).writeQuorum, 2, 'nothing changed');
  assert.is(applyCommand(set({ writeQuorum: 1, allowWriteQuorumOne: true }), 4, store).type, 'ok');
  assert.is(readClusterSettings(store, 3).writeQuorum, 1);
});

test('a member is marked down, listed, and marked up again; unknown members are refused', () => {
  const store = bootstrappedStore();
  const down = (id: string, isDown: boolean): MetaCommand => ({
    type: 'setMemberDown',
    id,
    down: isDown,
    lastHeardAtMilliseconds: 1_700_000_000_000,
  });
  assert.equal(decodeCommand(encodeCommand(down('n2', true))), down('n2', true));
  assert.is(applyCommand(down('n2', true), 2, store).type, 'ok');
  assert.equal(readDownMembers(store), [{ id: 'n2', lastHeardAtMilliseconds: 1_700_000_000_000 }]);
  assert.is(applyCommand(down('n9', true), 3, store).type, 'rejected');
  assert.is(applyCommand(down('n2', false), 4, store).type, 'ok');
  assert.equal(readDownMembers(store), []);
});

test('the CLI parser: names, units, and clear errors', () => {
  assert.equal(parseAssignments(['write-quorum=2', 'down-after=30s', 'repair-rate=50MiB'], false), {
    writeQuorum: 2,
    downAfterMilliseconds: 30_000,
    repairRateBytesPerSecond: 50 * 1024 * 1024,
  });
  assert.equal(parseAssignments(['write-quorum=1'], true), {
    writeQuorum: 1,
    allowWriteQuorumOne: true,
  });
  assert.throws(() => parseAssignments(['quorum=2'], false), /unknown setting "quorum"/);
  assert.throws(() => parseAssignments(['write-quorum'], false), /name=value/);
  assert.throws(() => parseAssignments(['down-after=soon'], false), /duration/);
  assert.throws(() => parseAssignments([], false), /at least one setting/);
});

test.run();
