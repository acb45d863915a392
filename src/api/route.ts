// What one route is: its port, method, path pattern, the validators of its input, its
// response, the headers it honours and the permission it will require. The security
// issue enforces `permission`; today it is declared only.

import { CairnError } from '../util/errors.js';
import { assert } from '../util/assert.js';
import type { QueryValues, Validator } from './validate.js';

export type Port = 'client' | 'peer';
export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
export type Permission =
  | 'read'
  | 'write'
  | 'delete'
  | 'list'
  | 'admin'
  | 'monitor'
  | 'lock'
  | 'peer'
  /** Any valid token while authentication is on (whoami); open while it is off. */
  | 'authenticated'
  | 'none';

/** A JSON body (validated), no body, or a body the handler streams (objects, chunks, raft). */
export type RouteBody<B> =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'json';
      readonly validate: Validator<B>;
      /** The body's size limit and its name; requestMetadataBodyBytesMax when absent. */
      readonly bytesMax?: { readonly name: string; readonly value: number };
    }
  | { readonly kind: 'stream'; readonly what: string };

/**
 * json: 200 with the handler's value; object: an object's bytes with its headers;
 * text: a text document; raw: the handler writes the response itself (peer streams);
 * ndjson: a long-lived stream of JSON lines the handler writes (watch).
 */
export type ResponseKind = 'json' | 'object' | 'text' | 'raw' | 'ndjson';

export interface Route<Q = unknown, B = unknown, R = unknown> {
  readonly name: string;
  readonly port: Port;
  readonly method: Method;
  /** Segments; ":name" is one segment, "*name" the rest of the path (slashes included, maybe empty). */
  readonly path: string;
  /** Validates the query string and the honoured headers into the handler's input. */
  readonly query: (query: QueryValues, headers: QueryValues) => Q;
  readonly body: RouteBody<B>;
  readonly response: ResponseKind;
  /** Request headers the route reads; a forward to the leader carries exactly these. */
  readonly headers: readonly string[];
  readonly permission: Permission;
  /** leader: a follower forwards the request to the leader over the peer port. */
  readonly runsOn: 'any' | 'leader';
  /** Phantom: the type of the answer (never set). */
  readonly answer?: R;
}

/** Headers every client route honours: who the caller is (credentials, later). */
export const identityHeaders: readonly string[] = ['authorization'];

export function noQuery(): Record<string, never> {
  return {};
}

export function jsonBody<B>(
  validate: Validator<B>,
  bytesMax?: { readonly name: string; readonly value: number },
): RouteBody<B> {
  return bytesMax === undefined ? { kind: 'json', validate } : { kind: 'json', validate, bytesMax };
}

export const noBody: RouteBody<never> = { kind: 'none' };

export function streamBody(what: string): RouteBody<never> {
  return { kind: 'stream', what };
}

export type PathParams = Readonly<Record<string, string>>;

/** The parameters of `pathname` if it matches the route's pattern, else undefined. */
export function matchPath(pattern: string, pathname: string): PathParams | undefined {
  const patternParts = pattern.split('/');
  const parts = pathname.split('/');
  const params: Record<string, string> = {};
  for (let index = 0; index < patternParts.length; index++) {
    const expected = patternParts[index] as string;
    if (expected.startsWith('*')) {
      // An empty rest matches too: the handler then names what is wrong (an empty key).
      if (parts.length <= index) return undefined;
      const rest = parts.slice(index).join('/');
      params[expected.slice(1)] = decodePathPart(rest);
      return params;
    }
    const actual = parts[index];
    if (actual === undefined) return undefined;
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      params[expected.slice(1)] = decodePathPart(actual);
    } else if (expected !== actual) return undefined;
  }
  return parts.length === patternParts.length ? params : undefined;
}

function decodePathPart(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new CairnError(
      'CAIRN_ERR_INVALID_KEY',
      'the key in the URL is not valid percent-encoded UTF-8',
    );
  }
}

/** The path (with query) a client sends for `route`. */
export function routePath(
  route: Route,
  params: PathParams = {},
  query: Readonly<Record<string, string | number | undefined>> = {},
): string {
  const path = route.path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':') && !part.startsWith('*')) return part;
      const value = params[part.slice(1)];
      assert(value !== undefined, `route ${route.name} needs ${part}`);
      return encodeURIComponent(value);
    })
    .join('/');
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}
