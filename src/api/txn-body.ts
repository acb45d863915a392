// The JSON body of POST /v1/txn, validated field by field: every error names the path of
// the bad field as the body spells it (`success[3].key`), so `cairn txn` and the server
// answer the same. Values are base64 (`value`) or UTF-8 text (`valueText`). The meta
// family checks what needs the whole txn (duplicate keys, limits) when it is proposed.

import { InvalidArgumentError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { TxnCompare, TxnOperation, TxnRequest } from './wire.js';

const targets = ['exists', 'version', 'createdRevision', 'sha256', 'size', 'lease', 'lockToken'];
const operators = ['=', '!=', '<', '>'];
const operationTypes = ['put', 'putStaged', 'delete', 'deletePrefix', 'get', 'list'];
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

function bad(path: string, problem: string): never {
  throw new InvalidArgumentError(`${path}: ${problem}`, { path });
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad(path, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, path: string, allowEmpty = false): string {
  if (typeof value !== 'string') bad(path, 'must be a string');
  if (!allowEmpty && value === '') bad(path, 'must not be empty');
  return value;
}

function listAt(value: unknown, path: string, max: number, limitName: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) bad(path, 'must be a list');
  if (value.length > max) throw new LimitExceededError(limitName, max, value.length, 'entries');
  return value;
}

export function parseTxnRequest(body: unknown): TxnRequest {
  const input = objectAt(body, 'body');
  for (const name of Object.keys(input))
    if (!['requestId', 'compare', 'success', 'failure'].includes(name))
      bad(name, 'unknown field (expected requestId, compare, success, failure)');
  const requestId =
    input['requestId'] === undefined ? '' : stringAt(input['requestId'], 'requestId', true);
  const compares = listAt(input['compare'], 'compare', limits.txnComparesMax, 'txnComparesMax');
  const compare = compares.map((each, index) => parseCompare(each, `compare[${index}]`));
  const branch = (name: 'success' | 'failure') =>
    listAt(input[name], name, limits.txnOperationsMax, 'txnOperationsMax').map((each, index) =>
      parseOperation(each, `${name}[${index}]`),
    );
  return { requestId, compare, success: branch('success'), failure: branch('failure') };
}

function parseCompare(value: unknown, path: string): TxnCompare {
  const input = objectAt(value, path);
  const key = stringAt(input['key'], `${path}.key`);
  const target = input['target'];
  if (typeof target !== 'string' || !targets.includes(target))
    bad(`${path}.target`, `must be one of ${targets.join(', ')}`);
  const operator = input['operator'] ?? '=';
  if (typeof operator !== 'string' || !operators.includes(operator))
    bad(`${path}.operator`, `must be one of ${operators.join(' ')}`);
  const compared = input['value'];
  if (!('value' in input)) bad(`${path}.value`, 'is required (null compares as absent)');
  if (
    compared !== null &&
    typeof compared !== 'number' &&
    typeof compared !== 'string' &&
    typeof compared !== 'boolean'
  )
    bad(`${path}.value`, 'must be null, a number, a string or a boolean');
  return {
    key,
    target: target as TxnCompare['target'],
    operator: operator as TxnCompare['operator'],
    value: compared,
  };
}

function parseOperation(value: unknown, path: string): TxnOperation {
  const input = objectAt(value, path);
  const type = input['type'];
  if (typeof type !== 'string' || !operationTypes.includes(type))
    bad(`${path}.type`, `must be one of ${operationTypes.join(', ')}`);
  switch (type) {
    case 'put':
      return {
        type,
        key: stringAt(input['key'], `${path}.key`),
        value: putValueBytes(input, path),
      };
    case 'putStaged':
      return {
        type,
        key: stringAt(input['key'], `${path}.key`),
        handle: stringAt(input['handle'], `${path}.handle`),
      };
    case 'delete':
    case 'get':
      return { type, key: stringAt(input['key'], `${path}.key`) };
    case 'deletePrefix':
      return { type, prefix: stringAt(input['prefix'], `${path}.prefix`) };
    default: {
      const limit = input['limit'] ?? limits.listPageKeysMax;
      if (!Number.isSafeInteger(limit) || (limit as number) < 1)
        bad(`${path}.limit`, 'must be a positive integer');
      return {
        type: 'list',
        prefix: stringAt(input['prefix'] ?? '', `${path}.prefix`, true),
        after: stringAt(input['after'] ?? '', `${path}.after`, true),
        limit: limit as number,
      };
    }
  }
}

function putValueBytes(input: Record<string, unknown>, path: string): Uint8Array {
  const hasBase64 = input['value'] !== undefined;
  const hasText = input['valueText'] !== undefined;
  if (hasBase64 === hasText) bad(path, 'a put takes exactly one of value (base64) and valueText');
  if (hasText)
    return new TextEncoder().encode(stringAt(input['valueText'], `${path}.valueText`, true));
  const text = stringAt(input['value'], `${path}.value`, true);
  if (text.length % 4 !== 0 || !base64Pattern.test(text))
    bad(`${path}.value`, 'must be base64 (use valueText for UTF-8 text)');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** The JSON form of a request (values as base64), as the client sends it. */
export function txnRequestJson(request: TxnRequest): unknown {
  const operation = (each: TxnOperation): unknown =>
    each.type === 'put'
      ? { type: 'put', key: each.key, value: Buffer.from(each.value).toString('base64') }
      : each;
  return {
    requestId: request.requestId,
    compare: request.compare,
    success: request.success.map(operation),
    failure: request.failure.map(operation),
  };
}
