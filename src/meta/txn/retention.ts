// How long outcomes and staged uploads are kept. Outcomes: while within the last
// txnOutcomesRetainedRevisions revisions OR txnOutcomesRetainedMilliseconds of group
// time (whichever keeps more), never beyond txnOutcomesBytesMax bytes in total (the
// oldest go first). Staged uploads: until their expiry on the group clock. Both expire
// a bounded number per entry, oldest first; the group clock is the largest proposer
// time an entry carried (deterministic: every replica reads it from the entries).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import type { ApplyContext } from '../family.js';
import { adjustChunkReferences } from '../objects/apply.js';
import type { MetaReader } from '../store.js';
import { outcomeKey, splitExpiryKey, stagedKey, txnKeys } from './keys.js';
import {
  decodeStagedRecord,
  decodeTxnFamilyState,
  emptyTxnFamilyState,
  type TxnFamilyState,
} from './records.js';

export function readTxnFamilyState(reader: MetaReader): TxnFamilyState {
  const bytes = reader.get(txnKeys.state);
  return bytes === undefined ? emptyTxnFamilyState : decodeTxnFamilyState(bytes);
}

/** Whether the oldest kept outcome may go: past both windows, or over the byte cap. */
function outcomeExpired(
  state: TxnFamilyState,
  revisionNow: number,
  outcome: { revision: number; appliedAtMilliseconds: number },
): boolean {
  if (state.outcomeBytesTotal > limits.txnOutcomesBytesMax) return true;
  const revisionsOld = outcome.revision <= revisionNow - limits.txnOutcomesRetainedRevisions;
  const timeOld =
    outcome.appliedAtMilliseconds <=
    state.clockMilliseconds - limits.txnOutcomesRetainedMilliseconds;
  return revisionsOld && timeOld;
}

export function expireOutcomes(
  context: ApplyContext,
  before: TxnFamilyState,
  countMax: number,
): TxnFamilyState {
  const { transaction } = context;
  let state = before;
  let after: string | undefined;
  // One entry per range call: the usual answer is "the oldest is not due", read cheaply.
  for (let count = 0; count < countMax; count++) {
    const [entry] = transaction.rangeEntries(txnKeys.outcomeExpiryPrefix, after, 1);
    if (entry === undefined) break;
    after = entry.key;
    const { order: revision, name: requestId } = splitExpiryKey(
      txnKeys.outcomeExpiryPrefix,
      entry.key,
    );
    const [timeText, bytesText] = new TextDecoder().decode(entry.value).split(' ');
    const appliedAtMilliseconds = Number(timeText);
    const recordBytes = Number(bytesText);
    assert(
      Number.isSafeInteger(appliedAtMilliseconds) && Number.isSafeInteger(recordBytes),
      'an outcome expiry entry holds its time and size',
    );
    if (!outcomeExpired(state, context.revision, { revision, appliedAtMilliseconds })) break;
    transaction.delete(outcomeKey(requestId));
    transaction.delete(entry.key);
    state = {
      ...state,
      droppedThroughRevision: Math.max(state.droppedThroughRevision, revision),
      outcomeCount: state.outcomeCount - 1,
      outcomeBytesTotal: state.outcomeBytesTotal - recordBytes,
    };
  }
  return state;
}

/** Drops staged uploads whose expiry is at or before the clock; releases their chunks. */
export function expireStaged(context: ApplyContext, clock: number, countMax: number): number {
  const { transaction } = context;
  let expired = 0;
  let after: string | undefined;
  for (let count = 0; count < countMax; count++) {
    const [entry] = transaction.rangeEntries(txnKeys.stagedExpiryPrefix, after, 1);
    if (entry === undefined) break;
    after = entry.key;
    const { order: expiresAt, name: handle } = splitExpiryKey(
      txnKeys.stagedExpiryPrefix,
      entry.key,
    );
    if (expiresAt > clock) break;
    const stored = transaction.get(stagedKey(handle));
    assert(stored !== undefined, 'a staged expiry entry has its upload');
    adjustChunkReferences(context, decodeStagedRecord(stored).chunks, -1);
    transaction.delete(stagedKey(handle));
    transaction.delete(entry.key);
    expired++;
  }
  return expired;
}
