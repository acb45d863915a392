// The auth family's records: the enabled flag, roles, users and tokens. A token record
// holds the SHA-256 of its secret, never the secret.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
  readSha256Hex,
  readTag,
  writeSha256Hex,
} from '../codec.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from '../record-format.js';
import { allVerbBits, type Permission } from './permissions.js';

export interface RoleRecord {
  readonly permissions: readonly Permission[];
}

export interface UserRecord {
  readonly roles: readonly string[];
}

export interface TokenRecord {
  readonly user: string;
  readonly secretSha256: string;
  /** undefined: every permission of the user. */
  readonly scope: readonly Permission[] | undefined;
  /** Proposer's wall clock when created (milliseconds since the epoch). */
  readonly createdAtMilliseconds: number;
  /** 0: never expires. */
  readonly expiresAtMilliseconds: number;
  readonly description: string;
}

export function writePermissions(out: BinaryWriter, list: readonly Permission[]): void {
  out.writeVarint(list.length);
  for (const permission of list) {
    out.writeVarint(permission.verbs);
    out.writeString(permission.prefix);
  }
}

export function readPermissions(input: BinaryReader, what: string, countMax: number): Permission[] {
  const count = readBoundedVarint(input, what, 'permission count', 0, countMax);
  const list: Permission[] = [];
  for (let index = 0; index < count; index++) {
    const verbs = readBoundedVarint(input, what, 'verbs', 1, allVerbBits);
    const prefix = readBoundedString(input, what, 'prefix', limits.keyLengthBytesMax);
    list.push({ verbs, prefix });
  }
  return list;
}

export function encodeRole(record: RoleRecord): Uint8Array {
  const out = recordWriter(16 + record.permissions.length * 32);
  writePermissions(out, record.permissions);
  return finishRecord(out);
}

export function decodeRole(bytes: Uint8Array): RoleRecord {
  const input = recordReader(bytes, 'role record');
  const permissions = readPermissions(input, 'role record', limits.authPermissionsPerRoleMax);
  input.expectEnd();
  return { permissions };
}

export function encodeUser(record: UserRecord): Uint8Array {
  const out = recordWriter(16 + record.roles.length * 16);
  out.writeVarint(record.roles.length);
  for (const role of record.roles) out.writeString(role);
  return finishRecord(out);
}

export function decodeUser(bytes: Uint8Array): UserRecord {
  const what = 'user record';
  const input = recordReader(bytes, what);
  const count = readBoundedVarint(input, what, 'role count', 0, limits.authRolesPerUserMax);
  const roles: string[] = [];
  for (let index = 0; index < count; index++)
    roles.push(readBoundedString(input, what, 'role', limits.authNameBytesMax));
  input.expectEnd();
  return { roles };
}

export function writeToken(out: BinaryWriter, record: TokenRecord): void {
  out.writeString(record.user);
  writeSha256Hex(out, record.secretSha256);
  out.writeUint8(record.scope === undefined ? 0 : 1);
  if (record.scope !== undefined) writePermissions(out, record.scope);
  out.writeVarint(record.createdAtMilliseconds);
  out.writeVarint(record.expiresAtMilliseconds);
  out.writeString(record.description);
}

export function readToken(input: BinaryReader, what: string): TokenRecord {
  const user = readBoundedString(input, what, 'user', limits.authNameBytesMax);
  const secretSha256 = readSha256Hex(input, what, 'secret SHA-256');
  const scoped = readTag(input, what, 'scope flag', 1) === 1;
  const scope = scoped ? readPermissions(input, what, limits.authScopePermissionsMax) : undefined;
  const createdAtMilliseconds = readBoundedVarint(input, what, 'created at', 0, safeIntegerMax);
  const expiresAtMilliseconds = readBoundedVarint(input, what, 'expires at', 0, safeIntegerMax);
  const description = readBoundedString(
    input,
    what,
    'description',
    limits.authTokenDescriptionBytesMax,
  );
  return { user, secretSha256, scope, createdAtMilliseconds, expiresAtMilliseconds, description };
}

export function encodeToken(record: TokenRecord): Uint8Array {
  const out = recordWriter(128);
  writeToken(out, record);
  return finishRecord(out);
}

export function decodeToken(bytes: Uint8Array): TokenRecord {
  const input = recordReader(bytes, 'token record');
  const record = readToken(input, 'token record');
  input.expectEnd();
  return record;
}

export function encodeEnabled(enabled: boolean): Uint8Array {
  const out = recordWriter(4);
  out.writeUint8(enabled ? 1 : 0);
  return finishRecord(out);
}

export function decodeEnabled(bytes: Uint8Array): boolean {
  const input = recordReader(bytes, 'auth state');
  const enabled = readTag(input, 'auth state', 'enabled', 1) === 1;
  input.expectEnd();
  return enabled;
}
