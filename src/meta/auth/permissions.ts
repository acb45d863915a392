// Permissions (DESIGN.md section 6b): a permission is a set of verbs on a key prefix.
// A role is a list of them; a user holds roles; a token may narrow its user's
// permissions to a scope of its own. What a caller may do is what its user's roles
// allow AND (when the token has a scope) what the scope allows. `admin` on a prefix
// implies every other verb there: the root role is admin on "" (everything).
// Pure: the matcher the server's access checks and the meta family share.

import { limits } from '../../util/limits.js';

export const verbs = ['read', 'list', 'write', 'delete', 'lock', 'monitor', 'admin'] as const;
export type Verb = (typeof verbs)[number];

/** Verbs as bits, their stored form (read 1, list 2, ... admin 64). */
export const verbBits: Readonly<Record<Verb, number>> = {
  read: 1,
  list: 2,
  write: 4,
  delete: 8,
  lock: 16,
  monitor: 32,
  admin: 64,
};
export const allVerbBits = 127;

export interface Permission {
  /** A bit set of verbBits, never 0. */
  readonly verbs: number;
  /** Keys (object keys, lock names) starting with this; "" is every key. */
  readonly prefix: string;
}

/** What one caller may do: its user's permissions, narrowed by its token's scope if any. */
export interface AccessGrant {
  readonly user: string;
  readonly permissions: readonly Permission[];
  /** undefined: the token carries all its user's permissions. */
  readonly scope: readonly Permission[] | undefined;
}

function holds(permission: Permission, verb: Verb): boolean {
  return (permission.verbs & (verbBits[verb] | verbBits.admin)) !== 0;
}

function listAllows(list: readonly Permission[], verb: Verb, key: string): boolean {
  return list.some((permission) => holds(permission, verb) && key.startsWith(permission.prefix));
}

/** Whether `verb` is allowed on the one key (or name) `key`. */
export function allows(grant: AccessGrant, verb: Verb, key: string): boolean {
  if (!listAllows(grant.permissions, verb, key)) return false;
  return grant.scope === undefined || listAllows(grant.scope, verb, key);
}

/**
 * Whether `verb` is allowed on every key starting with `prefix` (a watch, a delete of a
 * prefix): some permission's prefix is a prefix of it, in the user's list and the scope.
 */
export function covers(grant: AccessGrant, verb: Verb, prefix: string): boolean {
  return allows(grant, verb, prefix);
}

function listMayReach(list: readonly Permission[], verb: Verb, prefix: string): boolean {
  return list.some(
    (permission) =>
      holds(permission, verb) &&
      (prefix.startsWith(permission.prefix) || permission.prefix.startsWith(prefix)),
  );
}

/** Whether some key under `prefix` may be allowed (a listing is filtered, not refused). */
export function mayReach(grant: AccessGrant, verb: Verb, prefix: string): boolean {
  if (!listMayReach(grant.permissions, verb, prefix)) return false;
  return grant.scope === undefined || listMayReach(grant.scope, verb, prefix);
}

/** Whether `verb` is allowed somewhere (leases, staged uploads: not tied to a key). */
export function holdsAnywhere(grant: AccessGrant, verb: Verb): boolean {
  return mayReach(grant, verb, '');
}

export function verbsText(bits: number): string {
  return verbs.filter((verb) => (bits & verbBits[verb]) !== 0).join(',');
}

/** `read,list:logs/` as text; the prefix after the first colon ("" when absent). */
export function permissionText(permission: Permission): string {
  return `${verbsText(permission.verbs)}:${permission.prefix}`;
}

/** Parses `VERB[,VERB...][:PREFIX]` (`all` is every verb); throws Error naming the problem. */
export function parsePermission(text: string): Permission {
  const colon = text.indexOf(':');
  const verbPart = colon < 0 ? text : text.slice(0, colon);
  const prefix = colon < 0 ? '' : text.slice(colon + 1);
  let bits = 0;
  for (const word of verbPart.split(',')) {
    const name = word.trim();
    if (name === 'all') bits |= allVerbBits;
    else if ((verbs as readonly string[]).includes(name)) bits |= verbBits[name as Verb];
    else
      throw new Error(
        `unknown verb ${JSON.stringify(name)} in ${JSON.stringify(text)}: use ${verbs.join(', ')} or all`,
      );
  }
  const problem = permissionProblem({ verbs: bits, prefix });
  if (problem !== undefined) throw new Error(problem);
  return { verbs: bits, prefix };
}

export function permissionProblem(permission: Permission): string | undefined {
  const { verbs: bits, prefix } = permission;
  if (!Number.isSafeInteger(bits) || bits < 1 || bits > allVerbBits)
    return `a permission holds 1 to 7 of the verbs ${verbs.join(', ')}`;
  if (typeof prefix !== 'string' || Buffer.byteLength(prefix) > limits.keyLengthBytesMax)
    return `a permission's prefix is at most ${limits.keyLengthBytesMax} bytes (keyLengthBytesMax)`;
  if (prefix.includes('\0')) return "a permission's prefix holds no NUL";
  return undefined;
}

/** Merges `added` verbs into the list (same prefix: one permission). */
export function withPermission(list: readonly Permission[], added: Permission): Permission[] {
  const same = list.find((permission) => permission.prefix === added.prefix);
  if (same === undefined) return [...list, added];
  return list.map((permission) =>
    permission === same ? { prefix: same.prefix, verbs: same.verbs | added.verbs } : permission,
  );
}

/** Removes `removed` verbs from the permission of its prefix (dropped when none is left). */
export function withoutPermission(list: readonly Permission[], removed: Permission): Permission[] {
  const result: Permission[] = [];
  for (const permission of list) {
    if (permission.prefix !== removed.prefix) result.push(permission);
    else if ((permission.verbs & ~removed.verbs) !== 0)
      result.push({ prefix: permission.prefix, verbs: permission.verbs & ~removed.verbs });
  }
  return result;
}
