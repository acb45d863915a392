// The history model shared by the checker, the simulator and `cairn chaos`.
//
// An operation is one client call on one key. Its outcome says what the client
// learnt: 'ok' (it took effect, with the output shown), 'failed' (it definitely
// had no effect, so the checker drops it) or 'unknown' (a timeout or a lost
// connection: it may have taken effect at any instant after its invocation, so
// the checker treats its completion as +infinity, as Knossos and Porcupine do).
//
// Values are strings and `null` means "absent". Compare-and-set compares the
// VALUE, not the version: versions are assigned by the server, whereas the
// register workload writes values unique per write, which makes a value
// comparison exactly as strong as `put --if-version N`. `expected: null` is
// `--if-absent`.

import { InvalidArgumentError } from '../util/errors.js';

export type OperationKind = 'put' | 'get' | 'delete' | 'cas';
export type Outcome = 'ok' | 'failed' | 'unknown';

export interface OperationInput {
  /** put and cas: the value written. */
  readonly value?: string | undefined;
  /** cas: the value the register must hold for the swap; null means absent. */
  readonly expected?: string | null | undefined;
}

export interface OperationOutput {
  /** get: the value read; null means absent. */
  readonly value?: string | null | undefined;
  /** cas: whether the swap happened. */
  readonly success?: boolean | undefined;
}

export interface Operation {
  readonly clientId: number;
  readonly kind: OperationKind;
  readonly key: string;
  readonly input: OperationInput;
  /** When the client sent the call (ticks or milliseconds; one unit per history). */
  readonly invokedAt: number;
  /** When the client got the answer; undefined or Infinity when unknown. */
  readonly completedAt?: number | undefined;
  readonly outcome: Outcome;
  readonly output?: OperationOutput | undefined;
}

/** Throws an InvalidArgumentError naming the first malformed field of the operation. */
export function validateOperation(operation: Operation, index: number): void {
  const where = `operation ${index} (${operation.kind} ${JSON.stringify(operation.key)})`;
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`${where}: ${why}`, { index });
  };
  if (!Number.isFinite(operation.invokedAt)) fail('invokedAt must be a finite number');
  if (operation.outcome === 'ok' || operation.outcome === 'failed') {
    const completedAt = operation.completedAt;
    if (completedAt === undefined || !Number.isFinite(completedAt))
      fail('a completed operation needs a finite completedAt');
    if ((completedAt as number) < operation.invokedAt) fail('completedAt is before invokedAt');
  }
  switch (operation.kind) {
    case 'put':
      if (typeof operation.input.value !== 'string') fail('put needs input.value');
      break;
    case 'delete':
      break;
    case 'get': {
      const read = operation.output?.value;
      if (operation.outcome === 'ok' && read !== null && typeof read !== 'string')
        fail('a completed get needs output.value (string or null)');
      break;
    }
    case 'cas':
      if (typeof operation.input.value !== 'string') fail('cas needs input.value');
      if (operation.input.expected !== null && typeof operation.input.expected !== 'string')
        fail('cas needs input.expected (string or null)');
      if (operation.outcome === 'ok' && typeof operation.output?.success !== 'boolean')
        fail('a completed cas needs output.success');
      break;
    default:
      fail(`unknown kind ${JSON.stringify(operation.kind as unknown)}`);
  }
  if (
    operation.outcome !== 'ok' &&
    operation.outcome !== 'failed' &&
    operation.outcome !== 'unknown'
  ) {
    fail(`unknown outcome ${JSON.stringify(operation.outcome as unknown)}`);
  }
}

/** One line a person can read: `client 3 cas k 'a'->'b' [10, 14] ok success`. */
export function describeOperation(operation: Operation): string {
  const show = (value: string | null | undefined): string =>
    value === null ? 'absent' : value === undefined ? '?' : JSON.stringify(value);
  const completedAt =
    operation.outcome === 'unknown' || operation.completedAt === undefined
      ? '∞'
      : String(operation.completedAt);
  const interval = `[${operation.invokedAt}, ${completedAt}]`;
  let call: string;
  let result = '';
  switch (operation.kind) {
    case 'put':
      call = `put ${show(operation.input.value)}`;
      break;
    case 'delete':
      call = 'delete';
      break;
    case 'get':
      call = 'get';
      if (operation.outcome === 'ok') result = ` -> ${show(operation.output?.value)}`;
      break;
    case 'cas':
      call = `cas ${show(operation.input.expected)} -> ${show(operation.input.value)}`;
      if (operation.outcome === 'ok')
        result = operation.output?.success === true ? ' swapped' : ' not swapped';
      break;
  }
  return `client ${operation.clientId} ${call} on ${JSON.stringify(operation.key)} ${interval} ${operation.outcome}${result}`;
}
