// Access control of the client port (DESIGN.md section 6b): every route's declared
// permission, checked where the route runs (a follower forwards leader routes without
// looking; the leader checks the forwarded caller's own token). Object and lock routes
// check the verb on their key or name; a listing is filtered to the keys the caller
// may list; a transaction needs the verb of each operation and read on every key it
// compares, so no answer (a failed compare, a result, an error) names a key outside
// the caller's permissions. Headers only nodes send are refused from clients.

import type { IncomingMessage } from 'node:http';
import {
  callerHeader,
  forwardedByHeader,
  type ListObjectsPage,
  type Route,
  type TxnAnswer,
  type TxnOperation,
  type TxnRequest,
} from '../api/index.js';
import type { AuthService, Caller } from '../node/auth-service.js';
import { auth } from '../meta/index.js';
import { CairnError } from '../util/errors.js';

/** Headers only a node sends, on the peer port (forwarding, hinted copies, snapshots). */
export const nodeOnlyHeaders: readonly string[] = [
  forwardedByHeader,
  callerHeader,
  'x-cairn-hint-for',
  'x-cairn-snapshot',
];

export interface GuardInput {
  readonly params: Readonly<Record<string, string>>;
  readonly query: unknown;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Checks a route's permission before its handler runs and filters its answer after. */
export interface RouteGuard {
  /** The caller (undefined while authentication is off); throws 401 or 403. */
  check(route: Route, input: GuardInput): Caller | undefined;
  filter(route: Route, caller: Caller | undefined, answer: unknown): unknown;
}

/** A client sent a header only nodes send: refused, whether authentication is on or not. */
export function refuseNodeOnlyHeaders(request: IncomingMessage): void {
  const sent = nodeOnlyHeaders.find((name) => request.headers[name] !== undefined);
  if (sent !== undefined)
    throw new CairnError(
      'CAIRN_ERR_PERMISSION_DENIED',
      `${sent} is a header only cluster nodes send, on the peer port`,
      { details: { header: sent } },
    );
}

export function accessGuard(service: AuthService): RouteGuard {
  return {
    check: (route, input) => {
      if (route.permission === 'none') return undefined;
      const caller = service.authenticate(input.headers['authorization']);
      if (caller !== undefined) checkRoute(caller, route, input);
      return caller;
    },
    filter: (route, caller, answer) =>
      caller === undefined ? answer : filtered(caller, route, answer),
  };
}

function where(prefix: string, whole: boolean): string {
  if (prefix === '') return 'every key';
  return whole ? `every key under ${JSON.stringify(prefix)}` : JSON.stringify(prefix);
}

export function denied(
  caller: Caller,
  verb: auth.Verb,
  prefix: string,
  whole: boolean,
): CairnError {
  return new CairnError(
    'CAIRN_ERR_PERMISSION_DENIED',
    `permission denied: user ${caller.user} (token ${caller.tokenId}) needs ${verb} on ${where(prefix, whole)}`,
    { details: { verb, prefix, user: caller.user } },
  );
}

/** What a route needs: a verb on one key, or on every key under a prefix. */
interface Need {
  readonly verb: auth.Verb;
  readonly key: string;
  readonly whole: boolean;
}

const onKey = (verb: auth.Verb, key: string): Need => ({ verb, key, whole: false });
const underPrefix = (verb: auth.Verb, prefix: string): Need => ({ verb, key: prefix, whole: true });

function checkRoute(caller: Caller, route: Route, input: GuardInput): void {
  for (const need of needsOf(caller, route, input)) {
    const allowed = need.whole
      ? auth.covers(caller, need.verb, need.key)
      : auth.allows(caller, need.verb, need.key);
    if (!allowed) throw denied(caller, need.verb, need.key, need.whole);
  }
}

function needsOf(caller: Caller, route: Route, input: GuardInput): readonly Need[] {
  const { params } = input;
  switch (route.name) {
    case 'getObject':
    case 'headObject':
    case 'putObject':
    case 'deleteObject':
      return [onKey(route.permission as auth.Verb, params['key'] ?? '')];
    case 'listObjects': {
      // Filtered to what the caller may list; refused only when nothing under it may be.
      const { prefix } = input.query as { prefix: string };
      return auth.mayReach(caller, 'list', prefix) ? [] : [underPrefix('list', prefix)];
    }
    case 'watch':
      return [underPrefix('read', (input.query as { prefix: string }).prefix)];
    case 'txn':
      return txnNeeds(input.body as TxnRequest);
    case 'acquireLock':
    case 'releaseLock':
    case 'lockHolders':
      return [onKey('lock', params['name'] ?? '')];
    case 'txnOutcome':
      return []; // its answer is checked below (filtered)
    default:
      return permissionNeeds(caller, route.permission);
  }
}

function permissionNeeds(caller: Caller, permission: Route['permission']): readonly Need[] {
  if (permission === 'authenticated' || permission === 'none') return [];
  if (permission === 'admin' || permission === 'monitor') return [underPrefix(permission, '')];
  if (permission === 'peer') return [underPrefix('admin', '')];
  // Not tied to a key (leases, staged uploads): the verb somewhere is enough.
  return auth.holdsAnywhere(caller, permission) ? [] : [underPrefix(permission, '')];
}

function txnNeeds(request: TxnRequest): Need[] {
  const needs = request.compare.map((compare) => onKey('read', compare.key));
  for (const operation of [...request.success, ...request.failure])
    needs.push(operationNeed(operation));
  return needs;
}

function operationNeed(operation: TxnOperation): Need {
  switch (operation.type) {
    case 'put':
    case 'putStaged':
      return onKey('write', operation.key);
    case 'delete':
      return onKey('delete', operation.key);
    case 'get':
      return onKey('read', operation.key);
    case 'deletePrefix':
      return underPrefix('delete', operation.prefix);
    case 'list':
      return underPrefix('list', operation.prefix);
  }
}

function filtered(caller: Caller, route: Route, answer: unknown): unknown {
  if (route.name === 'listObjects') {
    const page = answer as ListObjectsPage;
    return { ...page, items: page.items.filter((item) => auth.allows(caller, 'list', item.key)) };
  }
  if (route.name === 'txnOutcome') {
    const outcome = answer as TxnAnswer;
    const keys = [
      ...outcome.failedCompares.map((failed) => failed.current.key),
      ...outcome.results.flatMap(resultKeys),
    ];
    // The message names no key: the caller may not know them.
    if (!keys.every((key) => auth.allows(caller, 'read', key)))
      throw new CairnError(
        'CAIRN_ERR_PERMISSION_DENIED',
        `permission denied: user ${caller.user} may not read every key of this transaction's outcome`,
        { details: { verb: 'read', user: caller.user } },
      );
  }
  return answer;
}

/** The keys one operation's result names: its key, and the keys of a listing's items. */
function resultKeys(result: Readonly<Record<string, unknown>>): string[] {
  const keys = typeof result['key'] === 'string' ? [result['key']] : [];
  const items = result['items'];
  if (Array.isArray(items))
    for (const item of items as { key?: unknown }[])
      if (typeof item?.key === 'string') keys.push(item.key);
  return keys;
}
