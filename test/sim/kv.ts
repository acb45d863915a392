// The simulated nodes' state machine: a map of string keys to string values,
// driven by commands encoded in normal entries. Deterministic: the same entries
// give the same state and the same results on every node.

import { assert } from '../../src/util/assert.js';

export type KvCommand =
  | {
      readonly kind: 'put';
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
    }
  | { readonly kind: 'delete'; readonly requestId: string; readonly key: string }
  | {
      readonly kind: 'cas';
      readonly requestId: string;
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    };

export interface KvResult {
  readonly requestId: string;
  /** cas: whether it swapped; true for put and delete. */
  readonly success: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/** An empty entry (a new leader's) carries no command. */
export function decodeCommand(data: Uint8Array): KvCommand | null {
  if (data.byteLength === 0) return null;
  const parsed = JSON.parse(decoder.decode(data)) as KvCommand;
  assert(
    parsed.kind === 'put' || parsed.kind === 'delete' || parsed.kind === 'cas',
    'known command kind',
  );
  return parsed;
}

export class KvStateMachine {
  private readonly values = new Map<string, string>();

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  apply(command: KvCommand): KvResult {
    switch (command.kind) {
      case 'put':
        this.values.set(command.key, command.value);
        return { requestId: command.requestId, success: true };
      case 'delete':
        this.values.delete(command.key);
        return { requestId: command.requestId, success: true };
      case 'cas': {
        const matches = (this.values.get(command.key) ?? null) === command.expected;
        if (matches) this.values.set(command.key, command.value);
        return { requestId: command.requestId, success: matches };
      }
    }
  }

  serialize(): Uint8Array {
    const sorted = [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return encoder.encode(JSON.stringify(sorted));
  }

  static restore(data: Uint8Array): KvStateMachine {
    const machine = new KvStateMachine();
    if (data.byteLength === 0) return machine;
    const pairs = JSON.parse(decoder.decode(data)) as [string, string][];
    for (const [key, value] of pairs) machine.values.set(key, value);
    return machine;
  }
}
