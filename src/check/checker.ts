// checkHistory: is a history of key-value operations linearizable?
//
// A KV store is linearizable iff each key is (linearizability is local), so the
// history is partitioned by key and each partition searched on its own
// (search.ts). Failed operations had no effect and are dropped; gets of unknown
// outcome observed nothing and are dropped too. On a violation the result names
// the key, a small failing sub-history (found by removing chunks of operations
// while the rest still fails, never removing the write of a value a remaining
// operation refers to) and an explanation built from the longest linearizable
// order the search found.

import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { describeOperation, validateOperation, type Operation } from './history.js';
import { explainIllegal, stepRegister, type RegisterState } from './register-model.js';
import { searchLinearization } from './search.js';

export type CheckResult =
  | { readonly ok: true; readonly keysChecked: number; readonly statesExplored: number }
  | {
      readonly ok: false;
      readonly key: string;
      /**
       * 'minimal': a small sub-history of the key that is still not linearizable.
       * 'involved' (the key's history was too long to shrink): the operations the
       * search could not place, the last ones it placed, and the writes of the
       * values they refer to.
       */
      readonly operations: readonly Operation[];
      readonly operationsAre: 'minimal' | 'involved' | 'everything';
      /** The longest linearizable order the search found, in that order. */
      readonly longestLinearizablePrefix: readonly Operation[];
      readonly explanation: string;
      readonly statesExplored: number;
    }
  | {
      readonly ok: 'unknown';
      readonly reason: 'limit';
      readonly key: string;
      readonly statesExplored: number;
    };

export interface CheckOptions {
  /** Bound on (linearized set, state) pairs explored per key. */
  readonly statesPerKeyMax?: number;
  /** Shrink a failing key's history to a small failing sub-history (default true). */
  readonly minimize?: boolean;
}

export function checkHistory(
  history: readonly Operation[],
  options: CheckOptions = {},
): CheckResult {
  const statesPerKeyMax = options.statesPerKeyMax ?? limits.checkStatesPerKeyMax;
  assert(
    Number.isSafeInteger(statesPerKeyMax) && statesPerKeyMax > 0,
    'statesPerKeyMax is a positive integer',
  );
  history.forEach(validateOperation);
  const partitions = partitionByKey(history);
  let statesExplored = 0;
  let firstUnknownKey: string | null = null;
  for (const [key, operations] of partitions) {
    const outcome = searchLinearization(operations, statesPerKeyMax);
    statesExplored += outcome.statesExplored;
    if (outcome.kind === 'limit') {
      firstUnknownKey ??= key;
      continue;
    }
    if (outcome.kind === 'linearizable') continue;
    const stuckAt = stuckTime(operations, outcome.longestPrefix);
    const shrink =
      options.minimize !== false && operations.length <= limits.checkMinimizeOperationsMax;
    const operationsAre =
      options.minimize === false ? 'everything' : shrink ? 'minimal' : 'involved';
    const reported =
      operationsAre === 'everything'
        ? operations
        : shrink
          ? minimizeFailing(operations, stuckAt)
          : involvedOperations(operations, outcome.longestPrefix, stuckAt);
    const prefix = outcome.longestPrefix.map((index) => operations[index] as Operation);
    return {
      ok: false,
      key,
      operations: reported,
      operationsAre,
      longestLinearizablePrefix: prefix,
      explanation: explainViolation(key, operations, outcome.longestPrefix),
      statesExplored,
    };
  }
  if (firstUnknownKey !== null)
    return { ok: 'unknown', reason: 'limit', key: firstUnknownKey, statesExplored };
  return { ok: true, keysChecked: partitions.size, statesExplored };
}

/** Keys in sorted order (deterministic output); operations in history order. */
function partitionByKey(history: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const operation of history) {
    if (operation.outcome === 'failed') continue;
    if (operation.outcome === 'unknown' && operation.kind === 'get') continue;
    const list = byKey.get(operation.key);
    if (list === undefined) byKey.set(operation.key, [operation]);
    else list.push(operation);
  }
  const sortedKeys = [...byKey.keys()].sort();
  return new Map(sortedKeys.map((key) => [key, byKey.get(key) as Operation[]]));
}

function explainViolation(
  key: string,
  operations: readonly Operation[],
  prefix: readonly number[],
): string {
  let state: RegisterState = null;
  const placed = new Set<number>();
  for (const index of prefix) {
    const operation = operations[index] as Operation;
    const step = stepRegister(state, operation);
    assert(step.legal, 'the longest prefix replays legally');
    state = step.next;
    placed.add(index);
  }
  // The operations that could come next: invoked before every remaining definite
  // operation completed.
  let earliestCompletion = Number.POSITIVE_INFINITY;
  operations.forEach((operation, index) => {
    if (!placed.has(index) && operation.outcome === 'ok')
      earliestCompletion = Math.min(earliestCompletion, operation.completedAt as number);
  });
  const lines: string[] = [];
  operations.forEach((operation, index) => {
    if (placed.has(index) || operation.invokedAt > earliestCompletion) return;
    if (lines.length >= limits.checkExplanationCandidatesMax) return;
    const step = stepRegister(state, operation);
    const why = step.legal
      ? 'placing it here leads to a dead end later'
      : explainIllegal(state, operation);
    lines.push(`  - ${describeOperation(operation)}: ${why}`);
  });
  const held = state === null ? 'absent' : JSON.stringify(state);
  return [
    `key ${JSON.stringify(key)} is not linearizable: the longest linearizable order places ${prefix.length} of ${operations.length} operations,`,
    `after which the register holds ${held} and no remaining operation can come next:`,
    ...lines,
  ].join('\n');
}

/** What the search got stuck on, with context: for histories too long to shrink. */
function involvedOperations(
  operations: readonly Operation[],
  prefix: readonly number[],
  stuckAt: number,
): Operation[] {
  const placed = new Set(prefix);
  const involved = new Set<number>(prefix.slice(-limits.checkInvolvedContextOperations));
  operations.forEach((operation, index) => {
    if (!placed.has(index) && operation.invokedAt <= stuckAt) involved.add(index);
  });
  const referenced = new Set<string>();
  for (const index of involved) {
    const operation = operations[index] as Operation;
    const value =
      operation.kind === 'get'
        ? operation.output?.value
        : operation.kind === 'cas'
          ? operation.input.expected
          : null;
    if (typeof value === 'string') referenced.add(value);
  }
  operations.forEach((operation, index) => {
    if (
      (operation.kind === 'put' || operation.kind === 'cas') &&
      operation.input.value !== undefined &&
      referenced.has(operation.input.value)
    )
      involved.add(index);
  });
  return [...involved].sort((a, b) => a - b).map((index) => operations[index] as Operation);
}

/** The earliest completion among the definite operations the longest order could not place. */
function stuckTime(operations: readonly Operation[], prefix: readonly number[]): number {
  const placed = new Set(prefix);
  let earliest = Number.POSITIVE_INFINITY;
  operations.forEach((operation, index) => {
    if (!placed.has(index) && operation.outcome === 'ok')
      earliest = Math.min(earliest, operation.completedAt as number);
  });
  return earliest;
}

/**
 * The history as it stood at `time`: operations invoked later are dropped; those
 * still running then become unknown (writes) or are dropped (gets). If the whole
 * history is linearizable, so is this cut (take a linearization of the whole and
 * keep the same points), so a failing cut proves the whole fails.
 */
function cutAt(operations: readonly Operation[], time: number): Operation[] {
  const cut: Operation[] = [];
  for (const operation of operations) {
    if (operation.invokedAt > time) continue;
    const completedAt =
      operation.outcome === 'ok' ? (operation.completedAt as number) : Number.POSITIVE_INFINITY;
    if (completedAt <= time) cut.push(operation);
    else if (operation.kind !== 'get')
      cut.push({ ...operation, outcome: 'unknown', completedAt: undefined, output: undefined });
  }
  return cut;
}

/**
 * First cuts the history at the time the search got stuck, then removes chunks
 * of operations (halving the chunk size, then single operations until nothing
 * more goes) while the rest still fails, within a total state budget.
 * Operations still running at the cut are shown as unknown. Removing a read never
 * turns a linearizable history into a failing one, so reads go freely; a write
 * goes only when no remaining operation observes what it wrote (a read of its
 * value, a cas expecting it; for a delete, a read of absence or an if-absent
 * cas; any write while a cas that did not swap remains), so the sub-history
 * fails for the same reason as the whole.
 */
function minimizeFailing(operations: readonly Operation[], stuckAt: number): Operation[] {
  let statesLeft = limits.checkMinimizeStatesTotalMax;
  const stillFails = (candidate: readonly Operation[]): boolean => {
    const outcome = searchLinearization(
      candidate,
      Math.max(1, Math.min(limits.checkMinimizeStatesPerCheckMax, statesLeft)),
    );
    statesLeft -= outcome.statesExplored;
    return outcome.kind === 'violation';
  };
  let current = operations.slice();
  if (Number.isFinite(stuckAt)) {
    const cut = cutAt(operations, stuckAt);
    if (cut.length < operations.length && stillFails(cut)) current = cut;
  }
  let chunkSize = Math.max(1, Math.ceil(current.length / 2));
  let checks = 0;
  let removedInPass = true;
  while (
    checks < limits.checkMinimizeChecksMax &&
    statesLeft > 0 &&
    (chunkSize > 1 || removedInPass)
  ) {
    removedInPass = false;
    let start = 0;
    while (start < current.length && checks < limits.checkMinimizeChecksMax && statesLeft > 0) {
      const candidate = current.slice(0, start).concat(current.slice(start + chunkSize));
      if (
        candidate.length > 0 &&
        removalIsSound(current.slice(start, start + chunkSize), candidate)
      ) {
        checks++;
        if (stillFails(candidate)) {
          current = candidate;
          removedInPass = true;
          continue;
        }
      }
      start += chunkSize;
    }
    chunkSize = Math.max(1, Math.ceil(chunkSize / 2));
  }
  return current;
}

/** False when a removed write wrote something a remaining operation observed. */
function removalIsSound(removed: readonly Operation[], remaining: readonly Operation[]): boolean {
  const observed = new Set<string | null>();
  // A cas that did not swap observed "anything but the expected value", which a
  // removed write may have provided: while one remains, writes stay.
  let unsuccessfulCasRemains = false;
  for (const operation of remaining) {
    if (operation.kind === 'get') observed.add(operation.output?.value ?? null);
    if (operation.kind === 'cas') observed.add(operation.input.expected ?? null);
    if (
      operation.kind === 'cas' &&
      operation.outcome === 'ok' &&
      operation.output?.success === false
    )
      unsuccessfulCasRemains = true;
  }
  if (
    unsuccessfulCasRemains &&
    removed.some((operation) => operation.kind !== 'get' && operation.output?.success !== false)
  )
    return false;
  for (const operation of removed) {
    if (operation.kind === 'put' && observed.has(operation.input.value ?? null)) return false;
    if (operation.kind === 'delete' && observed.has(null)) return false;
    if (
      operation.kind === 'cas' &&
      operation.output?.success !== false &&
      observed.has(operation.input.value ?? null)
    )
      return false;
  }
  return true;
}
