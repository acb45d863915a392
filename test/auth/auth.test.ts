// Authentication and access control with real `cairn serve` processes (issue 14):
// `cairn bootstrap --auth` and the auth commands, then every refusal the issue names —
// no token, a wrong, expired or revoked token, a read-only token writing or deleting,
// access outside the token's prefix, a listing that must not show keys outside it, a
// txn whose compare touches a key outside it, a forged x-cairn-forwarded-by from a
// client, a forward to the leader's peer port without a token — each answered with the
// right status and code AND changing nothing: a digest of every object version is the
// same before and after. A follower forwards a write with its caller's token, and the
// leader checks it.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { CairnClient } from '../../src/client/index.js';
import { clusterStatus } from '../../src/client/lifecycle.js';
import { TestCluster } from '../cluster/harness.js';
import { waitFor } from '../helpers/wait.js';

interface Context {
  cluster?: TestCluster;
  root?: string;
  tokens?: Record<string, string>;
}
const test = suite<Context>('auth cluster', {});

function tokenClient(cluster: TestCluster, token: string | undefined): CairnClient {
  return new CairnClient({
    endpoints: cluster.endpoints(),
    retryAttemptsMax: 4,
    requestTimeoutMilliseconds: 10_000,
    ...(token === undefined ? {} : { token }),
  });
}

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string;
  readonly body: string;
}

/** One raw HTTP request (no client retries): what an attacker's curl would get. */
async function send(
  address: string,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const answer = await request(`http://${address}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await answer.body.text();
  let code: string | undefined;
  let message = '';
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code;
    message = parsed.error?.message ?? '';
  } catch {
    // not JSON (an object's bytes, a metrics page)
  }
  return { status: answer.statusCode, code, message, body: text };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every object version in the cluster, as root sees it: what no refusal may change. */
async function digest(cluster: TestCluster, root: string): Promise<string> {
  const client = tokenClient(cluster, root);
  const hash = createHash('sha256');
  try {
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const listed = await client.listObjects({ ...(after === undefined ? {} : { after }) });
      for (const item of listed.items) hash.update(`${item.key} ${item.version} ${item.sha256}\n`);
      if (listed.nextAfter === null) break;
      after = listed.nextAfter;
    }
  } finally {
    await client.close();
  }
  return hash.digest('hex');
}

/** The leader's id, asked with root's token (the harness asks without one). */
async function leaderOf(cluster: TestCluster, root: string): Promise<string> {
  const client = tokenClient(cluster, root);
  try {
    return await waitFor(
      'a leader',
      async () => (await clusterStatus(client)).leaderId ?? undefined,
      { timeoutMilliseconds: 20_000, intervalMilliseconds: 100 },
    );
  } finally {
    await client.close();
  }
}

function cliJson(cluster: TestCluster, args: string[]): unknown {
  const result = cluster.cli([...args, '--json']);
  assert.is(result.code, 0, `${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout);
}

test.before(async (context) => {
  const cluster = await TestCluster.startUnformed('auth', 3);
  context.cluster = cluster;
  const rootFile = join(cluster.directory, 'root.token');
  const formed = cluster.cli(['bootstrap', '--auth', '--root-token-file', rootFile]);
  assert.is(formed.code, 0, formed.stderr);
  assert.is(statSync(rootFile).mode & 0o777, 0o600, 'the root token file is 0600');
  assert.not.ok(formed.stdout.includes('cairn_'), 'a token written to a file is not printed');
  const root = readFileSync(rootFile, 'utf8').trim();
  context.root = root;
  const as = ['--token-file', rootFile];
  for (const args of [
    ['auth', 'role', 'add', 'logreader'],
    ['auth', 'role', 'grant', 'logreader', 'read,list:logs/'],
    ['auth', 'role', 'add', 'logwriter'],
    ['auth', 'role', 'grant', 'logwriter', 'all:logs/'],
    ['auth', 'user', 'add', 'alice'],
    ['auth', 'user', 'grant-role', 'alice', 'logreader'],
    ['auth', 'user', 'add', 'bob'],
    ['auth', 'user', 'grant-role', 'bob', 'logwriter'],
  ])
    cliJson(cluster, [...args, ...as]);
  const create = (extra: string[]) =>
    (cliJson(cluster, ['auth', 'token', 'create', ...extra, ...as]) as { token: string }).token;
  context.tokens = {
    alice: create(['--user', 'alice']),
    bob: create(['--user', 'bob']),
    bobReadOnly: create(['--user', 'bob', '--scope', 'read,list:logs/']),
    bobAppOnly: create(['--user', 'bob', '--scope', 'all:logs/app/']),
    revoked: create(['--user', 'bob', '--description', 'to revoke']),
    // Last: a token made after it expired would drop its record (then "unknown").
    expiring: create(['--user', 'bob', '--expires-in', '1s']),
  };
  // The data every refusal below must leave alone, written with root's token.
  const client = tokenClient(cluster, root);
  try {
    for (const key of ['logs/a', 'logs/b', 'logs/app/1', 'secret/x', 'secret/y'])
      await client.putObject(key, Buffer.from(`value of ${key}`));
  } finally {
    await client.close();
  }
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('whoami names the user, its permissions and a token scope', (context) => {
  const cluster = context.cluster as TestCluster;
  const tokens = context.tokens as Record<string, string>;
  const me = cliJson(cluster, ['auth', 'whoami', '--token', tokens['bobReadOnly'] as string]) as {
    user: string;
    permissions: string[];
    scope: string[];
  };
  assert.is(me.user, 'bob');
  assert.equal(me.permissions, ['read,list,write,delete,lock,monitor,admin:logs/']);
  assert.equal(me.scope, ['read,list:logs/']);
  const root = cliJson(cluster, ['auth', 'whoami', '--token', context.root as string]) as {
    user: string;
  };
  assert.is(root.user, 'root');
});

test('lists show users, roles and tokens, never a secret; root cannot be removed', (context) => {
  const cluster = context.cluster as TestCluster;
  const as = ['--token', context.root as string];
  const users = cliJson(cluster, ['auth', 'user', 'list', ...as]) as {
    name: string;
    roles: string[];
  }[];
  assert.equal(users.find((user) => user.name === 'alice')?.roles, ['logreader']);
  const roles = cliJson(cluster, ['auth', 'role', 'list', ...as]) as {
    name: string;
    permissions: string[];
  }[];
  assert.equal(roles.find((role) => role.name === 'logreader')?.permissions, ['read,list:logs/']);
  const listed = cluster.cli(['auth', 'token', 'list', ...as, '--json']);
  assert.is(listed.code, 0, listed.stderr);
  assert.not.ok(listed.stdout.includes('cairn_'), 'no token secret is ever listed');
  const tokens = JSON.parse(listed.stdout) as { user: string; scope: string[] | null }[];
  assert.ok(tokens.some((token) => token.user === 'bob' && token.scope?.[0] === 'read,list:logs/'));
  const removeRoot = cluster.cli(['auth', 'user', 'rm', 'root', ...as, '--json']);
  assert.is(removeRoot.code, 1, removeRoot.stdout);
  assert.match(removeRoot.stdout + removeRoot.stderr, /CONFLICT/);
  const noAdmin = cluster.cli([
    'auth',
    'user',
    'add',
    'mallory',
    '--token',
    (context.tokens as Record<string, string>)['alice'] as string,
  ]);
  assert.is(noAdmin.code, 1);
  assert.match(noAdmin.stderr, /PERMISSION_DENIED/);
});

test('allowed: a follower forwards a write with its caller token; the leader checks it', async (context) => {
  const cluster = context.cluster as TestCluster;
  const tokens = context.tokens as Record<string, string>;
  const leader = await leaderOf(cluster, context.root as string);
  const follower = cluster.nodes.find((node) => node.name !== leader);
  assert.ok(follower);
  const put = await send(
    follower.clientAddress,
    'PUT',
    '/v1/objects/logs/by-bob',
    bearer(tokens['bob'] as string),
    'hi',
  );
  assert.is(put.status, 200, put.body);
  const outside = await send(
    follower.clientAddress,
    'PUT',
    '/v1/objects/secret/by-bob',
    bearer(tokens['bob'] as string),
    'no',
  );
  assert.is(outside.status, 403, outside.body);
  assert.is(outside.code, 'PERMISSION_DENIED');
  assert.match(outside.message, /write on "secret\/by-bob"/);
  const read = await send(
    follower.clientAddress,
    'GET',
    '/v1/objects/logs/by-bob',
    bearer(tokens['alice'] as string),
  );
  assert.is(read.status, 200);
  assert.is(read.body, 'hi');
});

test('every refusal has its status and code and changes nothing', async (context) => {
  const cluster = context.cluster as TestCluster;
  const root = context.root as string;
  const tokens = context.tokens as Record<string, string>;
  const before = await digest(cluster, root);
  const leaderId = await leaderOf(cluster, root);
  const leader = cluster.node(leaderId);
  const anyNode = cluster.nodes[0]?.clientAddress as string;
  // The expired token: wait (bounded) until it is past its expiry.
  await waitFor(
    'the 1 s token to expire',
    async () =>
      (await send(anyNode, 'GET', '/v1/objects/logs/a', bearer(tokens['expiring'] as string)))
        .status === 401 || undefined,
    { timeoutMilliseconds: 10_000, intervalMilliseconds: 200 },
  );
  const revoked = tokens['revoked'] as string;
  const revokedId = revoked.split('_')[1] as string;
  cliJson(cluster, ['auth', 'token', 'revoke', revokedId, '--token', root]);
  // A follower refuses a revoked token once it applied the revocation (bounded wait).
  for (const node of cluster.nodes)
    await waitFor(
      `${node.name} to refuse the revoked token`,
      async () =>
        (await send(node.clientAddress, 'GET', '/v1/objects/logs/a', bearer(revoked))).status ===
          401 || undefined,
      { timeoutMilliseconds: 5_000, intervalMilliseconds: 50 },
    );
  const wrong = `cairn_${revokedId}_${'A'.repeat(43)}`;
  const aliceId = (tokens['alice'] as string).split('_')[1] as string;
  const wrongSecret = `cairn_${aliceId}_${'B'.repeat(43)}`;
  const txn = (compareKey: string, putKey: string) =>
    JSON.stringify({
      compare: [{ key: compareKey, target: 'exists', operator: '=', value: true }],
      success: [{ type: 'put', key: putKey, value: 'eA==' }],
      failure: [{ type: 'delete', key: 'logs/a' }],
    });
  const cases: [string, () => Promise<Answer>, number, string, RegExp?][] = [
    [
      'no token: put',
      () => send(anyNode, 'PUT', '/v1/objects/logs/a', {}, 'x'),
      401,
      'UNAUTHENTICATED',
    ],
    ['no token: get', () => send(anyNode, 'GET', '/v1/objects/logs/a'), 401, 'UNAUTHENTICATED'],
    ['no token: list', () => send(anyNode, 'GET', '/v1/objects'), 401, 'UNAUTHENTICATED'],
    [
      'no token: remove a member',
      () => send(anyNode, 'DELETE', '/v1/cluster/members/n2'),
      401,
      'UNAUTHENTICATED',
    ],
    ['no token: metrics', () => send(anyNode, 'GET', '/metrics'), 401, 'UNAUTHENTICATED'],
    [
      'garbage token',
      () => send(anyNode, 'DELETE', '/v1/objects/logs/a', bearer('hunter2')),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'basic auth',
      () => send(anyNode, 'DELETE', '/v1/objects/logs/a', { authorization: 'Basic cm9vdDpyb290' }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'wrong secret of a real id',
      () => send(anyNode, 'PUT', '/v1/objects/logs/a', bearer(wrongSecret), 'x'),
      401,
      'UNAUTHENTICATED',
      /unknown, expired or revoked/,
    ],
    [
      'revoked token',
      () => send(anyNode, 'PUT', '/v1/objects/logs/a', bearer(revoked), 'x'),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'revoked id, another secret',
      () => send(anyNode, 'PUT', '/v1/objects/logs/a', bearer(wrong), 'x'),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'expired token',
      () => send(anyNode, 'PUT', '/v1/objects/logs/a', bearer(tokens['expiring'] as string), 'x'),
      401,
      'UNAUTHENTICATED',
      /expired/,
    ],
    [
      'read-only token writes',
      () =>
        send(anyNode, 'PUT', '/v1/objects/logs/a', bearer(tokens['bobReadOnly'] as string), 'x'),
      403,
      'PERMISSION_DENIED',
      /needs write on "logs\/a"/,
    ],
    [
      'read-only token deletes',
      () => send(anyNode, 'DELETE', '/v1/objects/logs/a', bearer(tokens['bobReadOnly'] as string)),
      403,
      'PERMISSION_DENIED',
      /needs delete on "logs\/a"/,
    ],
    [
      'read-only user deletes',
      () => send(anyNode, 'DELETE', '/v1/objects/logs/b', bearer(tokens['alice'] as string)),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'outside the prefix: read',
      () => send(anyNode, 'GET', '/v1/objects/secret/x', bearer(tokens['alice'] as string)),
      403,
      'PERMISSION_DENIED',
      /read on "secret\/x"/,
    ],
    [
      'outside the token scope: write',
      () => send(anyNode, 'PUT', '/v1/objects/logs/b', bearer(tokens['bobAppOnly'] as string), 'x'),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'listing a prefix outside',
      () => send(anyNode, 'GET', '/v1/objects?prefix=secret/', bearer(tokens['alice'] as string)),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'watching a prefix outside',
      () => send(anyNode, 'GET', '/v1/watch?prefix=', bearer(tokens['alice'] as string)),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'txn comparing a key outside',
      () =>
        send(
          anyNode,
          'POST',
          '/v1/txn',
          { ...bearer(tokens['bob'] as string), 'content-type': 'application/json' },
          txn('secret/x', 'logs/t'),
        ),
      403,
      'PERMISSION_DENIED',
      /read on "secret\/x"/,
    ],
    [
      'txn writing a key outside',
      () =>
        send(
          anyNode,
          'POST',
          '/v1/txn',
          { ...bearer(tokens['bob'] as string), 'content-type': 'application/json' },
          txn('logs/a', 'secret/t'),
        ),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'admin route without admin',
      () => send(anyNode, 'DELETE', '/v1/cluster/members/n2', bearer(tokens['bob'] as string)),
      403,
      'PERMISSION_DENIED',
      /admin on every key/,
    ],
    [
      'token of another user by a non-admin',
      () =>
        send(
          anyNode,
          'POST',
          '/v1/auth/tokens',
          { ...bearer(tokens['bob'] as string), 'content-type': 'application/json' },
          '{"user":"root"}',
        ),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'metrics without monitor',
      () => send(anyNode, 'GET', '/metrics', bearer(tokens['alice'] as string)),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'forged x-cairn-forwarded-by from a client',
      () =>
        send(
          anyNode,
          'PUT',
          '/v1/objects/secret/x',
          { 'x-cairn-forwarded-by': 'n1', 'x-cairn-caller': '127.0.0.1' },
          'x',
        ),
      403,
      'PERMISSION_DENIED',
      /only cluster nodes send/,
    ],
    [
      'forged forward with a weak token',
      () =>
        send(anyNode, 'DELETE', '/v1/objects/secret/x', {
          ...bearer(tokens['alice'] as string),
          'x-cairn-forwarded-by': leaderId,
        }),
      403,
      'PERMISSION_DENIED',
    ],
    [
      'a forward to the leader peer port without a token',
      () =>
        send(
          leader.peerAddress,
          'PUT',
          '/peer/v1/forward/v1/objects/secret/x',
          { 'x-cairn-forwarded-by': 'n9' },
          'x',
        ),
      401,
      'UNAUTHENTICATED',
    ],
  ];
  for (const [what, run, status, code, message] of cases) {
    const answer = await run();
    assert.is(answer.status, status, `${what}: ${answer.body}`);
    assert.is(answer.code, code, what);
    if (message !== undefined) assert.match(answer.message, message, `${what}: ${answer.message}`);
    assert.not.ok(/secret\/y/.test(answer.body), `${what}: no answer names a key outside`);
  }
  assert.is(await digest(cluster, root), before, 'no refusal changed any object');
});

test('a listing shows only keys the caller may list; health stays open', async (context) => {
  const cluster = context.cluster as TestCluster;
  const tokens = context.tokens as Record<string, string>;
  const node = cluster.nodes[1]?.clientAddress as string;
  const listed = await send(node, 'GET', '/v1/objects', bearer(tokens['alice'] as string));
  assert.is(listed.status, 200, listed.body);
  const keys = (JSON.parse(listed.body) as { items: { key: string }[] }).items.map((i) => i.key);
  assert.ok(keys.includes('logs/a') && keys.includes('logs/app/1'), keys.join(','));
  assert.ok(
    keys.every((key) => key.startsWith('logs/')),
    `only logs/: ${keys.join(',')}`,
  );
  const scoped = await send(
    node,
    'GET',
    '/v1/objects?prefix=logs/',
    bearer(tokens['bobAppOnly'] as string),
  );
  const scopedKeys = (JSON.parse(scoped.body) as { items: { key: string }[] }).items.map(
    (i) => i.key,
  );
  assert.equal(scopedKeys, ['logs/app/1'], 'the token scope narrows the listing too');
  for (const path of ['/livez', '/readyz'])
    assert.is((await send(node, 'GET', path)).status, 200, `${path} needs no token`);
  const metrics = await send(node, 'GET', '/metrics', bearer(context.root as string));
  assert.is(metrics.status, 200);
  const noToken = cluster.cli(['ls']);
  assert.is(noToken.code, 1, 'cairn ls without a token fails');
  assert.match(noToken.stderr, /UNAUTHENTICATED/);
  const withToken = cluster.cli(['ls', '--token', tokens['alice'] as string, '--json']);
  assert.is(withToken.code, 0, withToken.stderr);
  assert.not.ok(withToken.stdout.includes('secret/'), withToken.stdout);
});

test.run();
