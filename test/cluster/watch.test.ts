// Watch on real nodes: a watcher on one node sees every committed put exactly once, in
// revision order, across a restart of that node (the client resumes from the last
// whole revision); list-then-watch from the listing's revision + 1 misses nothing;
// `cairn watch` prints events and runs a command per event; a node that loses its
// leader ends its watches with a final line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import type { WatchLine } from '../../src/api/index.js';
import type { WatchItem } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('watch');

test.before(async (context) => {
  context.cluster = await TestCluster.start('watch', 3);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('a watch resumes across a restart of its node with no gap and no duplicate', async (context) => {
  const cluster = context.cluster as TestCluster;
  await cluster.waitForLeader();
  const writer = cluster.client();
  const watcherClient = cluster.client([cluster.node('n2')]);
  const committed: number[] = [];
  const seen: number[] = [];
  const resumes: string[] = [];
  const total = 300;
  try {
    // List first: the listing's revision + 1 is where the watch starts (list-then-watch).
    await writer.putObject('w/before', Buffer.from('x'));
    const listed = await watcherClient.listObjects({ prefix: 'w/' });
    assert.is(listed.items.length, 1);
    const from = (listed.revision as number) + 1;
    const items = watcherClient.watch('w/', {
      fromRevision: from,
      onResume: (revision, reason) => resumes.push(`${revision} ${reason}`),
    });
    const reading = (async () => {
      for await (const item of items as AsyncGenerator<WatchItem>) {
        if (item.kind !== 'revision') continue;
        for (const event of item.events) seen.push(event.revision);
        if (seen.length >= total) return;
      }
    })();
    for (let index = 0; index < total; index++) {
      if (index === 100) await cluster.restart('n2');
      const answer = await writer.putObject(`w/${index % 40}`, Buffer.from(`v${index}`));
      committed.push(answer.version);
    }
    await Promise.race([
      reading,
      waitFor('the watcher to see every put', () => seen.length >= total, {
        timeoutMilliseconds: 60_000,
        intervalMilliseconds: 50,
      }),
    ]);
    await reading;
  } finally {
    await writer.close();
    await watcherClient.close();
  }
  assert.ok(resumes.length >= 1, 'the watch resumed after the restart');
  assert.equal(seen, committed, 'every committed put once, in revision order');
});

test('cairn watch prints JSON lines from the oldest retained and runs a command per event', (context) => {
  const cluster = context.cluster as TestCluster;
  const file = join(cluster.directory, 'per-event.txt');
  const printed = cluster.cli([
    'watch',
    'w/1',
    '--from-revision',
    '1',
    '--json',
    '--max-events',
    '3',
    '--',
    'sh',
    '-c',
    `echo "$CAIRN_WATCH_REVISION $CAIRN_WATCH_TYPE $CAIRN_WATCH_KEY" >> ${file}`,
  ]);
  assert.is(printed.code, 0, printed.stderr);
  const lines = printed.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as WatchLine);
  assert.ok(lines.length >= 3);
  const ran = readFileSync(file, 'utf8').trim().split('\n');
  assert.is(ran.length, lines.length, 'one run per event');
  for (const [index, line] of lines.entries()) {
    assert.ok(line.type === 'put' && line.key.startsWith('w/1'));
    assert.is(ran[index], `${line.revision} put ${'key' in line ? line.key : ''}`);
  }
  const table = cluster.cli(['watch', 'w/2', '--from-revision', '1', '--max-events', '1']);
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /^\d+\tput\t\d+\t[0-9a-f]{12}\tw\/2/);
  const status = cluster.cli(['status']);
  assert.match(status.stdout, /history: revisions 1\.\.\d+ retained \(\d+ events/);
});

test('a node that loses its leader ends its watches with a final line', async (context) => {
  const cluster = context.cluster as TestCluster;
  const leader = await cluster.waitForLeader();
  const survivor = cluster.nodes.find((node) => node.name !== leader) as (typeof cluster.nodes)[0];
  const answer = await request(`http://${survivor.clientAddress}/v1/watch?prefix=`);
  assert.is(answer.statusCode, 200);
  const others = cluster.nodes.filter((node) => node !== survivor);
  await Promise.all(others.map((node) => cluster.kill(node.name)));
  const started = performance.now();
  let text = '';
  for await (const piece of answer.body) text += piece.toString();
  const elapsed = performance.now() - started;
  const last = JSON.parse(text.trim().split('\n').at(-1) as string) as WatchLine;
  assert.is(last.type, 'canceled');
  assert.is(last.type === 'canceled' && last.reason, 'noLeader');
  console.log(`  the watch ended ${Math.round(elapsed)} ms after its leader was gone`);
});

test.run();
