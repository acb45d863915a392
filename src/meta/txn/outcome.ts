// What a transaction answers: whether its compares held, the result of each operation
// of the branch that ran, and every compare that failed with its key's current state.
// The stored form (for retries and look-ups by request id) keeps the writes' results
// only: reads are not kept and a replay marks them `replayed`.

// A key's state as a compare saw it, and a failed compare with it: the wire shapes.
import type { TxnFailedCompare, TxnKeyState } from '../../api/wire.js';

export type { TxnFailedCompare, TxnKeyState };

export interface TxnObjectSummary {
  readonly key: string;
  readonly version: number;
  readonly size: number;
  readonly sha256: string;
}

export type TxnOperationResult =
  | { readonly type: 'put'; readonly key: string; readonly version: number }
  | {
      readonly type: 'putStaged';
      readonly key: string;
      readonly version: number;
      readonly size: number;
      readonly sha256: string;
    }
  | { readonly type: 'delete'; readonly key: string; readonly deleted: boolean }
  | { readonly type: 'deletePrefix'; readonly prefix: string; readonly deleted: number }
  | {
      readonly type: 'get';
      readonly key: string;
      /** Absent on a replay (reads are not kept). */
      readonly found?: boolean;
      readonly object?: TxnObjectSummary & {
        readonly createdRevision: number;
        /** The bytes of an inline object; a large one is read with GET /v1/objects/{key}. */
        readonly value?: Uint8Array;
      };
      readonly replayed?: true;
    }
  | {
      readonly type: 'list';
      readonly prefix: string;
      readonly items?: readonly TxnObjectSummary[];
      readonly nextAfter?: string | null;
      readonly replayed?: true;
    };

export interface TxnOutcome {
  readonly requestId: string;
  readonly succeeded: boolean;
  /** The revision the txn applied at (its writes' version; the current one if none). */
  readonly revision: number;
  readonly results: readonly TxnOperationResult[];
  readonly failedCompares: readonly TxnFailedCompare[];
  /** Set when this is the kept outcome of an earlier application (a retry). */
  readonly replayed?: true;
}

/** An outcome as kept: without its request id (the key it is kept under). */
export type KeptOutcome = Omit<TxnOutcome, 'requestId' | 'replayed'>;

/** The outcome as kept: read results reduced to what they read. */
export function keptOutcome(outcome: TxnOutcome): KeptOutcome {
  const results = outcome.results.map((result): TxnOperationResult => {
    if (result.type === 'get') return { type: 'get', key: result.key, replayed: true };
    if (result.type === 'list') return { type: 'list', prefix: result.prefix, replayed: true };
    return result;
  });
  const { replayed: _replayed, requestId: _requestId, ...rest } = outcome;
  return { ...rest, results };
}
