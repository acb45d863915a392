// Assertions stay on in production (TigerBeetle style): a broken invariant stops
// the operation loudly instead of corrupting state quietly. Never catch and ignore
// an AssertionFailure; it means a bug in cairn, not bad input.

export class AssertionFailure extends Error {
  readonly code = 'CAIRN_ERR_ASSERTION';
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionFailure';
  }
}

export function assert(condition: unknown, message = 'condition is false'): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new AssertionFailure(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

export function assertInteger(
  value: number,
  what: string,
  minimum = 0,
  maximum = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new AssertionFailure(
      `${what} must be an integer in [${minimum}, ${maximum}], got ${value}`,
    );
  }
}

export function assertNever(value: never, what = 'value'): never {
  throw new AssertionFailure(`unexpected ${what}: ${JSON.stringify(value)}`);
}
