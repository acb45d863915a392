// What is wrong with a transaction command itself (state is not consulted). Every
// problem names the path of the bad field, as the JSON body spells it (`success[3].key`).

import { isSha256Hex } from '../codec.js';
import { objectKeyProblem } from '../keys.js';
import { requestIdProblem } from '../objects/commands.js';
import type { TransactionCommand, TxnCompare, TxnOperation } from './commands.js';
import { compareOperators, compareTargets } from './commands.js';
import { handleProblem } from './commands.js';
import { limits } from '../../util/limits.js';
import { integerProblem } from '../validation.js';
import { lockNameProblem } from '../locks/commands.js';

export function transactionProblem(command: TransactionCommand): string | undefined {
  const problem =
    requestIdProblem(command.requestId) ??
    integerProblem(
      command.proposedAtMilliseconds,
      'proposedAtMilliseconds',
      0,
      Number.MAX_SAFE_INTEGER,
    );
  if (problem !== undefined) return problem;
  if (command.fence !== undefined) {
    const fence = command.fence;
    const fenceProblem =
      lockNameProblem(fence.name) ??
      integerProblem(fence.token, 'token', 1, Number.MAX_SAFE_INTEGER);
    if (fenceProblem !== undefined) return `fence: ${fenceProblem}`;
  }
  if (!Array.isArray(command.compare)) return 'compare must be a list';
  if (command.compare.length > limits.txnComparesMax)
    return `compare holds at most ${limits.txnComparesMax} compares (txnComparesMax), got ${command.compare.length}`;
  for (let index = 0; index < command.compare.length; index++) {
    const compareProblem = txnCompareProblem(command.compare[index] as TxnCompare);
    if (compareProblem !== undefined) return `compare[${index}].${compareProblem}`;
  }
  let readKeys = 0;
  for (const branch of ['success', 'failure'] as const) {
    const operations = command[branch];
    const branchProblem = branchOperationsProblem(branch, operations);
    if (branchProblem !== undefined) return branchProblem;
    for (const operation of operations)
      readKeys += operation.type === 'get' ? 1 : operation.type === 'list' ? operation.limit : 0;
  }
  if (readKeys > limits.txnReadKeysMax)
    return `the gets and lists of one txn return at most ${limits.txnReadKeysMax} keys (txnReadKeysMax), these ask for ${readKeys}`;
  return undefined;
}

/** The problem after the path prefix (`key: ...`, `value: ...`), or undefined. */
export function txnCompareProblem(compare: TxnCompare): string | undefined {
  // A lockToken compare names a lock (its key is the lock name), the others an object.
  const keyProblem =
    compare.target === 'lockToken' ? lockNameProblem(compare.key) : objectKeyProblem(compare.key);
  if (keyProblem !== undefined) return `key: ${keyProblem}`;
  if (!compareTargets.includes(compare.target))
    return `target: must be one of ${compareTargets.join(', ')}`;
  if (!compareOperators.includes(compare.operator))
    return `operator: must be one of ${compareOperators.join(' ')}`;
  const { value, target } = compare;
  if (target === 'lockToken') {
    if (compare.operator !== '=' && compare.operator !== '!=')
      return 'operator: a lockToken compare takes = or !=';
    if (value === null) return undefined;
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1
      ? undefined
      : 'value: a lockToken compare takes a token (a positive integer) or null (not held)';
  }
  if (target === 'exists') {
    if (typeof value !== 'boolean') return 'value: an exists compare takes true or false';
    if (compare.operator !== '=' && compare.operator !== '!=')
      return 'operator: an exists compare takes = or !=';
    return undefined;
  }
  if (value === null) return undefined;
  if (target === 'sha256')
    return typeof value === 'string' && isSha256Hex(value)
      ? undefined
      : 'value: a sha256 compare takes 64 lowercase hex digits or null (absent)';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    return `value: a ${target} compare takes a non-negative integer or null (absent)`;
  return undefined;
}

function branchOperationsProblem(
  branch: 'success' | 'failure',
  operations: readonly TxnOperation[],
): string | undefined {
  if (!Array.isArray(operations)) return `${branch} must be a list`;
  if (operations.length > limits.txnOperationsMax)
    return `${branch} holds at most ${limits.txnOperationsMax} operations (txnOperationsMax), got ${operations.length}`;
  const writtenAt = new Map<string, number>();
  const prefixes: { prefix: string; index: number }[] = [];
  for (let index = 0; index < operations.length; index++) {
    const operation = operations[index] as TxnOperation;
    const path = `${branch}[${index}]`;
    const problem = operationProblem(operation);
    if (problem !== undefined) return `${path}.${problem}`;
    if (operation.type === 'deletePrefix') prefixes.push({ prefix: operation.prefix, index });
    if (operation.type !== 'put' && operation.type !== 'putStaged' && operation.type !== 'delete')
      continue;
    const earlier = writtenAt.get(operation.key);
    if (earlier !== undefined)
      return `${path}.key: the key ${JSON.stringify(operation.key)} is written twice in one txn (also ${branch}[${earlier}])`;
    writtenAt.set(operation.key, index);
  }
  for (const [key, index] of writtenAt) {
    const covering = prefixes.find((entry) => key.startsWith(entry.prefix));
    if (covering !== undefined)
      return `${branch}[${index}].key: the key ${JSON.stringify(key)} is also deleted by the prefix of ${branch}[${covering.index}]`;
  }
  return undefined;
}

function operationProblem(operation: TxnOperation): string | undefined {
  switch (operation.type) {
    case 'put': {
      if (!(operation.value instanceof Uint8Array)) return 'value: bytes are required';
      if (operation.value.length > limits.objectInlineBytesMax)
        return `value: an inline value is at most ${limits.objectInlineBytesMax} bytes (objectInlineBytesMax), got ${operation.value.length}; stage it (POST /v1/staging) and use putStaged`;
      return keyProblemAt(operation.key, 'key');
    }
    case 'putStaged': {
      const handle = handleProblem(operation.handle);
      return (
        keyProblemAt(operation.key, 'key') ??
        (handle === undefined ? undefined : `handle: ${handle}`)
      );
    }
    case 'delete':
    case 'get':
      return keyProblemAt(operation.key, 'key');
    case 'deletePrefix':
      return keyProblemAt(operation.prefix, 'prefix');
    case 'list': {
      if (operation.prefix !== '') {
        const problem = keyProblemAt(operation.prefix, 'prefix');
        if (problem !== undefined) return problem;
      }
      if (operation.after !== '') {
        const problem = keyProblemAt(operation.after, 'after');
        if (problem !== undefined) return problem;
      }
      const limitProblem = integerProblem(operation.limit, 'limit', 1, limits.listPageKeysMax);
      return limitProblem === undefined ? undefined : `limit: ${limitProblem}`;
    }
    default:
      return `type: unknown operation ${JSON.stringify((operation as { type: unknown }).type)}`;
  }
}

function keyProblemAt(key: string, field: string): string | undefined {
  if (typeof key !== 'string') return `${field}: a string is required`;
  const problem = objectKeyProblem(key);
  return problem === undefined ? undefined : `${field}: ${problem}`;
}
