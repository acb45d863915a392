// Issue 14, TLS, with real `cairn serve --tls-dir` processes on 127.0.0.x: a 3-node
// cluster over https through the CLI, a fourth node joined with `cairn join --node` (the
// operator issued its certificate) and removed again; the peer port refusing what is not
// a current member's node certificate; plain HTTP to TLS ports; a reload that serves the
// new certificate while an old connection stays open; and requests that break the HTTP
// framing. Every refusal is checked to change nothing (a digest of all objects).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import {
  createAuthorityFiles,
  createClientFiles,
  createNodeFiles,
} from '../../src/net/certificate-files.js';
import { type ClientTls, clientDialOptions, configureClientTls } from '../../src/net/index.js';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

interface Context {
  cluster?: TestCluster;
  certificates: string;
  otherAuthority: string;
}

const test = suite<Context>('tls', {
  certificates: mkdtempSync(join(tmpdir(), 'cairn-tls-certs-')),
  otherAuthority: mkdtempSync(join(tmpdir(), 'cairn-tls-other-')),
});
const validDays = 30;

function files(directory: string, stem: string): ClientTls {
  return {
    ca: readFileSync(join(directory, 'ca.crt'), 'utf8'),
    certificate: readFileSync(join(directory, `${stem}.crt`), 'utf8'),
    key: readFileSync(join(directory, `${stem}.key`), 'utf8'),
  };
}

function tlsArguments(context: Context): string[] {
  const directory = context.certificates;
  return [
    '--cacert',
    join(directory, 'ca.crt'),
    '--cert',
    join(directory, 'client-root.crt'),
    '--key',
    join(directory, 'client-root.key'),
  ];
}

function httpsEndpoints(cluster: TestCluster): string {
  return cluster
    .running()
    .map((node) => `https://${node.clientAddress}`)
    .join(',');
}

/** A GET with the given TLS files; resolves to status and body, or rejects (handshake). */
async function get(
  address: string,
  path: string,
  tls: ClientTls,
): Promise<{ status: number; body: string }> {
  const agent = new Agent(clientDialOptions(tls, 5_000));
  try {
    const response = await request(`https://${address}${path}`, {
      dispatcher: agent,
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await agent.close();
  }
}

/** Every object's key, version and SHA-256: equal before and after a refused request. */
async function objectsDigest(cluster: TestCluster): Promise<string> {
  const client = cluster.client();
  const hash = createHash('sha256');
  try {
    for await (const page of client.listAllObjects(''))
      for (const object of page.items)
        hash.update(`${object.key} ${object.version} ${object.sha256}\n`);
  } finally {
    await client.close();
  }
  return hash.digest('hex');
}

test.before(async (context) => {
  const directory = context.certificates;
  await createAuthorityFiles({ directory, validDays: 365, force: false });
  for (let number = 1; number <= 5; number++) {
    const hosts = [`127.0.0.${number}`];
    await createNodeFiles({ directory, name: `n${number}`, hosts, validDays, force: false });
  }
  await createClientFiles({ directory, user: 'root', validDays, force: false });
  await createClientFiles({ directory, user: 'alice', validDays, force: false });
  const other = context.otherAuthority;
  await createAuthorityFiles({ directory: other, validDays: 365, force: false });
  await createNodeFiles({
    directory: other,
    name: 'n2',
    hosts: ['127.0.0.2'],
    validDays,
    force: false,
  });
  // This process (harness health checks, bootstrap) dials as root over https.
  configureClientTls(files(directory, 'client-root'));
  context.cluster = await TestCluster.start('tls', 3, {}, ['--tls-dir', directory]);
});

test.after(async (context) => {
  await context.cluster?.destroy();
  configureClientTls(undefined);
  rmSync(context.certificates, { recursive: true, force: true });
  rmSync(context.otherAuthority, { recursive: true, force: true });
});

test('a 3-node TLS cluster puts and gets over https with the CLI', async (context) => {
  const cluster = context.cluster as TestCluster;
  const endpoints = ['--endpoints', httpsEndpoints(cluster)];
  const caOnly = ['--cacert', join(context.certificates, 'ca.crt')];
  const put = cluster.cli(['put', 'tls/a', '-', ...endpoints, ...caOnly], Buffer.from('over tls'));
  assert.is(put.code, 0, put.stderr);
  const got = cluster.cli(['get', 'tls/a', '-', ...endpoints, ...caOnly]);
  assert.is(got.code, 0, got.stderr);
  assert.is(got.stdout, 'over tls');
  // Without the CA the server's certificate is not trusted: the CLI fails, nothing sent.
  const untrusted = cluster.cli(['get', 'tls/a', '-', ...endpoints]);
  assert.is(untrusted.code, 1);
  const status = cluster.cli(['status', ...endpoints, ...tlsArguments(context), '--json']);
  assert.is(status.code, 0, status.stderr);
  assert.is((JSON.parse(status.stdout) as { members: unknown[] }).members.length, 3);
});

test('plain HTTP to both TLS ports gets 400 TLS_REQUIRED and changes nothing', async (context) => {
  const cluster = context.cluster as TestCluster;
  const before = await objectsDigest(cluster);
  const node = cluster.node('n1');
  for (const address of [node.clientAddress, node.peerAddress]) {
    const response = await request(`http://${address}/v1/objects/tls/plain`, {
      method: 'PUT',
      body: 'plain',
      headersTimeout: 5_000,
    });
    const body = await response.body.text();
    assert.is(response.statusCode, 400, address);
    assert.match(body, /"code":"TLS_REQUIRED"/);
  }
  assert.is(await objectsDigest(cluster), before);
});

test('the peer port refuses no certificate, another CA, a client certificate', async (context) => {
  const cluster = context.cluster as TestCluster;
  const before = await objectsDigest(cluster);
  const peer = cluster.node('n1').peerAddress;
  const path = '/peer/v1/node/info';
  const ca = files(context.certificates, 'node-n2').ca as string;
  // The control: a member's node certificate is accepted.
  const member = await get(peer, path, files(context.certificates, 'node-n2'));
  assert.is(member.status, 200, member.body);
  // No certificate, or a node certificate of another CA: the handshake fails.
  const refusedHandshake = async (tls: ClientTls, what: string) => {
    const outcome = await get(peer, path, tls).then(
      (answer) => `answered ${answer.status}`,
      (error: Error) => `refused: ${error.message}`,
    );
    assert.match(outcome, /^refused/, what);
  };
  await refusedHandshake({ ca }, 'no client certificate');
  const otherCa = files(context.otherAuthority, 'node-n2');
  await refusedHandshake({ ...otherCa, ca }, 'a node certificate of another CA');
  // A client certificate of the same CA: 403, also for a forwarded write.
  for (const user of ['root', 'alice']) {
    const client = await get(peer, path, files(context.certificates, `client-${user}`));
    assert.is(client.status, 403, `${user}: ${client.body}`);
    assert.match(client.body, /"code":"PERMISSION_DENIED"/);
  }
  const agent = new Agent(clientDialOptions(files(context.certificates, 'client-root'), 5_000));
  try {
    const forwarded = await request(`https://${peer}/peer/v1/forward/v1/objects/tls/forged`, {
      method: 'PUT',
      body: 'forged',
      headers: { 'x-cairn-forwarded-by': 'n2' },
      dispatcher: agent,
    });
    await forwarded.body.dump();
    assert.is(forwarded.statusCode, 403);
  } finally {
    await agent.close();
  }
  assert.is(await objectsDigest(cluster), before);
});

test('a node certified by the operator joins with cairn join --node; removed, it is refused', async (context) => {
  const cluster = context.cluster as TestCluster;
  const n4 = await cluster.addNode();
  const endpoints = ['--endpoints', httpsEndpoints(cluster)];
  const joined = cluster.cli([
    'join',
    '--node',
    `https://${n4.clientAddress}`,
    ...endpoints,
    ...tlsArguments(context),
    '--json',
  ]);
  assert.is(joined.code, 0, joined.stderr);
  assert.is((JSON.parse(joined.stdout) as { id: string }).id, 'n4');
  const peer = cluster.node('n1').peerAddress;
  const path = '/peer/v1/node/info';
  const n4Certificate = files(context.certificates, 'node-n4');
  assert.is((await get(peer, path, n4Certificate)).status, 200, 'n4 is a member');
  const removed = cluster.cli(['remove', 'n4', ...endpoints, ...tlsArguments(context)]);
  assert.is(removed.code, 0, removed.stderr);
  await waitFor(
    'every member to see n4 removed',
    async () => {
      for (const name of ['n1', 'n2', 'n3']) {
        const answer = await get(cluster.node(name).peerAddress, path, n4Certificate);
        if (answer.status !== 403) return false;
        assert.match(answer.body, /node n4 is not a member/);
      }
      return true;
    },
    { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
  );
});

/** Sends raw bytes on a connection and collects what comes back until it closes. */
function exchange(
  socket: Socket | TLSSocket,
  send: (socket: Socket | TLSSocket) => void,
  timeoutMilliseconds: number,
): Promise<{ text: string; closedAfterMilliseconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${timeoutMilliseconds} ms; got ${text.slice(0, 200)}`));
    }, timeoutMilliseconds);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMilliseconds: performance.now() - started });
    });
    send(socket);
  });
}

function secureSocket(context: Context, address: string): Promise<TLSSocket> {
  const [host, port] = address.split(':') as [string, string];
  const tls = files(context.certificates, 'client-root');
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host, port: Number(port), ca: tls.ca, minVersion: 'TLSv1.3' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('oversized headers get 431; headers sent byte by byte time out; both change nothing', async (context) => {
  const cluster = context.cluster as TestCluster;
  const before = await objectsDigest(cluster);
  const address = cluster.node('n1').clientAddress;
  const large = await exchange(
    await secureSocket(context, address),
    (socket) =>
      socket.write(
        `PUT /v1/objects/tls/big-header HTTP/1.1\r\nhost: x\r\nx-filler: ${'a'.repeat(20_000)}\r\n` +
          'content-length: 1\r\n\r\nb',
      ),
    10_000,
  );
  assert.match(large.text, /^HTTP\/1\.1 431/, JSON.stringify(large.text.slice(0, 300)));
  const head = 'PUT /v1/objects/tls/slow HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n';
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const slow = await exchange(
    await secureSocket(context, address),
    (socket) => {
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(head[sent++ % head.length] as string);
      }, 250);
    },
    25_000,
  );
  clearInterval(timer);
  // requestHeadersTimeoutMilliseconds (10 s), checked every second.
  assert.ok(slow.closedAfterMilliseconds >= 9_000, `closed after ${slow.closedAfterMilliseconds}`);
  assert.is(await objectsDigest(cluster), before);
});

test('a body shorter than its content-length stores nothing; extra bytes are no part of it', async (context) => {
  const cluster = context.cluster as TestCluster;
  const before = await objectsDigest(cluster);
  const address = cluster.node('n1').clientAddress;
  const short = await exchange(
    await secureSocket(context, address),
    (socket) => {
      socket.write('PUT /v1/objects/tls/short HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n');
      socket.end('12345');
    },
    15_000,
  );
  assert.not.match(short.text, /^HTTP\/1\.1 200/);
  assert.is(await objectsDigest(cluster), before, 'a short body stored nothing');
  const long = await exchange(
    await secureSocket(context, address),
    (socket) =>
      socket.write(
        'PUT /v1/objects/tls/long HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello' +
          'SMUGGLED GARBAGE\r\n\r\n',
      ),
    15_000,
  );
  // The declared 5 bytes end the request; what follows is parsed as a next request and
  // refused with 400, the connection closed. The PUT itself is well framed: it may have
  // been applied, with exactly its 5 bytes and never the rest.
  assert.match(long.text, /HTTP\/1\.1 400/, JSON.stringify(long.text.slice(0, 600)));
  const client = cluster.client();
  try {
    const stored = await client.getObject('tls/long').catch((error: { code?: string }) => {
      if (error.code === 'CAIRN_ERR_NOT_FOUND') return undefined;
      throw error;
    });
    if (stored !== undefined) {
      let text = '';
      for await (const piece of stored.body) text += (piece as Buffer).toString('latin1');
      assert.is(text, 'hello');
      await client.deleteObject('tls/long');
    }
  } finally {
    await client.close();
  }
});

/** One keep-alive GET on a raw TLS socket; resolves to the status line. */
function getOnSocket(socket: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text);
      if (end >= 0 && length !== null && text.length >= end + 4 + Number(length[1])) {
        socket.off('data', onData);
        resolve(text.slice(0, text.indexOf('\r\n')));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write('GET /v1/node/info HTTP/1.1\r\nhost: x\r\n\r\n');
  });
}

async function servedFingerprint(context: Context, address: string): Promise<string> {
  const socket = await secureSocket(context, address);
  const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
  socket.destroy();
  return fingerprint;
}

test('a new node certificate is served after a file change and after SIGHUP, old connection kept', async (context) => {
  const cluster = context.cluster as TestCluster;
  const node = cluster.node('n1');
  const old = await secureSocket(context, node.clientAddress);
  assert.is(await getOnSocket(old), 'HTTP/1.1 200 OK');
  const first = old.getPeerX509Certificate()?.fingerprint256 ?? '';
  const directory = context.certificates;
  const renew = () =>
    createNodeFiles({ directory, name: 'n1', hosts: ['127.0.0.1'], validDays, force: true });
  const renewed = await renew();
  await waitFor(
    'the renewed certificate to be served (file change)',
    async () =>
      (await servedFingerprint(context, node.clientAddress)) ===
      renewed.certificate.fingerprintSha256,
    { timeoutMilliseconds: 10_000, intervalMilliseconds: 100 },
  );
  assert.is.not(renewed.certificate.fingerprintSha256, first);
  assert.is(await getOnSocket(old), 'HTTP/1.1 200 OK', 'the old connection still serves');
  const again = await renew();
  node.process.kill('SIGHUP');
  await waitFor(
    'the certificate renewed again to be served (SIGHUP)',
    async () =>
      (await servedFingerprint(context, node.clientAddress)) ===
      again.certificate.fingerprintSha256,
    { timeoutMilliseconds: 10_000, intervalMilliseconds: 100 },
  );
  assert.match(readFileSync(node.logFile, 'utf8'), /"event":"tls-reloaded","reason":"SIGHUP"/);
  assert.is(await getOnSocket(old), 'HTTP/1.1 200 OK', 'still open after the second reload');
  old.destroy();
  // The peers dial n1 with its new certificate: the cluster still commits.
  const put = cluster.cli(
    ['put', 'tls/after-reload', '-', ...tlsArguments(context)],
    Buffer.from('x'),
  );
  assert.is(put.code, 0, put.stderr);
});

/** A POST with the given TLS files and a JSON body; resolves to status and body. */
async function post(address: string, path: string, tls: ClientTls, body: unknown) {
  const agent = new Agent(clientDialOptions(tls, 5_000));
  try {
    const response = await request(`https://${address}${path}`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 5_000,
    });
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await agent.close();
  }
}

test("a node of no cluster accepts bootstrap only from root's client certificate", async (context) => {
  const cluster = context.cluster as TestCluster;
  const n5 = await cluster.addNode();
  const ca = files(context.certificates, 'client-root').ca as string;
  const bootstrap = {
    clusterId: '00000000-0000-4000-8000-000000000005',
    members: [
      {
        id: 'n5',
        clientAddress: n5.clientAddress,
        peerAddress: n5.peerAddress,
        zone: 'default',
        weight: 1,
      },
    ],
    replicationFactor: 1,
  };
  const path = '/v1/node/bootstrap';
  const anonymous = await post(n5.clientAddress, path, { ca }, bootstrap);
  assert.is(anonymous.status, 401, anonymous.body);
  assert.match(anonymous.body, /"code":"UNAUTHENTICATED"/);
  const alice = await post(
    n5.clientAddress,
    path,
    files(context.certificates, 'client-alice'),
    bootstrap,
  );
  assert.is(alice.status, 403, alice.body);
  assert.match(alice.body, /client certificate of user root/);
  const info = await get(n5.clientAddress, '/v1/node/info', { ca });
  assert.is((JSON.parse(info.body) as { clusterId: string | null }).clusterId, null);
});

test('serve refuses plain HTTP off loopback without --insecure, naming cairn cert', (context) => {
  const cluster = context.cluster as TestCluster;
  const refused = cluster.cli([
    'serve',
    '--name',
    'exposed',
    '--data-dir',
    join(cluster.directory, 'exposed'),
    '--listen',
    '0.0.0.0:0',
    '--peer-listen',
    '127.0.0.1:0',
  ]);
  assert.is(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /cairn cert create-ca/);
  assert.match(refused.stderr, /cairn cert create-node/);
  assert.match(refused.stderr, /--insecure/);
});

test.run();
