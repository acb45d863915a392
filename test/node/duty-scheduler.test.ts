// The one scheduler of periodic work: due every N ticks, leader duties only on the
// leader, at once on becoming leader when asked, never two runs of one duty at a time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DutyScheduler, ticksFor } from '../../src/node/duty-scheduler.js';

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

test('a duty runs every everyTicks ticks', async () => {
  const scheduler = new DutyScheduler(() => undefined);
  let runs = 0;
  scheduler.add({ name: 'd', everyTicks: 3, runsOn: 'every', run: async () => void runs++ });
  for (let tick = 0; tick < 9; tick++) {
    scheduler.tick(false);
    await settle();
  }
  assert.is(runs, 3);
});

test('a leader duty runs only while leading, and at once on becoming leader when it asks', async () => {
  const scheduler = new DutyScheduler(() => undefined);
  const runs: string[] = [];
  scheduler.add({
    name: 'promote',
    everyTicks: 10,
    runsOn: 'leader',
    onLeadership: true,
    run: async () => void runs.push('promote'),
  });
  scheduler.add({
    name: 'gc',
    everyTicks: 10,
    runsOn: 'leader',
    run: async () => void runs.push('gc'),
  });
  for (let tick = 0; tick < 20; tick++) scheduler.tick(false);
  await settle();
  assert.equal(runs, [], 'a follower runs no leader duty');
  scheduler.tick(true); // tick 21: became leader
  await settle();
  assert.equal(runs, ['promote'], 'only the duty that asked runs at once');
  for (let tick = 0; tick < 9; tick++) scheduler.tick(true); // tick 30
  await settle();
  assert.equal(runs, ['promote', 'promote', 'gc']);
});

test('a duty still running is not started again; a failure is reported and the duty runs again later', async () => {
  const failures: string[] = [];
  const scheduler = new DutyScheduler((name, error) => failures.push(`${name}: ${String(error)}`));
  let release: () => void = () => undefined;
  let started = 0;
  scheduler.add({
    name: 'pass',
    everyTicks: 1,
    runsOn: 'every',
    run: () => {
      started++;
      return new Promise<void>((resolve) => (release = resolve));
    },
  });
  let attempts = 0;
  scheduler.add({
    name: 'flaky',
    everyTicks: 1,
    runsOn: 'every',
    run: async () => {
      attempts++;
      if (attempts === 1) throw new Error('disk hiccup');
    },
  });
  for (let tick = 0; tick < 5; tick++) {
    scheduler.tick(false);
    await settle();
  }
  assert.is(started, 1, 'one run at a time');
  assert.ok(scheduler.isRunning('pass'));
  release();
  await settle();
  await settle();
  scheduler.tick(false);
  await settle();
  assert.is(started, 2);
  assert.equal(failures, ['flaky: Error: disk hiccup']);
  assert.is(attempts, 6, 'the failed duty ran again on the next ticks');
});

test('stop ends every further run; durations become at least one tick', async () => {
  const scheduler = new DutyScheduler(() => undefined);
  let runs = 0;
  scheduler.add({ name: 'd', everyTicks: 1, runsOn: 'every', run: async () => void runs++ });
  scheduler.stop();
  scheduler.tick(true);
  await settle();
  assert.is(runs, 0);
  assert.is(ticksFor(2_000, 100), 20);
  assert.is(ticksFor(50, 100), 1);
  assert.is(ticksFor(150, 100), 2);
});

test.run();
