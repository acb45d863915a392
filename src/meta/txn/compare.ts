// How a compare is evaluated. "Absent" is a value: null, which sorts below every
// present value, so a compare on a missing key is defined, never silently false.
//
// | target          | present key                   | absent key | notes                        |
// | --------------- | ----------------------------- | ---------- | ---------------------------- |
// | exists          | true                          | false      | = and != only                |
// | version         | revision of its last change   | null       | 0 is the same as null        |
// | createdRevision | revision that created the key | null       | 0 is the same as null        |
// | size            | bytes (0 for an empty object) | null       | an empty object is not absent |
// | sha256          | 64 lowercase hex digits       | null       | < and > compare the hex text |
// | lease           | the lease it was put with     | null       | null: none, or a later put   |
// | lockToken       | (key = a lock name) the tokens of its holders; = V: V holds it,     |
// |                 | = null: nobody holds it; = and != only                             |
//
// Operators on the current value C and the compared value V:
//   C = V   equal (null = null holds);   C != V  not equal;
//   C < V   C is null and V is not, or both present and C below V;
//   C > V   C is present and V is null, or both present and C above V.

import { assertNever } from '../../util/assert.js';
import type { MetaReader } from '../store.js';
import { attachedLease } from '../leases/queries.js';
import { readLock } from '../locks/queries.js';
import { readObject } from '../objects/queries.js';
import type { CompareValue, TxnCompare } from './commands.js';
import type { TxnFailedCompare, TxnKeyState } from './outcome.js';

export function keyState(reader: MetaReader, key: string): TxnKeyState {
  const record = readObject(reader, key);
  if (record === undefined)
    return {
      key,
      exists: false,
      version: null,
      createdRevision: null,
      size: null,
      sha256: null,
      lease: null,
    };
  return {
    key,
    exists: true,
    version: record.version,
    createdRevision: record.createdRevision,
    size: record.size,
    sha256: record.sha256,
    lease: attachedLease(reader, key, record.version),
  };
}

/**
 * A lock's state as a lockToken compare sees it (the key is the lock name): `exists`
 * is whether anyone holds it, `lockTokens` the holders' fencing tokens.
 */
export function lockState(reader: MetaReader, name: string): TxnKeyState {
  const lockTokens = readLock(reader, name)?.holders.map((holder) => holder.token) ?? [];
  const absent = { version: null, createdRevision: null, size: null, sha256: null, lease: null };
  return { key: name, exists: lockTokens.length > 0, ...absent, lockTokens };
}

/** Every compare that does not hold, with its key's current state, in compare order. */
export function failedCompares(
  reader: MetaReader,
  compares: readonly TxnCompare[],
): TxnFailedCompare[] {
  const failed: TxnFailedCompare[] = [];
  const states = new Map<string, TxnKeyState>();
  for (let index = 0; index < compares.length; index++) {
    const compare = compares[index] as TxnCompare;
    // Lock names and object keys are apart: a lock may share its name with an object.
    const isLock = compare.target === 'lockToken';
    const cacheKey = `${isLock ? 'l' : 'o'}${compare.key}`;
    let state = states.get(cacheKey);
    if (state === undefined) {
      state = isLock ? lockState(reader, compare.key) : keyState(reader, compare.key);
      states.set(cacheKey, state);
    }
    if (compareHolds(compare, state)) continue;
    const { target, operator, value } = compare;
    failed.push({ index, target, operator, value, current: state });
  }
  return failed;
}

export function compareHolds(compare: TxnCompare, state: TxnKeyState): boolean {
  if (compare.target === 'lockToken') return lockCompareHolds(compare, state.lockTokens ?? []);
  const current = currentValue(compare, state);
  const wanted = normalised(compare, compare.value);
  switch (compare.operator) {
    case '=':
      return current === wanted;
    case '!=':
      return current !== wanted;
    case '<':
      return wanted !== null && (current === null || ordered(current, wanted) < 0);
    case '>':
      return current !== null && (wanted === null || ordered(current, wanted) > 0);
    default:
      return assertNever(compare.operator, 'compare operator');
  }
}

function currentValue(compare: TxnCompare, state: TxnKeyState): CompareValue {
  switch (compare.target) {
    case 'exists':
      return state.exists;
    case 'version':
      return state.version;
    case 'createdRevision':
      return state.createdRevision;
    case 'size':
      return state.size;
    case 'sha256':
      return state.sha256;
    case 'lease':
      return state.lease;
    case 'lockToken':
      return null; // compared by lockCompareHolds
    default:
      return assertNever(compare.target, 'compare target');
  }
}

/** = V: token V holds the lock (null: nobody holds it); != is its negation. */
function lockCompareHolds(compare: TxnCompare, tokens: readonly number[]): boolean {
  const held =
    compare.value === null
      ? tokens.length === 0
      : typeof compare.value === 'number' && tokens.includes(compare.value);
  if (compare.operator === '=') return held;
  if (compare.operator === '!=') return !held;
  return false; // refused by validation: = and != only
}

/** Revisions start at 1: a version or created revision of 0 means absent. */
function normalised(compare: TxnCompare, value: CompareValue): CompareValue {
  const revisionLike = compare.target === 'version' || compare.target === 'createdRevision';
  return revisionLike && value === 0 ? null : value;
}

function ordered(left: CompareValue, right: CompareValue): number {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  if (typeof left === 'string' && typeof right === 'string')
    return left < right ? -1 : left > right ? 1 : 0;
  return left === right ? 0 : String(left) < String(right) ? -1 : 1;
}
