// The permission matcher: verbs on prefixes, admin implies every verb, a token's scope
// narrows its user's permissions (both must allow), whole-prefix coverage for watches
// and prefix deletes, reachability for filtered listings, and the text form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auth } from '../../src/meta/index.js';

const grant = (permissions: string[], scope?: string[]): auth.AccessGrant => ({
  user: 'u',
  permissions: permissions.map(auth.parsePermission),
  scope: scope?.map(auth.parsePermission),
});

test('a verb on a prefix allows that verb on the keys under it, nothing else', () => {
  const caller = grant(['read,list:logs/']);
  assert.ok(auth.allows(caller, 'read', 'logs/a'));
  assert.ok(auth.allows(caller, 'list', 'logs/'));
  assert.not.ok(auth.allows(caller, 'write', 'logs/a'), 'another verb');
  assert.not.ok(auth.allows(caller, 'read', 'logsX'), 'a sibling sharing the letters');
  assert.not.ok(auth.allows(caller, 'read', 'log'), 'a key above the prefix');
  assert.not.ok(auth.allows(caller, 'read', 'secret/logs/a'), 'the prefix elsewhere in the key');
});

test('admin on a prefix implies every verb there; "" is every key', () => {
  const root = grant(['admin:']);
  for (const verb of auth.verbs) assert.ok(auth.allows(root, verb, 'any/key'), verb);
  const teamAdmin = grant(['admin:team/']);
  assert.ok(auth.allows(teamAdmin, 'delete', 'team/x'));
  assert.not.ok(auth.covers(teamAdmin, 'admin', ''), 'admin of a prefix is not cluster admin');
});

test('a scope narrows: both the user and the scope must allow', () => {
  const readOnlyRoot = grant(['admin:'], ['read,list:']);
  assert.ok(auth.allows(readOnlyRoot, 'read', 'x'));
  assert.not.ok(auth.allows(readOnlyRoot, 'write', 'x'));
  assert.not.ok(auth.allows(readOnlyRoot, 'delete', 'x'));
  // A scope cannot widen: the user has read on logs/ only.
  const widened = grant(['read:logs/'], ['read:']);
  assert.not.ok(auth.allows(widened, 'read', 'secret/x'));
  const narrowed = grant(['all:'], ['read:logs/']);
  assert.ok(auth.allows(narrowed, 'read', 'logs/1'));
  assert.not.ok(auth.allows(narrowed, 'read', 'other/1'));
});

test('covers: every key under a prefix; mayReach: some key under it', () => {
  const caller = grant(['read,list:logs/app/']);
  assert.ok(auth.covers(caller, 'read', 'logs/app/'));
  assert.ok(auth.covers(caller, 'read', 'logs/app/x'));
  assert.not.ok(auth.covers(caller, 'read', 'logs/'), 'logs/other is not readable');
  assert.ok(auth.mayReach(caller, 'list', 'logs/'), 'a listing of logs/ shows logs/app/...');
  assert.ok(auth.mayReach(caller, 'list', ''));
  assert.not.ok(auth.mayReach(caller, 'list', 'secret/'));
  assert.not.ok(auth.mayReach(grant(['read,list:logs/'], ['read:logs/']), 'list', 'logs/'));
  assert.ok(auth.holdsAnywhere(caller, 'read'));
  assert.not.ok(auth.holdsAnywhere(caller, 'lock'));
});

test('the text form: VERBS:PREFIX, all, errors name the bad verb', () => {
  assert.equal(auth.parsePermission('read,list:logs/'), { verbs: 3, prefix: 'logs/' });
  assert.equal(auth.parsePermission('write'), { verbs: 4, prefix: '' });
  assert.equal(auth.parsePermission('all:a:b'), { verbs: 127, prefix: 'a:b' });
  assert.is(auth.permissionText({ verbs: 3, prefix: 'logs/' }), 'read,list:logs/');
  assert.throws(() => auth.parsePermission('reed:logs/'), /unknown verb "reed"/);
  assert.throws(() => auth.parsePermission(':logs/'), /unknown verb/);
  const merged = auth.withPermission([{ verbs: 1, prefix: 'a/' }], { verbs: 2, prefix: 'a/' });
  assert.equal(merged, [{ verbs: 3, prefix: 'a/' }]);
  assert.equal(auth.withoutPermission(merged, { verbs: 3, prefix: 'a/' }), []);
});

test.run();
