import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Progress } from '../../src/raft/progress.js';

function progress(match: number, next: number): Progress {
  return new Progress({
    match,
    next,
    isLearner: false,
    inflightMessagesMax: 2,
    inflightBytesMax: 1000,
  });
}

test('probe: one append until an answer', () => {
  const p = progress(0, 5);
  assert.is(p.state, 'probe');
  assert.not.ok(p.isPaused());
  p.sentAppend(3, 7, 30);
  assert.ok(p.isPaused(), 'probe pauses after one append');
  assert.is(p.next, 5, 'probe does not move next optimistically');
});

test('maybeUpdate moves match and next, unpauses the probe', () => {
  const table: {
    match: number;
    next: number;
    ack: number;
    updated: boolean;
    newMatch: number;
    newNext: number;
  }[] = [
    { match: 3, next: 5, ack: 2, updated: false, newMatch: 3, newNext: 5 },
    { match: 3, next: 5, ack: 3, updated: false, newMatch: 3, newNext: 5 },
    { match: 3, next: 5, ack: 4, updated: true, newMatch: 4, newNext: 5 },
    { match: 3, next: 5, ack: 8, updated: true, newMatch: 8, newNext: 9 },
  ];
  for (const row of table) {
    const p = progress(row.match, row.next);
    p.sentAppend(1, row.next, 10);
    assert.is(p.maybeUpdate(row.ack), row.updated, `ack ${row.ack}`);
    assert.is(p.match, row.newMatch);
    assert.is(p.next, row.newNext);
    if (row.updated) assert.not.ok(p.isPaused());
  }
});

test('maybeDecreaseTo in probe: stale rejections are ignored, hints are used', () => {
  const table: {
    match: number;
    next: number;
    rejected: number;
    hint: number;
    decreased: boolean;
    newNext: number;
  }[] = [
    { match: 0, next: 10, rejected: 5, hint: 5, decreased: false, newNext: 10 }, // not the probe we sent
    { match: 0, next: 10, rejected: 9, hint: 9, decreased: true, newNext: 9 },
    { match: 0, next: 10, rejected: 9, hint: 3, decreased: true, newNext: 4 },
    { match: 5, next: 10, rejected: 9, hint: 1, decreased: true, newNext: 6 }, // never below match + 1
    { match: 11, next: 12, rejected: 11, hint: 0, decreased: true, newNext: 1 }, // the member lost its log
  ];
  for (const row of table) {
    const p = progress(row.match, row.next);
    assert.is(p.maybeDecreaseTo(row.rejected, row.hint), row.decreased, JSON.stringify(row));
    assert.is(p.next, row.newNext, JSON.stringify(row));
  }
});

test('maybeDecreaseTo in replicate falls back to match + 1', () => {
  const p = progress(5, 6);
  p.becomeReplicate();
  p.sentAppend(4, 10, 40);
  assert.is(p.next, 11);
  assert.not.ok(p.maybeDecreaseTo(5, 5), 'rejection at or below match is stale');
  assert.ok(p.maybeDecreaseTo(8, 7));
  assert.is(p.next, 6);
});

test('replicate pauses when inflights are full, resumes on acknowledgement', () => {
  const p = progress(0, 1);
  p.becomeReplicate();
  p.sentAppend(1, 1, 10);
  assert.not.ok(p.isPaused());
  p.sentAppend(1, 2, 10);
  assert.ok(p.isPaused());
  p.maybeUpdate(1);
  p.inflights.freeLE(1);
  assert.not.ok(p.isPaused());
});

test('snapshot state pauses; becomeProbe afterwards starts past the snapshot', () => {
  const p = progress(2, 3);
  p.becomeSnapshot(50);
  assert.ok(p.isPaused());
  assert.throws(() => p.sentAppend(1, 3, 10), /snapshot/);
  p.becomeProbe();
  assert.is(p.state, 'probe');
  assert.is(p.next, 51);
});

test.run();
