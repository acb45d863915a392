// The route table: one route per method and path on each port, every route declares a
// permission, paths match and build back, and the peer routes live under /peer/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  clientRoutes,
  matchPath,
  peerRoutes,
  routePath,
  routes,
  routesOf,
} from '../../src/api/index.js';

test('no two routes of one port share a method and a path', () => {
  for (const port of ['client', 'peer'] as const) {
    const seen = new Set<string>();
    for (const route of routesOf(port)) {
      const key = `${route.method} ${route.path}`;
      assert.not.ok(seen.has(key), `${port}: ${key} twice`);
      seen.add(key);
    }
  }
});

test('every route has a permission; peer routes need the peer permission and live under /peer/', () => {
  for (const route of Object.values(clientRoutes)) {
    assert.ok(route.permission !== 'peer', `${route.name} is a client route`);
    assert.not.ok(route.path.startsWith('/peer/'), route.name);
    assert.ok(route.headers.includes('authorization'), `${route.name} honours the caller identity`);
  }
  for (const route of Object.values(peerRoutes)) {
    assert.is(route.permission, 'peer', route.name);
    assert.ok(route.path.startsWith('/peer/v1/'), route.name);
  }
});

test('node-to-node operations are on the peer port only', () => {
  const clientPaths = Object.values(clientRoutes).map((route) => route.path);
  for (const path of clientPaths) assert.not.ok(path.includes('/maintenance/'), path);
  assert.is(routes.inventory.port, 'peer');
  assert.is(routes.removeChunks.port, 'peer');
  assert.is(routes.maintenanceSettings.port, 'peer');
  assert.is(routes.peerJoin.port, 'peer');
});

test('paths match their patterns and decode their parameters', () => {
  assert.equal(matchPath('/v1/objects/*key', '/v1/objects/a%2Fb/c'), { key: 'a/b/c' });
  assert.equal(
    matchPath('/v1/objects/*key', '/v1/objects/'),
    { key: '' },
    'the handler refuses it',
  );
  assert.is(matchPath('/v1/objects/*key', '/v1/objects'), undefined);
  assert.equal(matchPath('/v1/cluster/members/:id', '/v1/cluster/members/n%203'), { id: 'n 3' });
  assert.is(matchPath('/v1/cluster/members/:id', '/v1/cluster/members/n3/x'), undefined);
  assert.throws(() => matchPath('/v1/objects/*key', '/v1/objects/%E0%A4%A'), /percent-encoded/);
});

test('routePath builds what matchPath reads back', () => {
  const path = routePath(routes.getObject, { key: 'dir/naïve key?' });
  assert.is(path, '/v1/objects/dir%2Fna%C3%AFve%20key%3F');
  assert.equal(matchPath(routes.getObject.path, path), { key: 'dir/naïve key?' });
  assert.is(
    routePath(routes.inventory, {}, { after: undefined, limit: 1 }),
    '/peer/v1/maintenance/inventory?limit=1',
  );
});

test('the validators refuse bad input with INVALID_ARGUMENT', () => {
  const body = routes.bootstrap.body;
  assert.is(body.kind, 'json');
  if (body.kind !== 'json') return;
  assert.throws(() => body.validate({ clusterId: '', members: [] }), /clusterId is required/);
  assert.throws(
    () =>
      body.validate({
        clusterId: 'c',
        members: [{ id: 'n1', clientAddress: 'a', peerAddress: 'b', zone: 'z', weight: 1 }],
        replicationFactor: 2,
      }),
    /replication factor must be between 1 and 1/,
  );
  const remove = routes.removeChunks.body;
  if (remove.kind !== 'json') throw new Error('json body');
  assert.throws(() => remove.validate({ reason: 'surplus', sha256s: ['nothex'] }), /sha256s/);
  assert.throws(() => remove.validate({ reason: 'because', sha256s: [] }), /reason/);
});

test.run();
