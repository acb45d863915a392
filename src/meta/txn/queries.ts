// Reads of the txn family: a txn's outcome by request id, staged uploads.

import type { MetaReader } from '../store.js';
import { outcomeKey, splitExpiryKey, stagedKey, txnKeys } from './keys.js';
import type { TxnOutcome } from './outcome.js';
import { decodeOutcomeRecord, decodeStagedRecord, type StagedRecord } from './records.js';
import { readTxnFamilyState } from './retention.js';

/**
 * What is known of the txn with `requestId`, asked by a caller that first sent it after
 * it had seen revision `sentAfterRevision` (0: it does not know):
 * * found: its kept outcome;
 * * notApplied: no txn with this id applied at a revision above sentAfterRevision that
 *   could have been dropped, so none applied (a txn still in flight may apply later:
 *   resend it with the same request id to settle it, exactly once);
 * * expired: outcomes of revisions up to droppedThroughRevision were dropped and the
 *   txn may have been one of them (sentAfterRevision <= droppedThroughRevision).
 */
export type TxnOutcomeLookup =
  | { readonly state: 'found'; readonly outcome: TxnOutcome }
  | { readonly state: 'notApplied' }
  | { readonly state: 'expired'; readonly droppedThroughRevision: number };

export function lookUpTxnOutcome(
  reader: MetaReader,
  requestId: string,
  sentAfterRevision: number,
): TxnOutcomeLookup {
  const bytes = reader.get(outcomeKey(requestId));
  if (bytes !== undefined)
    return {
      state: 'found',
      outcome: { ...decodeOutcomeRecord(bytes).outcome, requestId, replayed: true },
    };
  const { droppedThroughRevision } = readTxnFamilyState(reader);
  if (droppedThroughRevision > 0 && sentAfterRevision <= droppedThroughRevision)
    return { state: 'expired', droppedThroughRevision };
  return { state: 'notApplied' };
}

export function readStagedUpload(reader: MetaReader, handle: string): StagedRecord | undefined {
  const bytes = reader.get(stagedKey(handle));
  return bytes === undefined ? undefined : decodeStagedRecord(bytes);
}

/** The expiry time of the staged upload that expires first, if any. */
export function firstStagedExpiry(reader: MetaReader): number | undefined {
  const [first] = reader.rangeEntries(txnKeys.stagedExpiryPrefix, undefined, 1);
  return first === undefined
    ? undefined
    : splitExpiryKey(txnKeys.stagedExpiryPrefix, first.key).order;
}

export interface TxnRetention {
  readonly clockMilliseconds: number;
  readonly droppedThroughRevision: number;
  readonly outcomeCount: number;
  readonly outcomeBytesTotal: number;
}

export function txnRetention(reader: MetaReader): TxnRetention {
  return readTxnFamilyState(reader);
}

/**
 * Up to `limit` staged uploads after `after` (a handle), in handle order: their chunks
 * are references too, for rebalance and repair (src/data/maintenance).
 */
export function listStagedUploads(
  reader: MetaReader,
  after: string | undefined,
  limit: number,
): { handle: string; record: StagedRecord }[] {
  const entries = reader.rangeEntries(
    txnKeys.stagedPrefix,
    after === undefined ? undefined : stagedKey(after),
    limit,
  );
  return entries.map((entry) => ({
    handle: entry.key.slice(txnKeys.stagedPrefix.length),
    record: decodeStagedRecord(entry.value),
  }));
}
