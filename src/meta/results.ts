// The result of applying a command (what the proposer's waiter receives) and its
// stored form (request records keep results for retries).

import { assert, assertNever } from '../util/assert.js';
import { limits } from '../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  readBoundedString,
  readBoundedVarint,
  readTag,
} from './codec.js';
import type { TxnOutcome } from './txn/outcome.js';

export type MetaResult =
  /** For writes and deletes: the revision at which the command took effect. */
  | { readonly type: 'ok'; readonly version: number }
  /** A condition failed; currentVersion 0 means the key is absent. */
  | { readonly type: 'conflict'; readonly currentVersion: number }
  | { readonly type: 'notFound' }
  /** The command is not applicable to the current state (e.g. a duplicate member); nothing changed. */
  | { readonly type: 'rejected'; readonly message: string }
  /** A transaction's answer (src/meta/txn); kept by the txn family, never in q/ records. */
  | { readonly type: 'transaction'; readonly outcome: TxnOutcome };

const rejectionMessageLengthMax = 300;

export function rejected(message: string): MetaResult {
  // Bounded so the result fits its stored form (request records keep results).
  const bounded =
    message.length > rejectionMessageLengthMax
      ? `${message.slice(0, rejectionMessageLengthMax - 3)}...`
      : message;
  return { type: 'rejected', message: bounded };
}

export const notBootstrapped = (): MetaResult => rejected('the cluster is not bootstrapped yet');

const resultTags = { ok: 0, conflict: 1, notFound: 2, rejected: 3 } as const;

export function writeResult(out: BinaryWriter, result: MetaResult): void {
  // Object request records keep object results only; a txn keeps its own outcome.
  assert(result.type !== 'transaction', 'a transaction result is not kept in q/');
  out.writeUint8(resultTags[result.type]);
  switch (result.type) {
    case 'ok':
      out.writeVarint(result.version);
      return;
    case 'conflict':
      out.writeVarint(result.currentVersion);
      return;
    case 'notFound':
      return;
    case 'rejected':
      out.writeString(result.message);
      return;
    default:
      assertNever(result, 'meta result');
  }
}

export function readResult(input: BinaryReader, what: string): MetaResult {
  const safeMax = Number.MAX_SAFE_INTEGER;
  const tag = readTag(input, what, 'result kind', resultTags.rejected);
  if (tag === resultTags.ok)
    return { type: 'ok', version: readBoundedVarint(input, what, 'version', 0, safeMax) };
  if (tag === resultTags.conflict) {
    return {
      type: 'conflict',
      currentVersion: readBoundedVarint(input, what, 'currentVersion', 0, safeMax),
    };
  }
  if (tag === resultTags.notFound) return { type: 'notFound' };
  return {
    type: 'rejected',
    message: readBoundedString(input, what, 'message', limits.metaRejectionMessageBytesMax),
  };
}
