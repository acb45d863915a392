// The shapes the client API exchanges (API.md), and their validation. A response
// that does not match is a CAIRN_ERR_BAD_RESPONSE naming the endpoint: better a clear
// error than a version of NaN travelling on into a script.

import type { IncomingHttpHeaders } from 'node:http';
import type { DeletedObject, ListObjectsPage, ObjectInfo, ReadConsistency } from '../api/index.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { Endpoint } from './endpoints.js';

// The wire types, defined once in src/api (the server answers with the same ones).
export type Consistency = ReadConsistency;
/** An object's key, version (the meta group's revision at its commit), size and SHA-256. */
export type ObjectMetadata = ObjectInfo;
export type DeleteResult = DeletedObject;
/** `nextAfter`: pass as `after` for the next page; null when this is the last page. */
/** A list page; `revision` is absent from a server that predates listings at a revision. */
export type ObjectListPage = Omit<ListObjectsPage, 'revision'> & { readonly revision?: number };

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Keys are UTF-8, 1 to keyLengthBytesMax bytes, without NUL (DESIGN.md section 5). */
export function validateKey(key: string): void {
  const invalid = (why: string): CairnError =>
    new CairnError('CAIRN_ERR_INVALID_KEY', `invalid key: ${why}`, {
      details: { key: key.slice(0, 200) },
    });
  if (typeof key !== 'string' || key.length === 0) throw invalid('empty');
  if (key.includes('\u0000')) throw invalid('contains NUL');
  if (!isWellFormedUtf16(key)) throw invalid('contains an unpaired surrogate, not valid UTF-8');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > limits.keyLengthBytesMax) {
    throw invalid(`${bytes} bytes, more than keyLengthBytesMax (${limits.keyLengthBytesMax})`);
  }
}

function isWellFormedUtf16(text: string): boolean {
  try {
    encodeURIComponent(text); // throws URIError on a lone surrogate
    return true;
  } catch {
    return false;
  }
}

export function parseObjectMetadata(
  value: unknown,
  endpoint: Endpoint,
  expectedKey?: string,
): ObjectMetadata {
  const record = asRecord(value, endpoint, 'object metadata');
  const key = record['key'];
  const version = record['version'];
  const size = record['size'];
  const sha256 = record['sha256'];
  if (typeof key !== 'string' || (expectedKey !== undefined && key !== expectedKey)) {
    throw badResponse(
      endpoint,
      `object metadata has key ${JSON.stringify(key)}, expected ${JSON.stringify(expectedKey ?? 'a string')}`,
    );
  }
  if (!isCount(version))
    throw badResponse(endpoint, `object metadata has version ${JSON.stringify(version)}`);
  if (!isCount(size))
    throw badResponse(endpoint, `object metadata has size ${JSON.stringify(size)}`);
  if (typeof sha256 !== 'string' || !sha256Pattern.test(sha256)) {
    throw badResponse(endpoint, `object metadata has sha256 ${JSON.stringify(sha256)}`);
  }
  return { key, version, size, sha256 };
}

/** Metadata of a GET or HEAD response, from x-cairn-version, x-cairn-sha256 and content-length. */
export function parseMetadataHeaders(
  headers: IncomingHttpHeaders,
  key: string,
  endpoint: Endpoint,
): ObjectMetadata {
  const version = countHeader(headers, 'x-cairn-version', endpoint);
  const size = countHeader(headers, 'content-length', endpoint);
  const sha256 = headers['x-cairn-sha256'];
  if (typeof sha256 !== 'string' || !sha256Pattern.test(sha256)) {
    throw badResponse(endpoint, `header x-cairn-sha256 is ${JSON.stringify(sha256)}`);
  }
  return { key, version, size, sha256 };
}

export function parseDeleteResult(value: unknown, endpoint: Endpoint): DeleteResult {
  const record = asRecord(value, endpoint, 'delete result');
  const key = record['key'];
  const version = record['version'];
  if (typeof key !== 'string')
    throw badResponse(endpoint, `delete result has key ${JSON.stringify(key)}`);
  if (!isCount(version))
    throw badResponse(endpoint, `delete result has version ${JSON.stringify(version)}`);
  return { key, version };
}

export function parseListPage(value: unknown, endpoint: Endpoint, limit: number): ObjectListPage {
  const record = asRecord(value, endpoint, 'list page');
  const items = record['items'];
  const nextAfter = record['nextAfter'];
  if (!Array.isArray(items)) throw badResponse(endpoint, 'list page has no items array');
  if (items.length > limit)
    throw badResponse(
      endpoint,
      `list page has ${items.length} items, more than the limit ${limit}`,
    );
  if (nextAfter !== null && typeof nextAfter !== 'string') {
    throw badResponse(endpoint, `list page has nextAfter ${JSON.stringify(nextAfter)}`);
  }
  const revision = record['revision'];
  if (revision !== undefined && !isCount(revision))
    throw badResponse(endpoint, `list page has revision ${JSON.stringify(revision)}`);
  return {
    items: items.map((item: unknown) => parseObjectMetadata(item, endpoint)),
    nextAfter,
    ...(revision === undefined ? {} : { revision }),
  };
}

function countHeader(headers: IncomingHttpHeaders, name: string, endpoint: Endpoint): number {
  const text = headers[name];
  const value = typeof text === 'string' && /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!isCount(value)) throw badResponse(endpoint, `header ${name} is ${JSON.stringify(text)}`);
  return value;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function asRecord(value: unknown, endpoint: Endpoint, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badResponse(endpoint, `expected ${what} as a JSON object`);
  }
  return value as Record<string, unknown>;
}

function badResponse(endpoint: Endpoint, why: string): CairnError {
  return new CairnError(
    'CAIRN_ERR_BAD_RESPONSE',
    `${endpoint.name} sent a malformed response: ${why}`,
    {
      details: { endpoint: endpoint.name },
    },
  );
}
