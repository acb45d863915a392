// The auth family (users, roles, tokens and the enabled flag; DESIGN.md section 6b):
// its commands as the registry sees them (tags 70 to 80; 81 to 89 reserved).

import { defineCommand, type MetaFamily } from '../family.js';
import { applyAuthCommand } from './apply.js';
import {
  type AddRoleCommand,
  type AddUserCommand,
  type CreateTokenCommand,
  createTokenProblem,
  type GrantPermissionCommand,
  type GrantRoleCommand,
  namedProblem,
  permissionChangeProblem,
  readCreateToken,
  readNamed,
  readPermissionChange,
  readRevokeToken,
  readRoleChange,
  readSetEnabled,
  type RemoveRoleCommand,
  type RemoveUserCommand,
  type RevokePermissionCommand,
  type RevokeRoleCommand,
  type RevokeTokenCommand,
  roleChangeProblem,
  type SetAuthEnabledCommand,
  tokenIdProblem,
  writeCreateToken,
  writeNamed,
  writePermissionChange,
  writeRevokeToken,
  writeRoleChange,
  writeSetEnabled,
} from './commands.js';
import { authKeys } from './keys.js';

const common = { changesMembership: false, apply: applyAuthCommand } as const;

export const authFamily: MetaFamily = {
  name: 'auth',
  ownedKeys: Object.values(authKeys),
  commands: [
    defineCommand<AddRoleCommand>({
      type: 'addRole',
      tag: 70,
      ...common,
      encode: writeNamed,
      decode: readNamed('addRole') as (reader: never) => AddRoleCommand,
      problem: namedProblem,
    }),
    defineCommand<RemoveRoleCommand>({
      type: 'removeRole',
      tag: 71,
      ...common,
      encode: writeNamed,
      decode: readNamed('removeRole') as (reader: never) => RemoveRoleCommand,
      problem: namedProblem,
    }),
    defineCommand<GrantPermissionCommand>({
      type: 'grantPermission',
      tag: 72,
      ...common,
      encode: writePermissionChange,
      decode: readPermissionChange('grantPermission') as (r: never) => GrantPermissionCommand,
      problem: permissionChangeProblem,
    }),
    defineCommand<RevokePermissionCommand>({
      type: 'revokePermission',
      tag: 73,
      ...common,
      encode: writePermissionChange,
      decode: readPermissionChange('revokePermission') as (r: never) => RevokePermissionCommand,
      problem: permissionChangeProblem,
    }),
    defineCommand<AddUserCommand>({
      type: 'addUser',
      tag: 74,
      ...common,
      encode: writeNamed,
      decode: readNamed('addUser') as (reader: never) => AddUserCommand,
      problem: namedProblem,
    }),
    defineCommand<RemoveUserCommand>({
      type: 'removeUser',
      tag: 75,
      ...common,
      encode: writeNamed,
      decode: readNamed('removeUser') as (reader: never) => RemoveUserCommand,
      problem: namedProblem,
    }),
    defineCommand<GrantRoleCommand>({
      type: 'grantRole',
      tag: 76,
      ...common,
      encode: writeRoleChange,
      decode: readRoleChange('grantRole') as (reader: never) => GrantRoleCommand,
      problem: roleChangeProblem,
    }),
    defineCommand<RevokeRoleCommand>({
      type: 'revokeRole',
      tag: 77,
      ...common,
      encode: writeRoleChange,
      decode: readRoleChange('revokeRole') as (reader: never) => RevokeRoleCommand,
      problem: roleChangeProblem,
    }),
    defineCommand<CreateTokenCommand>({
      type: 'createToken',
      tag: 78,
      ...common,
      encode: writeCreateToken,
      decode: readCreateToken,
      problem: createTokenProblem,
    }),
    defineCommand<RevokeTokenCommand>({
      type: 'revokeToken',
      tag: 79,
      ...common,
      encode: writeRevokeToken,
      decode: readRevokeToken,
      problem: (command) => tokenIdProblem(command.id),
    }),
    defineCommand<SetAuthEnabledCommand>({
      type: 'setAuthEnabled',
      tag: 80,
      ...common,
      encode: writeSetEnabled,
      decode: readSetEnabled,
      problem: (command) =>
        typeof command.enabled === 'boolean' ? undefined : 'enabled is true or false',
    }),
  ],
};

export type { AuthCommand } from './commands.js';
export { nameProblem, tokenIdProblem } from './commands.js';
export { authKeys } from './keys.js';
export * from './permissions.js';
export {
  authEnabled,
  listRoles,
  listTokens,
  listUsers,
  readRole,
  readTokenRecord,
  readUser,
  someUserIsRoot,
  userPermissions,
} from './queries.js';
export type { RoleRecord, TokenRecord, UserRecord } from './records.js';
