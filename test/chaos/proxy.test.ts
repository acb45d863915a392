import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ProxyMesh, LinkProxy } from '../../src/chaos/proxy.js';
import { waitFor } from '../helpers/wait.js';

interface Echo {
  readonly server: Server;
  readonly port: number;
  connections: number;
}

async function startEcho(): Promise<Echo> {
  const server = createServer();
  const echo: Echo = { server, port: 0, connections: 0 };
  server.on('connection', (socket) => {
    echo.connections++;
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return Object.assign(echo, {
    port: typeof address === 'object' && address !== null ? address.port : 0,
  });
}

function connect(address: string): Socket {
  const [host, port] = address.split(':');
  const socket = createConnection({ host: host as string, port: Number(port) });
  socket.on('error', () => undefined);
  return socket;
}

/** Resolves with what came back before the socket closed, or 'closed' first. */
function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.length >= text.length) resolve(received);
    });
    socket.on('close', () => resolve(received === '' ? 'closed' : received));
    socket.write(text);
  });
}

test('pass forwards both ways; drop resets connections; blackhole swallows bytes and never reaches the target', async () => {
  const echo = await startEcho();
  const proxy = await LinkProxy.start('n1', 'n2', '127.0.0.1', {
    host: '127.0.0.1',
    port: echo.port,
  });
  try {
    assert.is(await roundTrip(connect(proxy.address), 'hello'), 'hello');
    proxy.setMode('drop');
    assert.is(await roundTrip(connect(proxy.address), 'lost'), 'closed');
    proxy.setMode('blackhole');
    const connectionsBefore = echo.connections;
    const silent = connect(proxy.address);
    let answered = false;
    silent.on('data', () => (answered = true));
    await new Promise<void>((resolve) => silent.write('into the void', () => resolve()));
    await waitFor(
      'the proxy to hold the blackholed connection',
      () => proxy.connectionCount === 1,
      { timeoutMilliseconds: 5_000 },
    );
    // Healing cuts the silent connection; nothing it sent ever reached the target.
    proxy.setMode('pass');
    await waitFor(
      'the blackholed connection to close',
      () => silent.destroyed || silent.readyState === 'closed',
      { timeoutMilliseconds: 5_000 },
    );
    assert.is(echo.connections, connectionsBefore, 'no connection to the target while blackholed');
    assert.not.ok(answered);
    assert.is(await roundTrip(connect(proxy.address), 'again'), 'again');
  } finally {
    await proxy.close();
    echo.server.close();
  }
});

test('a live connection turned blackhole goes silent at once', async () => {
  const echo = await startEcho();
  const proxy = await LinkProxy.start('n1', 'n2', '127.0.0.1', {
    host: '127.0.0.1',
    port: echo.port,
  });
  try {
    const socket = connect(proxy.address);
    assert.is(await roundTrip(socket, 'one'), 'one');
    proxy.setMode('blackhole');
    let after = '';
    socket.on('data', (chunk: Buffer) => (after += chunk.toString('utf8')));
    await new Promise<void>((resolve) => socket.write('two', () => resolve()));
    assert.is(socket.destroyed, false, 'the sender still sees an open connection');
    proxy.setMode('pass');
    await waitFor(
      'the silent connection to be cut on heal',
      () => socket.destroyed || socket.readyState === 'closed',
      { timeoutMilliseconds: 5_000 },
    );
    assert.is(after, '', 'nothing came back while blackholed');
  } finally {
    await proxy.close();
    echo.server.close();
  }
});

test('a mesh routes every node to every peer through its own link and heals them all', async () => {
  const echo = await startEcho();
  const peers = new Map(
    ['n1', 'n2', 'n3'].map((name) => [name, { host: '127.0.0.1', port: echo.port }]),
  );
  const mesh = await ProxyMesh.start(peers, '127.0.0.1');
  try {
    const routes = mesh.routesFor('n1');
    assert.equal(Object.keys(routes).sort(), ['n2', 'n3']);
    assert.is.not(routes['n2'], routes['n3']);
    mesh.apply([{ from: 'n1', to: 'n2' }], 'drop');
    assert.equal(mesh.faultyLinks(), ['n1->n2:drop']);
    assert.is(await roundTrip(connect(routes['n2'] as string), 'x'), 'closed');
    assert.is(
      await roundTrip(connect(mesh.routesFor('n2')['n1'] as string), 'reverse'),
      'reverse',
      'the other direction still works',
    );
    mesh.healAll();
    assert.equal(mesh.faultyLinks(), []);
    assert.is(await roundTrip(connect(routes['n2'] as string), 'y'), 'y');
  } finally {
    await mesh.close();
    echo.server.close();
  }
});

test.run();
