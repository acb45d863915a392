// The auth family: users, roles, role grants, tokens (hash only, scope, expiry,
// revocation), the enabled flag and the rule that no change leaves an enabled cluster
// without a user holding admin on every key; wire form round trips; a rejection
// changes nothing.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyCommandReporting,
  auth,
  decodeCommand,
  encodeCommand,
  type MemoryMetaStore,
  type MetaCommand,
} from '../../src/meta/index.js';
import { bootstrappedStore, dump } from './helpers.js';

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

function setup() {
  const store = bootstrappedStore();
  let index = 1;
  const apply = (command: MetaCommand) => {
    index++;
    // Every command goes through its wire form: what a follower would apply.
    return applyCommandReporting(decodeCommand(encodeCommand(command)), index, store).result;
  };
  return { store, apply };
}

const token = (user: string, extra: Partial<auth.TokenRecord> = {}): auth.TokenRecord => ({
  user,
  secretSha256: hash(`secret of ${user}`),
  scope: undefined,
  createdAtMilliseconds: 1_000_000,
  expiresAtMilliseconds: 0,
  description: '',
  ...extra,
});

function withRoot(store: MemoryMetaStore, apply: (command: MetaCommand) => unknown): void {
  apply({ type: 'addRole', name: 'root' });
  apply({ type: 'grantPermission', role: 'root', permission: { verbs: 64, prefix: '' } });
  apply({ type: 'addUser', name: 'root' });
  apply({ type: 'grantRole', user: 'root', role: 'root' });
  assert.ok(auth.someUserIsRoot(store));
}

test('roles, users and grants: what a user may do is the union of its roles', () => {
  const { store, apply } = setup();
  assert.equal(apply({ type: 'addRole', name: 'readers' }).type, 'ok');
  const read = auth.parsePermission('read,list:logs/');
  assert.equal(apply({ type: 'grantPermission', role: 'readers', permission: read }).type, 'ok');
  const write = auth.parsePermission('write:logs/app/');
  apply({ type: 'addRole', name: 'writers' });
  apply({ type: 'grantPermission', role: 'writers', permission: write });
  apply({ type: 'addUser', name: 'alice' });
  apply({ type: 'grantRole', user: 'alice', role: 'readers' });
  apply({ type: 'grantRole', user: 'alice', role: 'writers' });
  const user = auth.readUser(store, 'alice');
  assert.equal(user?.roles, ['readers', 'writers']);
  const grant = {
    user: 'alice',
    permissions: auth.userPermissions(store, user as auth.UserRecord),
    scope: undefined,
  };
  assert.ok(auth.allows(grant, 'read', 'logs/x'));
  assert.ok(auth.allows(grant, 'write', 'logs/app/1'));
  assert.not.ok(auth.allows(grant, 'write', 'logs/other'));
  assert.not.ok(auth.allows(grant, 'read', 'secret/x'));
  // Removing a role takes it from every user in the same entry.
  apply({ type: 'removeRole', name: 'writers' });
  assert.equal(auth.readUser(store, 'alice')?.roles, ['readers']);
});

test('duplicates and unknown names are refused and change nothing', () => {
  const { store, apply } = setup();
  apply({ type: 'addUser', name: 'alice' });
  const before = dump(store).filter(([key]) => key.startsWith('a/'));
  const again = apply({ type: 'addUser', name: 'alice' });
  assert.is(again.type, 'rejected');
  assert.match((again as { message: string }).message, /already exists/);
  assert.is(apply({ type: 'grantRole', user: 'alice', role: 'nobody' }).type, 'rejected');
  assert.is(apply({ type: 'grantRole', user: 'bob', role: 'x' }).type, 'notFound');
  assert.is(
    apply({ type: 'createToken', id: 'ab'.repeat(8), token: token('bob') }).type,
    'rejected',
  );
  assert.is(apply({ type: 'revokeToken', id: 'cd'.repeat(8) }).type, 'notFound');
  assert.equal(
    dump(store).filter(([key]) => key.startsWith('a/')),
    before,
  );
});

test('a token stores only the hash of its secret; removing the user removes its tokens', () => {
  const { store, apply } = setup();
  apply({ type: 'addUser', name: 'alice' });
  const id = '0123456789abcdef';
  assert.is(apply({ type: 'createToken', id, token: token('alice') }).type, 'ok');
  const stored = auth.readTokenRecord(store, id);
  assert.is(stored?.secretSha256, hash('secret of alice'));
  const bytes = Buffer.concat(dump(store).map(([, value]) => Buffer.from(value, 'hex')));
  assert.not.ok(bytes.includes(Buffer.from('secret of alice')), 'the secret is never stored');
  apply({ type: 'removeUser', name: 'alice' });
  assert.is(auth.readTokenRecord(store, id), undefined);
});

test('a scoped, expiring token round-trips; expired tokens go when a new one is made', () => {
  const { store, apply } = setup();
  apply({ type: 'addUser', name: 'alice' });
  const scope = [auth.parsePermission('read:logs/')];
  const old = token('alice', { scope, expiresAtMilliseconds: 1_000_500 });
  apply({ type: 'createToken', id: '1'.repeat(16), token: old });
  assert.equal(auth.readTokenRecord(store, '1'.repeat(16)), old);
  const later = token('alice', { createdAtMilliseconds: 2_000_000 });
  apply({ type: 'createToken', id: '2'.repeat(16), token: later });
  assert.is(auth.readTokenRecord(store, '1'.repeat(16)), undefined, 'expired before the new one');
  assert.ok(auth.readTokenRecord(store, '2'.repeat(16)));
});

test('enabling needs a root user; no change may then leave the cluster without one', () => {
  const { store, apply } = setup();
  assert.not.ok(auth.authEnabled(store));
  assert.is(apply({ type: 'setAuthEnabled', enabled: true }).type, 'rejected');
  withRoot(store, apply);
  assert.is(apply({ type: 'setAuthEnabled', enabled: true }).type, 'ok');
  assert.ok(auth.authEnabled(store));
  const before = dump(store);
  for (const command of [
    { type: 'removeUser', name: 'root' },
    { type: 'removeRole', name: 'root' },
    { type: 'revokeRole', user: 'root', role: 'root' },
    { type: 'revokePermission', role: 'root', permission: { verbs: 64, prefix: '' } },
  ] as MetaCommand[]) {
    const result = apply(command);
    assert.is(result.type, 'rejected', command.type);
    assert.match((result as { message: string }).message, /no user with admin/);
  }
  assert.equal(
    dump(store).filter(([key]) => !key.startsWith('c/progress')),
    before.filter(([key]) => !key.startsWith('c/progress')),
  );
});

test('a batch enables authentication in one entry (what cairn bootstrap --auth proposes)', () => {
  const { store, apply } = setup();
  const result = apply({
    type: 'batch',
    commands: [
      { type: 'addRole', name: 'root' },
      { type: 'grantPermission', role: 'root', permission: { verbs: 64, prefix: '' } },
      { type: 'addUser', name: 'root' },
      { type: 'grantRole', user: 'root', role: 'root' },
      { type: 'createToken', id: 'f'.repeat(16), token: token('root') },
      { type: 'setAuthEnabled', enabled: true },
    ],
  });
  assert.is(result.type, 'ok');
  assert.ok(auth.authEnabled(store));
  assert.is(auth.listTokens(store).length, 1);
});

test('malformed commands are refused before they are proposed', () => {
  for (const command of [
    { type: 'addUser', name: '' },
    { type: 'addUser', name: 'has space' },
    { type: 'grantPermission', role: 'r', permission: { verbs: 0, prefix: '' } },
    { type: 'grantPermission', role: 'r', permission: { verbs: 128, prefix: '' } },
    { type: 'createToken', id: 'XYZ', token: token('a') },
    { type: 'createToken', id: 'a'.repeat(16), token: token('a', { secretSha256: 'nope' }) },
    {
      type: 'createToken',
      id: 'a'.repeat(16),
      token: token('a', { expiresAtMilliseconds: 999 }),
    },
    { type: 'createToken', id: 'a'.repeat(16), token: token('a', { scope: [] }) },
  ] as MetaCommand[])
    assert.throws(() => encodeCommand(command), /./, JSON.stringify(command));
});

test.run();
