// Issue 16 end to end with real `cairn serve` processes: two large staged objects
// committed atomically by one txn (CLI), kept through garbage collection while staged;
// a txn through a follower, retried through another (exactly once); the exit codes of
// `cairn txn`; outcomes by request id (found, NOT_APPLIED); a fenced txn (x-cairn-fence)
// through a follower, refused 412 FENCED once its token lost the lock (client and CLI).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CoordinationClient } from '../../src/client/coordination.js';
import { CairnClient } from '../../src/client/index.js';
import { CairnError } from '../../src/util/errors.js';
import { TestCluster, deterministicBytes } from './harness.js';

const test = suite<{ cluster?: TestCluster }>('txn cluster', {});
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const text = (value: string) => new TextEncoder().encode(value);

test.before(async (context) => {
  context.cluster = await TestCluster.start('txn', 3);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('two large staged objects appear together, and survive garbage collection while staged', async (context) => {
  const cluster = context.cluster as TestCluster;
  const sizes = [5 * 1024 * 1024 + 7, 9 * 1024 * 1024];
  const handles: string[] = [];
  const digests: string[] = [];
  for (const [index, size] of sizes.entries()) {
    const source = join(cluster.directory, `staged-${index}`);
    const bytes = deterministicBytes(100 + index, size);
    writeFileSync(source, bytes);
    digests.push(sha256(bytes));
    const staged = cluster.cli(['put', '--stage', `big/${index}`, source, '--json']);
    assert.is(staged.code, 0, staged.stderr);
    const answer = JSON.parse(staged.stdout) as { handle: string; sha256: string; size: number };
    assert.is(answer.sha256, digests[index]);
    assert.is(answer.size, size);
    handles.push(answer.handle);
  }
  const client = cluster.client();
  try {
    // Only references keep a chunk (no clock). Staged chunks must count as references.
    await client.requestJson('POST', '/v1/cluster/gc', {});
    const listedBefore = await client.listObjects({ prefix: 'big/' });
    assert.is(listedBefore.items.length, 0, 'nothing is visible before the commit');
  } finally {
    await client.close();
  }
  const body = {
    compare: [
      { key: 'big/0', target: 'exists', operator: '=', value: false },
      { key: 'big/1', target: 'version', operator: '=', value: null },
    ],
    success: handles.map((handle, index) => ({ type: 'putStaged', key: `big/${index}`, handle })),
  };
  const committed = cluster.cli(['txn', '-', '--json'], Buffer.from(JSON.stringify(body)));
  assert.is(committed.code, 0, committed.stderr);
  const answer = JSON.parse(committed.stdout) as {
    succeeded: boolean;
    revision: number;
    results: { version: number }[];
  };
  assert.ok(answer.succeeded);
  assert.equal(
    answer.results.map((result) => result.version),
    [answer.revision, answer.revision],
    'both at the revision of the one entry',
  );
  for (const [index] of sizes.entries()) {
    const target = join(cluster.directory, `read-${index}`);
    const get = cluster.cli(['get', `big/${index}`, target]);
    assert.is(get.code, 0, get.stderr);
    assert.is(sha256(readFileSync(target)), digests[index], 'content intact after gc');
  }
  const again = cluster.cli(['txn', '-'], Buffer.from(JSON.stringify(body)));
  assert.is(again.code, 1, 'the compares fail now: the keys exist');
  assert.match(again.stdout, /compares failed/);
  assert.match(again.stdout, /compare\[0\][\s│]+big\/0/);
});

test('a txn through a follower applies once; a retry through another follower replays it', async (context) => {
  const cluster = context.cluster as TestCluster;
  const leader = await cluster.waitForLeader();
  const followers = cluster.running().filter((node) => node.name !== leader);
  const clients = followers.map((node) => new CairnClient({ endpoints: node.clientAddress }));
  try {
    const [first, second] = clients as [CairnClient, CairnClient];
    const request = {
      requestId: 'transfer-1',
      compare: [{ key: 'acct/a', target: 'exists' as const, operator: '=' as const, value: false }],
      success: [
        { type: 'put' as const, key: 'acct/a', value: text('60') },
        { type: 'put' as const, key: 'acct/b', value: text('40') },
      ],
      failure: [{ type: 'get' as const, key: 'acct/a' }],
    };
    const applied = await first.txn(request);
    assert.ok(applied.succeeded);
    assert.not.ok(applied.replayed);
    const replay = await second.txn(request);
    assert.ok(replay.replayed, 'the retry answers the first outcome');
    assert.ok(replay.succeeded, 'even though the compare would fail now');
    assert.is(replay.revision, applied.revision);
    const found = await second.txnOutcome('transfer-1');
    assert.is(found.revision, applied.revision);
    try {
      await second.txnOutcome('never-sent');
      assert.unreachable('an unknown request id is not applied');
    } catch (error) {
      assert.instance(error, CairnError);
      assert.is((error as CairnError).code, 'CAIRN_ERR_NOT_APPLIED');
    }
    const head = await first.headObject('acct/b');
    assert.is(head.version, applied.revision, 'the second write is not applied twice');
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

test('cairn txn: a malformed body exits 2 naming the field; a duplicate key exits 2', async (context) => {
  const cluster = context.cluster as TestCluster;
  const malformed = cluster.cli(
    ['txn', '-'],
    Buffer.from(
      JSON.stringify({ success: [{ type: 'put', key: 'a', valueText: 'x' }, { type: 'put' }] }),
    ),
  );
  assert.is(malformed.code, 2, malformed.stderr);
  assert.match(malformed.stderr, /success\[1\]\.key/);
  const duplicate = cluster.cli(
    ['txn', '-'],
    Buffer.from(
      JSON.stringify({
        success: [
          { type: 'put', key: 'dup', valueText: 'x' },
          { type: 'delete', key: 'dup' },
        ],
      }),
    ),
  );
  assert.is(duplicate.code, 2, duplicate.stderr);
  assert.match(duplicate.stderr, /success\[1\]\.key: the key "dup" is written twice/);
});

test('a fenced txn applies while its token holds the lock, then is 412 FENCED', async (context) => {
  const cluster = context.cluster as TestCluster;
  const leader = await cluster.waitForLeader();
  const follower = cluster.running().find((node) => node.name !== leader);
  assert.ok(follower);
  const client = new CairnClient({ endpoints: follower.clientAddress });
  const coordination = new CoordinationClient(client);
  try {
    const lease = await coordination.grantLease(30_000);
    const acquired = await coordination.acquireLock('txn-fence', {
      leaseId: lease.id,
      requestId: 'fence-a',
    });
    assert.ok(acquired.granted);
    const fence = acquired.granted ? acquired.fence : '';
    const body = (key: string) => ({
      compare: [],
      success: [{ type: 'put' as const, key, value: text('1') }],
      failure: [],
    });
    const held = await client.txn(body('fenced/1'), { fence });
    assert.ok(held.succeeded, 'forwarded by the follower with its fence');
    const cliHeld = cluster.cli(
      ['txn', '-', '--fence', fence, '--json'],
      Buffer.from(
        JSON.stringify({ success: [{ type: 'put', key: 'fenced/cli', valueText: 'x' }] }),
      ),
    );
    assert.is(cliHeld.code, 0, cliHeld.stderr);
    await coordination.revokeLease(lease.id);
    try {
      await client.txn(body('fenced/2'), { fence });
      assert.unreachable('a txn under a lost lock is refused');
    } catch (error) {
      assert.instance(error, CairnError);
      assert.is((error as CairnError).code, 'CAIRN_ERR_FENCED');
    }
    const cliFenced = cluster.cli(
      ['txn', '-', '--fence', fence],
      Buffer.from(JSON.stringify({ success: [{ type: 'put', key: 'fenced/3', valueText: 'x' }] })),
    );
    assert.is(cliFenced.code, 1, cliFenced.stderr);
    assert.match(cliFenced.stderr, /FENCED|fenced/);
    for (const key of ['fenced/2', 'fenced/3'])
      try {
        await client.headObject(key);
        assert.unreachable(`${key} was not written`);
      } catch (error) {
        assert.is((error as CairnError).code, 'CAIRN_ERR_NOT_FOUND');
      }
  } finally {
    await client.close();
  }
});

test.run();
