// The sequential specification of one key: a register holding a value or absent.
// The checker asks, for a state and an operation, whether the operation's
// observed output is legal in that state and which state follows.

import { assert, assertNever } from '../util/assert.js';
import type { Operation } from './history.js';

/** The register's content; null means the key is absent. */
export type RegisterState = string | null;

export interface ModelStep {
  readonly legal: boolean;
  readonly next: RegisterState;
}

export function stepRegister(state: RegisterState, operation: Operation): ModelStep {
  assert(operation.outcome !== 'failed', 'failed operations never reach the model');
  switch (operation.kind) {
    case 'put':
      return { legal: true, next: operation.input.value as string };
    case 'delete':
      return { legal: true, next: null };
    case 'get':
      assert(operation.outcome === 'ok', 'gets of unknown outcome never reach the model');
      return { legal: operation.output?.value === state, next: state };
    case 'cas':
      return stepCompareAndSet(state, operation);
    default:
      return assertNever(operation.kind, 'operation kind');
  }
}

function stepCompareAndSet(state: RegisterState, operation: Operation): ModelStep {
  const matches = state === operation.input.expected;
  const swapped = matches ? (operation.input.value as string) : state;
  // Unknown outcome: had it taken effect at this point, it swapped iff it matched.
  if (operation.outcome === 'unknown') return { legal: true, next: swapped };
  const success = operation.output?.success === true;
  return { legal: success === matches, next: swapped };
}

/** Why the operation cannot be placed in this state, for explanations. */
export function explainIllegal(state: RegisterState, operation: Operation): string {
  const show = (value: RegisterState | undefined): string =>
    value === null ? 'absent' : value === undefined ? '?' : JSON.stringify(value);
  if (operation.kind === 'get')
    return `it read ${show(operation.output?.value)} but the register held ${show(state)}`;
  if (operation.kind === 'cas') {
    const success = operation.output?.success === true;
    return success
      ? `it swapped, expecting ${show(operation.input.expected)}, but the register held ${show(state)}`
      : `it did not swap although the register held the expected ${show(state)}`;
  }
  return 'it is always legal';
}
