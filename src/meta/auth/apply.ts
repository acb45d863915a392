// What the auth family's commands do. Deterministic: no clock (times come in the
// command), bounded scans. While authentication is enabled, no command may leave the
// cluster without a user holding admin on every key: such a change is rejected.

import { limits } from '../../util/limits.js';
import { readIdentity } from '../cluster/queries.js';
import { type ApplyContext, deleteReported, putReported } from '../family.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import type {
  AuthCommand,
  CreateTokenCommand,
  GrantPermissionCommand,
  GrantRoleCommand,
  RevokePermissionCommand,
  RevokeRoleCommand,
} from './commands.js';
import { authKeys, roleKey, tokenKey, userKey } from './keys.js';
import { withoutPermission, withPermission } from './permissions.js';
import {
  authEnabled,
  listTokens,
  listUsers,
  readRole,
  readTokenRecord,
  readUser,
  someUserIsRoot,
} from './queries.js';
import { encodeEnabled, encodeRole, encodeToken, encodeUser } from './records.js';

const family = 'auth';

export function applyAuthCommand(context: ApplyContext, command: AuthCommand): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  const result = applyChange(context, command);
  if (result.type !== 'ok' || command.type === 'setAuthEnabled') return result;
  // Checked after the writes (the transaction reads them); a rejection discards them.
  if (authEnabled(context.transaction) && !someUserIsRoot(context.transaction))
    return rejected('this change would leave no user with admin on every key; grant it first');
  return result;
}

function applyChange(context: ApplyContext, command: AuthCommand): MetaResult {
  const { transaction } = context;
  switch (command.type) {
    case 'addRole':
      return addRecord(context, roleKey(command.name), `role ${command.name}`, 'role');
    case 'addUser':
      return addRecord(context, userKey(command.name), `user ${command.name}`, 'user');
    case 'removeRole':
      return removeRole(context, command.name);
    case 'removeUser':
      return removeUser(context, command.name);
    case 'grantPermission':
    case 'revokePermission':
      return changePermission(context, command);
    case 'grantRole':
    case 'revokeRole':
      return changeUserRole(context, command);
    case 'createToken':
      return createToken(context, command);
    case 'revokeToken':
      if (transaction.get(tokenKey(command.id)) === undefined) return { type: 'notFound' };
      deleteReported(context, family, tokenKey(command.id));
      return changed(context);
    case 'setAuthEnabled':
      if (command.enabled && !someUserIsRoot(transaction))
        return rejected('enabling authentication needs a user with admin on every key');
      putReported(context, family, authKeys.state, encodeEnabled(command.enabled));
      return changed(context);
  }
}

const changed = (context: ApplyContext): MetaResult => ({ type: 'ok', version: context.revision });
const unchanged = (context: ApplyContext): MetaResult => ({
  type: 'ok',
  version: context.revision - 1,
});

function addRecord(
  context: ApplyContext,
  key: string,
  what: string,
  kind: 'role' | 'user',
): MetaResult {
  if (context.transaction.get(key) !== undefined) return rejected(`${what} already exists`);
  const prefix = kind === 'role' ? authKeys.rolePrefix : authKeys.userPrefix;
  const countMax = kind === 'role' ? limits.authRolesMax : limits.authUsersMax;
  if (context.transaction.rangeEntries(prefix, undefined, countMax).length >= countMax)
    return rejected(
      `at most ${countMax} ${kind}s exist (auth${kind === 'role' ? 'Roles' : 'Users'}Max)`,
    );
  const value = kind === 'role' ? encodeRole({ permissions: [] }) : encodeUser({ roles: [] });
  putReported(context, family, key, value);
  return changed(context);
}

function removeRole(context: ApplyContext, name: string): MetaResult {
  if (readRole(context.transaction, name) === undefined) return { type: 'notFound' };
  deleteReported(context, family, roleKey(name));
  for (const { name: userName, user } of listUsers(context.transaction)) {
    if (!user.roles.includes(name)) continue;
    const roles = user.roles.filter((role) => role !== name);
    putReported(context, family, userKey(userName), encodeUser({ roles }));
  }
  return changed(context);
}

function removeUser(context: ApplyContext, name: string): MetaResult {
  if (readUser(context.transaction, name) === undefined) return { type: 'notFound' };
  deleteReported(context, family, userKey(name));
  for (const { id, token } of listTokens(context.transaction))
    if (token.user === name) deleteReported(context, family, tokenKey(id));
  return changed(context);
}

function changePermission(
  context: ApplyContext,
  command: GrantPermissionCommand | RevokePermissionCommand,
): MetaResult {
  const role = readRole(context.transaction, command.role);
  if (role === undefined) return { type: 'notFound' };
  const permissions =
    command.type === 'grantPermission'
      ? withPermission(role.permissions, command.permission)
      : withoutPermission(role.permissions, command.permission);
  if (permissions.length > limits.authPermissionsPerRoleMax)
    return rejected(
      `a role holds at most ${limits.authPermissionsPerRoleMax} permissions (authPermissionsPerRoleMax)`,
    );
  putReported(context, family, roleKey(command.role), encodeRole({ permissions }));
  return changed(context);
}

function changeUserRole(
  context: ApplyContext,
  command: GrantRoleCommand | RevokeRoleCommand,
): MetaResult {
  const user = readUser(context.transaction, command.user);
  if (user === undefined) return { type: 'notFound' };
  const held = user.roles.includes(command.role);
  if (command.type === 'revokeRole') {
    if (!held) return unchanged(context);
    const roles = user.roles.filter((role) => role !== command.role);
    putReported(context, family, userKey(command.user), encodeUser({ roles }));
    return changed(context);
  }
  if (readRole(context.transaction, command.role) === undefined)
    return rejected(`role ${command.role} does not exist`);
  if (held) return unchanged(context);
  if (user.roles.length >= limits.authRolesPerUserMax)
    return rejected(
      `a user holds at most ${limits.authRolesPerUserMax} roles (authRolesPerUserMax)`,
    );
  const roles = [...user.roles, command.role];
  putReported(context, family, userKey(command.user), encodeUser({ roles }));
  return changed(context);
}

function createToken(context: ApplyContext, command: CreateTokenCommand): MetaResult {
  const { transaction } = context;
  if (readUser(transaction, command.token.user) === undefined)
    return rejected(`user ${command.token.user} does not exist`);
  if (readTokenRecord(transaction, command.id) !== undefined)
    return rejected(`token ${command.id} already exists`);
  // Tokens expired before this one was made go now (the proposer's time: deterministic).
  const now = command.token.createdAtMilliseconds;
  let count = 0;
  for (const { id, token } of listTokens(transaction)) {
    const expired = token.expiresAtMilliseconds !== 0 && token.expiresAtMilliseconds <= now;
    if (expired) deleteReported(context, family, tokenKey(id));
    else count++;
  }
  if (count >= limits.authTokensMax)
    return rejected(`at most ${limits.authTokensMax} tokens exist (authTokensMax); revoke some`);
  putReported(context, family, tokenKey(command.id), encodeToken(command.token));
  return changed(context);
}
