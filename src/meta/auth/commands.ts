// The auth family's commands: their types, wire fields and validation. Times are
// decided by the proposer and carried in the command (apply reads no clock); a token's
// secret never enters a command, only its SHA-256.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  isSha256Hex,
  readBoundedString,
  readBoundedVarint,
  readTag,
} from '../codec.js';
import { integerProblem } from '../validation.js';
import { allVerbBits, type Permission, permissionProblem } from './permissions.js';
import { readToken, type TokenRecord, writeToken } from './records.js';

const what = 'meta command';
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const tokenIdPattern = /^[0-9a-f]{16}$/;

export type AddRoleCommand = { readonly type: 'addRole'; readonly name: string };
/** Also revokes the role from every user holding it, in the same entry. */
export type RemoveRoleCommand = { readonly type: 'removeRole'; readonly name: string };
export type GrantPermissionCommand = {
  readonly type: 'grantPermission';
  readonly role: string;
  readonly permission: Permission;
};
export type RevokePermissionCommand = {
  readonly type: 'revokePermission';
  readonly role: string;
  readonly permission: Permission;
};
export type AddUserCommand = { readonly type: 'addUser'; readonly name: string };
/** Also deletes every token of the user, in the same entry. */
export type RemoveUserCommand = { readonly type: 'removeUser'; readonly name: string };
export type GrantRoleCommand = {
  readonly type: 'grantRole';
  readonly user: string;
  readonly role: string;
};
export type RevokeRoleCommand = {
  readonly type: 'revokeRole';
  readonly user: string;
  readonly role: string;
};
export type CreateTokenCommand = {
  readonly type: 'createToken';
  readonly id: string;
  readonly token: TokenRecord;
};
export type RevokeTokenCommand = { readonly type: 'revokeToken'; readonly id: string };
/** Enabling needs a user holding admin on every key (no cluster locks its operators out). */
export type SetAuthEnabledCommand = { readonly type: 'setAuthEnabled'; readonly enabled: boolean };

export type AuthCommand =
  | AddRoleCommand
  | RemoveRoleCommand
  | GrantPermissionCommand
  | RevokePermissionCommand
  | AddUserCommand
  | RemoveUserCommand
  | GrantRoleCommand
  | RevokeRoleCommand
  | CreateTokenCommand
  | RevokeTokenCommand
  | SetAuthEnabledCommand;

export function nameProblem(name: string, field: string): string | undefined {
  const lengthMax = limits.authNameBytesMax;
  if (typeof name === 'string' && name.length >= 1 && name.length <= lengthMax)
    if (namePattern.test(name)) return undefined;
  return `${field} must be 1 to ${lengthMax} characters of A-Z a-z 0-9 . _ @ - starting with a letter or digit, got ${JSON.stringify(name)}`;
}

export function tokenIdProblem(id: string): string | undefined {
  return typeof id === 'string' && tokenIdPattern.test(id)
    ? undefined
    : `a token id is 16 lowercase hex digits, got ${JSON.stringify(id)}`;
}

const readName = (reader: BinaryReader, field: string): string =>
  readBoundedString(reader, what, field, limits.authNameBytesMax);

// ---------------------------------------------------------------- one name (role, user)

type NamedType = 'addRole' | 'removeRole' | 'addUser' | 'removeUser';
type NamedCommand = { readonly type: NamedType; readonly name: string };

export function writeNamed(writer: BinaryWriter, command: NamedCommand): void {
  writer.writeString(command.name);
}

export function readNamed<T extends NamedType>(type: T): (reader: BinaryReader) => NamedCommand {
  return (reader) => ({ type, name: readName(reader, 'name') });
}

export function namedProblem(command: NamedCommand): string | undefined {
  return nameProblem(command.name, command.type.endsWith('Role') ? 'a role name' : 'a user name');
}

// ---------------------------------------------------------------- permission of a role

type PermissionChange = GrantPermissionCommand | RevokePermissionCommand;

export function writePermissionChange(writer: BinaryWriter, command: PermissionChange): void {
  writer.writeString(command.role);
  writer.writeVarint(command.permission.verbs);
  writer.writeString(command.permission.prefix);
}

export function readPermissionChange(
  type: PermissionChange['type'],
): (reader: BinaryReader) => PermissionChange {
  return (reader) => {
    const role = readName(reader, 'role');
    const verbs = readBoundedVarint(reader, what, 'verbs', 1, allVerbBits);
    const prefix = readBoundedString(reader, what, 'prefix', limits.keyLengthBytesMax);
    return { type, role, permission: { verbs, prefix } };
  };
}

export function permissionChangeProblem(command: PermissionChange): string | undefined {
  return nameProblem(command.role, 'a role name') ?? permissionProblem(command.permission);
}

// ---------------------------------------------------------------- a role of a user

type RoleChange = GrantRoleCommand | RevokeRoleCommand;

export function writeRoleChange(writer: BinaryWriter, command: RoleChange): void {
  writer.writeString(command.user);
  writer.writeString(command.role);
}

export function readRoleChange(type: RoleChange['type']): (reader: BinaryReader) => RoleChange {
  return (reader) => ({ type, user: readName(reader, 'user'), role: readName(reader, 'role') });
}

export function roleChangeProblem(command: RoleChange): string | undefined {
  return nameProblem(command.user, 'a user name') ?? nameProblem(command.role, 'a role name');
}

// ---------------------------------------------------------------- tokens

export function writeCreateToken(writer: BinaryWriter, command: CreateTokenCommand): void {
  writer.writeString(command.id);
  writeToken(writer, command.token);
}

export function readCreateToken(reader: BinaryReader): CreateTokenCommand {
  const id = readBoundedString(reader, what, 'token id', 16);
  return { type: 'createToken', id, token: readToken(reader, what) };
}

export function createTokenProblem(command: CreateTokenCommand): string | undefined {
  const { token } = command;
  const problem =
    tokenIdProblem(command.id) ??
    nameProblem(token.user, 'a user name') ??
    (isSha256Hex(token.secretSha256) ? undefined : 'a token holds the SHA-256 of its secret') ??
    integerProblem(token.createdAtMilliseconds, 'createdAtMilliseconds', 1, 2 ** 50) ??
    integerProblem(token.expiresAtMilliseconds, 'expiresAtMilliseconds', 0, 2 ** 50);
  if (problem !== undefined) return problem;
  if (
    token.expiresAtMilliseconds !== 0 &&
    token.expiresAtMilliseconds <= token.createdAtMilliseconds
  )
    return 'a token expires after it is created';
  if (Buffer.byteLength(token.description) > limits.authTokenDescriptionBytesMax)
    return `a token description is at most ${limits.authTokenDescriptionBytesMax} bytes`;
  if (token.scope === undefined) return undefined;
  if (token.scope.length < 1 || token.scope.length > limits.authScopePermissionsMax)
    return `a token scope holds 1 to ${limits.authScopePermissionsMax} permissions (authScopePermissionsMax)`;
  for (const permission of token.scope) {
    const scopeProblem = permissionProblem(permission);
    if (scopeProblem !== undefined) return scopeProblem;
  }
  return undefined;
}

export function writeRevokeToken(writer: BinaryWriter, command: RevokeTokenCommand): void {
  writer.writeString(command.id);
}

export function readRevokeToken(reader: BinaryReader): RevokeTokenCommand {
  return { type: 'revokeToken', id: readBoundedString(reader, what, 'token id', 16) };
}

// ---------------------------------------------------------------- the enabled flag

export function writeSetEnabled(writer: BinaryWriter, command: SetAuthEnabledCommand): void {
  writer.writeUint8(command.enabled ? 1 : 0);
}

export function readSetEnabled(reader: BinaryReader): SetAuthEnabledCommand {
  return { type: 'setAuthEnabled', enabled: readTag(reader, what, 'enabled', 1) === 1 };
}
