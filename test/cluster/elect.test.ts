// cairn elect on real processes: a leader holds until SIGTERM, a second candidate waits
// in line and then runs its command as leader (its exit code passes through), a third
// gives up with 75; an observer prints each new leader (and the vacancies) as JSON lines
// with increasing tokens; an attempt to write the leader's value with a stale fence is
// refused; the flags' misuse is a usage error (exit 2).
import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('elect');
const entry = new URL('../../bin/run.js', import.meta.url).pathname;
const node = process.execPath;

test.before(async (context) => {
  try {
    context.cluster = await TestCluster.start('elect', 3);
    await context.cluster.waitForLeader();
  } catch (error) {
    console.error('the cluster did not start:', error);
    throw error;
  }
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

function started(cluster: TestCluster, args: readonly string[]) {
  const child = spawn(node, [entry, ...args], {
    env: { ...process.env, NO_COLOR: '1', CAIRN_ENDPOINTS: cluster.endpoints(), CAIRN_FENCE: '' },
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

interface Observed {
  event: 'leader' | 'vacant';
  value?: string;
  token?: number;
  revision: number;
}

const observedLines = (text: string): Observed[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Observed);

test('leaders in turn, seen by an observer; exit codes 0 / the command’s / 75', async (context) => {
  const cluster = context.cluster as TestCluster;
  const observer = started(cluster, ['elect', 'scheduler', '--observe', '--timeout', '60s']);
  await waitFor(
    'the observer to print the vacancy',
    () => /"vacant"/.test(observer.output.stdout),
    {
      timeoutMilliseconds: 20_000,
    },
  );
  const first = started(cluster, ['elect', 'scheduler', '--value', 'host-a', '--ttl', '3s']);
  await waitFor(
    'host-a to lead',
    () => /scheduler leader host-a token \d+/.test(first.output.stdout),
    {
      timeoutMilliseconds: 20_000,
    },
  );
  const script =
    'const e = process.env; console.log(JSON.stringify([e.CAIRN_LOCK_NAME, e.CAIRN_FENCE])); process.exit(3)';
  const second = started(cluster, [
    'elect',
    'scheduler',
    '--value',
    'host-b',
    '--timeout',
    '30s',
    '--',
    node,
    '-e',
    script,
  ]);
  const third = cluster.cli([
    'elect',
    'scheduler',
    '--value',
    'host-c',
    '--timeout',
    '1s',
    '--json',
  ]);
  assert.is(third.code, 75, third.stderr);
  assert.match(third.stderr, /not elected/);
  assert.match(third.stdout, /"event":"not-acquired"/);
  first.child.kill('SIGTERM');
  assert.is(await first.exited, 0, first.output.stderr);
  assert.is(await second.exited, 3, second.output.stderr);
  const [lockName, fence] = JSON.parse(second.output.stdout.trim().split('\n').pop() as string);
  assert.is(lockName, 'election/scheduler');
  assert.match(fence, /^election\/scheduler=\d+$/);
  await waitFor(
    'the observer to see host-b and then the vacancy',
    () =>
      observedLines(observer.output.stdout).filter((line) => line.event === 'vacant').length >= 3,
    { timeoutMilliseconds: 20_000 },
  );
  observer.child.kill('SIGINT');
  assert.is(await observer.exited, 0, observer.output.stderr);
  const lines = observedLines(observer.output.stdout);
  const leaders = lines.filter((line) => line.event === 'leader');
  assert.equal(
    leaders.map((line) => line.value),
    ['host-a', 'host-b'],
    observer.output.stdout,
  );
  assert.ok((leaders[0]?.token ?? 0) < (leaders[1]?.token ?? 0), 'tokens increase');
  const revisions = lines.map((line) => line.revision);
  assert.equal(
    revisions,
    [...revisions].sort((left, right) => left - right),
    'in revision order',
  );
  // The first leader's fence no longer holds: its value cannot be written again.
  const stale = cluster.cli(
    [
      'put',
      '.cairn/elections/scheduler',
      '-',
      '--fence',
      `election/scheduler=${leaders[0]?.token}`,
    ],
    Buffer.from('{"value":"host-a"}'),
  );
  assert.is(stale.code, 1);
  assert.match(stale.stderr, /FENCED/);
});

test('cairn lock list shows holders with tokens and waiters in line', async (context) => {
  const cluster = context.cluster as TestCluster;
  const holder = started(cluster, ['lock', 'listed/a', '--ttl', '5s']);
  await waitFor('the holder', () => /token \d+/.test(holder.output.stdout), {
    timeoutMilliseconds: 20_000,
  });
  const waiter = started(cluster, ['lock', 'listed/a', '--timeout', '30s', '--', 'true']);
  type Listed = { items: { name: string; holders: { token?: number }[]; waiters: unknown[] }[] };
  const listed = await waitFor(
    'one holder and one waiter listed',
    () => {
      const ran = cluster.cli(['lock', 'list', '--prefix', 'listed/', '--json']);
      const list = JSON.parse(ran.stdout) as Listed;
      const lock = list.items[0];
      return lock?.holders.length === 1 && lock.waiters.length === 1 ? list : undefined;
    },
    { timeoutMilliseconds: 20_000, intervalMilliseconds: 300 },
  );
  assert.equal(
    listed.items.map((lock) => lock.name),
    ['listed/a'],
  );
  const token = /token (\d+)/.exec(holder.output.stdout)?.[1];
  assert.is(String(listed.items[0]?.holders[0]?.token), token);
  const table = cluster.cli(['lock', 'list']);
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /listed\/a[\s│]+exclusive[\s│]+holds/);
  assert.match(table.stdout, /listed\/a[\s│]+exclusive[\s│]+waits #1/);
  holder.child.kill('SIGTERM');
  assert.is(await holder.exited, 0, holder.output.stderr);
  assert.is(await waiter.exited, 0, waiter.output.stderr);
  const after = JSON.parse(cluster.cli(['lock', 'list', '--prefix', 'listed/', '--json']).stdout);
  assert.equal(after.items, [], 'released locks are not listed');
});

test('misuse is a usage error', async (context) => {
  const cluster = context.cluster as TestCluster;
  const neither = cluster.cli(['elect', 'scheduler']);
  assert.is(neither.code, 2, neither.stderr);
  assert.match(neither.stderr, /--value VALUE to campaign, or --observe/);
  const both = cluster.cli(['elect', 'scheduler', '--observe', '--', 'true']);
  assert.is(both.code, 2, both.stderr);
  const large = cluster.cli(['elect', 'scheduler', '--value', 'x'.repeat(5000)]);
  assert.is(large.code, 2, large.stderr);
  assert.match(large.stderr, /electionValueBytesMax/);
});

test.run();
