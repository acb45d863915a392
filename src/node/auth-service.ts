// Users, roles and tokens on a node (DESIGN.md section 6b): the proposals that change
// them (on the leader), the reads that list them, and the check of a bearer token
// against this node's applied state. A token is `cairn_<id>_<secret>`: 16 hex digits
// that name its record, and 256 random bits of which only the SHA-256 is stored.
//
// Staleness: a follower checks tokens against its own applied state, so a revocation
// (or a removed user, a revoked role) takes effect there once it applied the entry,
// normally within milliseconds of the commit. A node that knows no leader (it lost
// its leader for an election timeout, at most 2 s by default) refuses every token
// with UNAVAILABLE, so a cut-off follower cannot keep honouring a revoked token. A
// write forwarded to the leader is checked again there.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type {
  AuthDone,
  AuthEnabled,
  AuthRoleView,
  AuthTokenCreated,
  AuthTokenCreateRequest,
  AuthTokenView,
  AuthUserView,
  WhoAmI,
} from '../api/index.js';
import { auth, type MetaCommand, type MetaReader, type MetaResult } from '../meta/index.js';
import { assert } from '../util/assert.js';
import { CairnError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** What the auth service needs of the meta group. */
export interface AuthGroup {
  propose(command: MetaCommand): Promise<MetaResult>;
  reader(): MetaReader;
  isLeader(): boolean;
  leaderId(): string | null;
  readBarrier(consistency: 'linearizable' | 'serializable'): Promise<void>;
}

/** Who is calling, once its token checked out. */
export interface Caller extends auth.AccessGrant {
  readonly tokenId: string;
  readonly expiresAtMilliseconds: number;
}

const tokenPattern = /^cairn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const rootName = 'root';

export function unauthenticated(message: string): CairnError {
  return new CairnError('CAIRN_ERR_UNAUTHENTICATED', message);
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export class AuthService {
  constructor(
    private readonly group: AuthGroup,
    private readonly now: () => number = Date.now,
  ) {}

  enabled(): boolean {
    return auth.authEnabled(this.group.reader());
  }

  /**
   * The caller of an `authorization` header while authentication is enabled; undefined
   * while it is off. Throws UNAUTHENTICATED for a missing, malformed, unknown, revoked
   * or expired token, UNAVAILABLE when this node knows no leader.
   */
  authenticate(header: string | undefined): Caller | undefined {
    const reader = this.group.reader();
    if (!auth.authEnabled(reader)) return undefined;
    if (header === undefined || header === '')
      throw unauthenticated(
        'this cluster requires a token: send authorization: Bearer TOKEN (cairn --token, CAIRN_TOKEN or --token-file)',
      );
    const match = /^Bearer +(\S+)$/i.exec(header);
    const text = match?.[1] ?? '';
    const parts = text.length <= limits.authTokenTextBytesMax ? tokenPattern.exec(text) : null;
    if (parts === null)
      throw unauthenticated('the authorization header is not "Bearer TOKEN" with a cairn token');
    if (!this.group.isLeader() && this.group.leaderId() === null)
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        'this node knows no leader and cannot vouch that the token is still valid; retry another node',
      );
    const id = parts[1] as string;
    const record = auth.readTokenRecord(reader, id);
    const presented = Buffer.from(sha256Hex(parts[2] as string), 'hex');
    if (
      record === undefined ||
      !timingSafeEqual(presented, Buffer.from(record.secretSha256, 'hex'))
    )
      throw unauthenticated(`token ${id} is unknown, expired or revoked`);
    if (record.expiresAtMilliseconds !== 0 && this.now() >= record.expiresAtMilliseconds)
      throw unauthenticated(
        `token ${id} expired at ${new Date(record.expiresAtMilliseconds).toISOString()}`,
      );
    const user = auth.readUser(reader, record.user);
    if (user === undefined) throw unauthenticated(`the user of token ${id} no longer exists`);
    return {
      user: record.user,
      permissions: auth.userPermissions(reader, user),
      scope: record.scope,
      tokenId: id,
      expiresAtMilliseconds: record.expiresAtMilliseconds,
    };
  }

  whoami(caller: Caller | undefined): WhoAmI {
    if (caller === undefined)
      return {
        authEnabled: this.enabled(),
        user: null,
        tokenId: null,
        permissions: [],
        scope: null,
        expiresAt: null,
      };
    return {
      authEnabled: true,
      user: caller.user,
      tokenId: caller.tokenId,
      permissions: caller.permissions.map(auth.permissionText),
      scope: caller.scope?.map(auth.permissionText) ?? null,
      expiresAt: timeText(caller.expiresAtMilliseconds),
    };
  }

  /**
   * Turns authentication on in one entry: the role root (admin on every key), the user
   * root holding it, a token of root (answered once), and the flag.
   */
  async enable(): Promise<AuthEnabled> {
    const reader = this.group.reader();
    if (auth.authEnabled(reader))
      throw new CairnError('CAIRN_ERR_CONFLICT', 'authentication is already enabled');
    const commands: MetaCommand[] = [];
    if (auth.readRole(reader, rootName) === undefined)
      commands.push({ type: 'addRole', name: rootName });
    const everything = { verbs: auth.verbBits.admin, prefix: '' };
    commands.push({ type: 'grantPermission', role: rootName, permission: everything });
    if (auth.readUser(reader, rootName) === undefined)
      commands.push({ type: 'addUser', name: rootName });
    commands.push({ type: 'grantRole', user: rootName, role: rootName });
    const { command, created } = this.tokenCommand({ user: rootName, description: 'root' });
    commands.push(command, { type: 'setAuthEnabled', enabled: true });
    await this.propose({ type: 'batch', commands } as MetaCommand, 'enabling authentication');
    return { enabled: true, rootToken: created };
  }

  async createToken(request: AuthTokenCreateRequest): Promise<AuthTokenCreated> {
    const { command, created } = this.tokenCommand(request);
    await this.propose(command, `user ${request.user}`);
    return created;
  }

  private tokenCommand(request: AuthTokenCreateRequest): {
    command: MetaCommand;
    created: AuthTokenCreated;
  } {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    assert(secret.length === 43 && id.length === 16, 'a token is 16 hex digits and 256 bits');
    const createdAtMilliseconds = this.now();
    const lifetime = request.expiresInMilliseconds ?? 0;
    const scope = request.scope?.map(parsePermissionText);
    const token: auth.TokenRecord = {
      user: request.user,
      secretSha256: sha256Hex(secret),
      scope,
      createdAtMilliseconds,
      expiresAtMilliseconds: lifetime === 0 ? 0 : createdAtMilliseconds + lifetime,
      description: request.description ?? '',
    };
    const view = tokenView(id, token, createdAtMilliseconds);
    return {
      command: { type: 'createToken', id, token },
      created: { ...view, token: `cairn_${id}_${secret}` },
    };
  }

  async change(command: MetaCommand, what: string): Promise<AuthDone> {
    return { done: true, revision: await this.propose(command, what) };
  }

  async users(): Promise<AuthUserView[]> {
    await this.group.readBarrier('linearizable');
    return auth
      .listUsers(this.group.reader())
      .map(({ name, user }) => ({ name, roles: [...user.roles] }));
  }

  async roles(): Promise<AuthRoleView[]> {
    await this.group.readBarrier('linearizable');
    return auth.listRoles(this.group.reader()).map(({ name, role }) => ({
      name,
      permissions: role.permissions.map(auth.permissionText),
    }));
  }

  async tokens(): Promise<AuthTokenView[]> {
    await this.group.readBarrier('linearizable');
    const now = this.now();
    return auth.listTokens(this.group.reader()).map(({ id, token }) => tokenView(id, token, now));
  }

  private async propose(command: MetaCommand, what: string): Promise<number> {
    const result = await this.group.propose(command);
    if (result.type === 'ok') return result.version;
    if (result.type === 'notFound') throw new NotFoundError(what);
    if (result.type === 'rejected') {
      const { message } = result;
      const code = message.includes('already exists')
        ? 'CAIRN_ERR_ALREADY_EXISTS'
        : message.includes('does not exist')
          ? 'CAIRN_ERR_NOT_FOUND'
          : 'CAIRN_ERR_CONFLICT';
      throw new CairnError(
        code,
        result.message.replace(/^batch command \d+ of \d+ \(\w+\) did not apply: /, ''),
      );
    }
    throw new CairnError('CAIRN_ERR_CONFLICT', `${what} changed meanwhile; retry`);
  }
}

export function parsePermissionText(text: string): auth.Permission {
  try {
    return auth.parsePermission(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function timeText(milliseconds: number): string | null {
  return milliseconds === 0 ? null : new Date(milliseconds).toISOString();
}

function tokenView(id: string, token: auth.TokenRecord, now: number): AuthTokenView {
  return {
    id,
    user: token.user,
    scope: token.scope?.map(auth.permissionText) ?? null,
    createdAt: new Date(token.createdAtMilliseconds).toISOString(),
    expiresAt: timeText(token.expiresAtMilliseconds),
    expired: token.expiresAtMilliseconds !== 0 && now >= token.expiresAtMilliseconds,
    description: token.description,
  };
}
