// cairn lock on real processes: exit codes 0 / the child's / 75 / 76, the child's
// environment, fenced writes from the child, and the loss case: the CLI's connections
// are cut (a TCP proxy) while it keeps running; its child's whole process group must
// be dead before another acquirer is granted the lock.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkProxy } from '../../src/chaos/proxy.js';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('locks');
const entry = new URL('../../bin/run.js', import.meta.url).pathname;
const node = process.execPath;

test.before(async (context) => {
  try {
    context.cluster = await TestCluster.start('locks', 3);
    await context.cluster.waitForLeader();
  } catch (error) {
    console.error('the cluster did not start:', error); // uvu would hide why
    throw error;
  }
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

function started(cluster: TestCluster, args: readonly string[], endpoints = cluster.endpoints()) {
  const child = spawn(node, [entry, ...args], {
    env: { ...process.env, NO_COLOR: '1', CAIRN_ENDPOINTS: endpoints, CAIRN_FENCE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    output.stdout += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output, exited };
}

test('the child runs with the lock in its environment; its exit code passes through', async (context) => {
  const cluster = context.cluster as TestCluster;
  const script =
    'const e = process.env; console.log(JSON.stringify([e.CAIRN_LOCK_NAME, e.CAIRN_LOCK_TOKEN, e.CAIRN_FENCE]))';
  const ran = cluster.cli(['lock', 'env-lock', '--', node, '-e', script]);
  assert.is(ran.code, 0, ran.stderr);
  const [name, token, fence] = JSON.parse(ran.stdout.trim().split('\n').pop() as string);
  assert.is(name, 'env-lock');
  assert.match(token, /^[1-9][0-9]*$/);
  assert.is(fence, `env-lock=${token}`);
  const failing = cluster.cli(['lock', 'env-lock', '--', node, '-e', 'process.exit(7)']);
  assert.is(failing.code, 7, failing.stderr);
});

test('a write from the holder carries the fence by itself; a stale fence is refused', async (context) => {
  const cluster = context.cluster as TestCluster;
  const script = `const r = require('node:child_process').spawnSync(${JSON.stringify(node)}, [${JSON.stringify(entry)}, 'put', 'fenced/key', '-'], { input: 'one', encoding: 'utf8' }); process.stdout.write(process.env.CAIRN_FENCE + '\\n'); process.exit(r.status);`;
  const ran = cluster.cli(['lock', 'fence-lock', '--', node, '-e', script]);
  assert.is(ran.code, 0, ran.stderr);
  const fence = ran.stdout.trim().split('\n').pop() as string;
  const stale = cluster.cli(
    ['put', 'fenced/key', '-', '--fence', fence, '--json'],
    Buffer.from('two'),
  );
  assert.is(stale.code, 1, stale.stderr);
  assert.match(stale.stdout + stale.stderr, /CAIRN_ERR_FENCED/);
  const read = cluster.cli(['get', 'fenced/key', '-']);
  assert.is(read.stdout, 'one', 'nothing changed');
  const removed = cluster.cli(['rm', 'fenced/key', '--fence', fence]);
  assert.is(removed.code, 1);
  assert.match(removed.stderr, /FENCED/);
});

test('75 when not acquired within --timeout; a holder without a command holds until SIGTERM', async (context) => {
  const cluster = context.cluster as TestCluster;
  const holder = started(cluster, ['lock', 'busy-lock', '--ttl', '5s']);
  await waitFor('the holder to print its token', () => /token \d+/.test(holder.output.stdout), {
    timeoutMilliseconds: 20_000,
  });
  const waiter = cluster.cli(['lock', 'busy-lock', '--timeout', '1s', '--json', '--', 'true']);
  assert.is(waiter.code, 75, waiter.stderr);
  assert.match(waiter.stderr, /not acquired/);
  assert.match(waiter.stdout, /"event":"not-acquired"/);
  holder.child.kill('SIGTERM');
  assert.is(await holder.exited, 0, holder.output.stderr);
  const after = cluster.cli(['lock', 'busy-lock', '--timeout', '10s', '--', 'true']);
  assert.is(after.code, 0, after.stderr);
});

test('76 on loss: the child process group is dead before anyone else gets the lock', async (context) => {
  const cluster = context.cluster as TestCluster;
  // Through the leader: the CLI sends its writes to the leader it learns, which would
  // bypass a proxy in front of a follower.
  const leader = await cluster.waitForLeader();
  const target = cluster.nodes.find((node) => node.name === leader)?.clientAddress as string;
  const [host, port] = target.split(':') as [string, string];
  const proxy = await LinkProxy.start('cli', 'n1', '127.0.0.1', { host, port: Number(port) });
  const marks = join(cluster.directory, 'lost-group.json');
  try {
    // The child starts a grandchild in its group, records both, then runs forever.
    const script = `const { spawn } = require('node:child_process'); const g = spawn(${JSON.stringify(node)}, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('node:fs').writeFileSync(${JSON.stringify(marks)}, JSON.stringify({ pid: process.pid, grandchild: g.pid })); setInterval(() => {}, 1000);`;
    const holder = started(
      cluster,
      ['lock', 'lost-lock', '--ttl', '3s', '--', node, '-e', script],
      proxy.address,
    );
    await waitFor('the child to start', () => existsSync(marks), { timeoutMilliseconds: 20_000 });
    const { pid, grandchild } = JSON.parse(readFileSync(marks, 'utf8')) as {
      pid: number;
      grandchild: number;
    };
    proxy.setMode('blackhole');
    // Another acquirer: when its child runs, the first group must be gone.
    // A zombie (dead, not yet reaped by an init that may never reap) counts as dead.
    const check = `const fs = require('node:fs'); const alive = []; for (const p of [${pid}, ${grandchild}]) { try { const state = fs.readFileSync('/proc/' + p + '/stat', 'utf8').split(') ')[1][0]; if (state !== 'Z') alive.push(p); } catch {} } console.log(JSON.stringify({ alive }));`;
    const next = started(cluster, [
      'lock',
      'lost-lock',
      '--timeout',
      '30s',
      '--',
      node,
      '-e',
      check,
    ]);
    const code = await holder.exited;
    assert.is(code, 76, holder.output.stderr);
    assert.match(holder.output.stderr, /lost/);
    assert.is(await next.exited, 0, next.output.stderr);
    const report = JSON.parse(next.output.stdout.trim().split('\n').pop() as string) as {
      alive: number[];
    };
    assert.equal(
      report.alive,
      [],
      'the lost holder and its grandchild were dead before the next grant',
    );
  } finally {
    await proxy.close();
  }
});

test('objects put with a lease vanish once it expires, not before its TTL', async (context) => {
  const cluster = context.cluster as TestCluster;
  const started = performance.now();
  const granted = cluster.cli(['lease', 'grant', '--ttl', '3s', '--json']);
  assert.is(granted.code, 0, granted.stderr);
  const id = String(JSON.parse(granted.stdout).id);
  const put = cluster.cli(['put', 'leased/a', '-', '--lease', id], Buffer.from('a'));
  assert.is(put.code, 0, put.stderr);
  const checked = performance.now();
  const read = cluster.cli(['stat', 'leased/a']);
  // Anything checked before grant + TTL must still be there (bound 1).
  if (checked - started < 2_800) assert.is(read.code, 0, 'alive before its TTL');
  await waitFor('the leased object to vanish', () => cluster.cli(['stat', 'leased/a']).code === 1, {
    timeoutMilliseconds: 15_000,
    intervalMilliseconds: 200,
  });
  assert.ok(performance.now() - started >= 3_000, 'not before grant + TTL');
  const unknown = cluster.cli(['put', 'leased/b', '-', '--lease', id], Buffer.from('b'));
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /NOT_FOUND/);
});

test.run();
