// Reads of the auth family (bounded: every list is capped by its limit).

import { limits } from '../../util/limits.js';
import type { MetaReader } from '../store.js';
import { authKeys, roleKey, tokenKey, userKey } from './keys.js';
import { allows, type Permission } from './permissions.js';
import {
  decodeEnabled,
  decodeRole,
  decodeToken,
  decodeUser,
  type RoleRecord,
  type TokenRecord,
  type UserRecord,
} from './records.js';

export function authEnabled(reader: MetaReader): boolean {
  const bytes = reader.get(authKeys.state);
  return bytes !== undefined && decodeEnabled(bytes);
}

export function readRole(reader: MetaReader, name: string): RoleRecord | undefined {
  const bytes = reader.get(roleKey(name));
  return bytes === undefined ? undefined : decodeRole(bytes);
}

export function readUser(reader: MetaReader, name: string): UserRecord | undefined {
  const bytes = reader.get(userKey(name));
  return bytes === undefined ? undefined : decodeUser(bytes);
}

export function readTokenRecord(reader: MetaReader, id: string): TokenRecord | undefined {
  const bytes = reader.get(tokenKey(id));
  return bytes === undefined ? undefined : decodeToken(bytes);
}

export function listRoles(reader: MetaReader): { name: string; role: RoleRecord }[] {
  return reader
    .rangeEntries(authKeys.rolePrefix, undefined, limits.authRolesMax)
    .map(({ key, value }) => ({
      name: key.slice(authKeys.rolePrefix.length),
      role: decodeRole(value),
    }));
}

export function listUsers(reader: MetaReader): { name: string; user: UserRecord }[] {
  return reader
    .rangeEntries(authKeys.userPrefix, undefined, limits.authUsersMax)
    .map(({ key, value }) => ({
      name: key.slice(authKeys.userPrefix.length),
      user: decodeUser(value),
    }));
}

export function listTokens(reader: MetaReader): { id: string; token: TokenRecord }[] {
  return reader
    .rangeEntries(authKeys.tokenPrefix, undefined, limits.authTokensMax)
    .map(({ key, value }) => ({
      id: key.slice(authKeys.tokenPrefix.length),
      token: decodeToken(value),
    }));
}

/** Every permission the user's roles give (roles that no longer exist give none). */
export function userPermissions(reader: MetaReader, user: UserRecord): Permission[] {
  const permissions: Permission[] = [];
  for (const name of user.roles) permissions.push(...(readRole(reader, name)?.permissions ?? []));
  return permissions;
}

/** Whether some user holds admin on every key (enabling auth without one locks everybody out). */
export function someUserIsRoot(reader: MetaReader): boolean {
  return listUsers(reader).some(({ name, user }) =>
    allows(
      { user: name, permissions: userPermissions(reader, user), scope: undefined },
      'admin',
      '',
    ),
  );
}
