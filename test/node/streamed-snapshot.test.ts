// The meta state machine with snapshot files: a capture opens one read of the state
// and writes it to a file in pieces while later entries are applied (the file holds
// the state at the capture's index, nothing later); the Raft snapshot is a small
// reference; another node installs the state from the file, piece by piece; at a
// restart the newest file at the applied index is reused.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCommand, getObject, type MetaCommand } from '../../src/meta/index.js';
import { MetaStateMachine } from '../../src/node/meta-state-machine.js';
import type { Entry } from '../../src/raft/index.js';
import { RealDisk } from '../../src/storage/real-disk.js';
import { SnapshotFiles } from '../../src/storage/snapshot-files.js';
import {
  decodeSnapshotReference,
  snapshotReferenceBytes,
} from '../../src/storage/snapshot-reference.js';
import { StateStore } from '../../src/storage/state-store.js';
import { bootstrapThree, inline } from '../meta/helpers.js';
import { temporaryDirectory } from '../storage/helpers.js';

const pieceBytes = 512;
const normal = (index: number, command: MetaCommand): Entry => ({
  index,
  term: 1,
  type: 'normal',
  data: encodeCommand(command),
});
const put = (index: number, key: string): Entry =>
  normal(index, { type: 'putObject', key, value: inline(`${key}`.repeat(20)), requestId: '' });

async function machineIn(path: string): Promise<{
  machine: MetaStateMachine;
  store: StateStore;
  files: SnapshotFiles;
}> {
  mkdirSync(path, { recursive: true });
  const store = StateStore.open(join(path, 'state'));
  const files = await SnapshotFiles.open(new RealDisk(), join(path, 'snapshots'));
  return {
    machine: new MetaStateMachine(store, { snapshots: { files, pieceBytes } }),
    store,
    files,
  };
}

test('a capture written while entries apply holds its index only; another node installs it', async () => {
  const directory = temporaryDirectory('streamed-snapshot');
  const leader = await machineIn(join(directory.path, 'leader'));
  const follower = await machineIn(join(directory.path, 'follower'));
  try {
    await leader.machine.writeFoundingState({ voters: ['n1', 'n2', 'n3'], learners: [] });
    await leader.machine.apply([normal(2, bootstrapThree)]);
    const entries = Array.from({ length: 300 }, (_, i) => put(i + 3, `o/${i}`));
    await leader.machine.apply(entries);
    const begun = leader.machine.beginCapture();
    assert.is(begun.index, 302);
    await leader.machine.apply([put(303, 'late/1'), put(304, 'late/2')]);
    const data = await begun.save();
    assert.is(
      data.length,
      snapshotReferenceBytes,
      'the Raft snapshot is a reference, not the state',
    );
    const reference = decodeSnapshotReference(data);
    assert.ok(reference !== null && reference.index === 302);
    assert.ok(
      reference.bytes > 50 * pieceBytes,
      `the file is many pieces (${reference.bytes} bytes)`,
    );
    // The file travels (here: copied), then the follower installs from it.
    const path = leader.files.pathOf(reference);
    copyFileSync(path, follower.files.pathOf(reference));
    await follower.machine.installSnapshot({
      metadata: { index: 302, term: 1, confState: begun.confState },
      data,
    });
    assert.is(follower.store.appliedIndex(), 302);
    const reader = follower.machine.reader();
    for (let i = 0; i < 300; i++) assert.ok(getObject(reader, `o/${i}`) !== undefined, `o/${i}`);
    assert.is(getObject(reader, 'late/1'), undefined, 'nothing applied after the capture');
    assert.ok(getObject(leader.machine.reader(), 'late/1') !== undefined);
    assert.equal(follower.machine.confState(), { voters: ['n1', 'n2', 'n3'], learners: [] });
  } finally {
    await leader.store.close();
    await follower.store.close();
    directory.remove();
  }
});

test('a restart reuses the newest file when it is the state at the applied index', async () => {
  const directory = temporaryDirectory('streamed-snapshot');
  const node = await machineIn(directory.path);
  try {
    await node.machine.writeFoundingState({ voters: ['n1'], learners: [] });
    await node.machine.apply([put(2, 'a'), put(3, 'b')]);
    const first = await node.machine.capture();
    const again = await node.machine.capture();
    assert.equal(again.data, first.data, 'the same file, described again');
    assert.is((await node.files.list()).length, 1, 'no second file');
    await node.machine.apply([put(4, 'c')]);
    const later = await node.machine.capture();
    assert.is(decodeSnapshotReference(later.data)?.index, 4);
    assert.is((await node.files.list()).length, 2);
  } finally {
    await node.store.close();
    directory.remove();
  }
});

test.run();
