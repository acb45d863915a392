// The txn family's stored records. They are JSON text in the shared record framing:
// written once per txn and read back only on a retry, a look-up or an expiry, and
// JSON.stringify of objects built in a fixed order is deterministic.

import { CorruptionError } from '../../util/errors.js';
import { limits } from '../../util/limits.js';
import type { ManifestChunk } from '../objects/records.js';
import { decodeText, encodeText } from '../record-format.js';
import type { KeptOutcome } from './outcome.js';

export interface TxnFamilyState {
  /** The group clock: the largest proposer time seen, never lowered. */
  readonly clockMilliseconds: number;
  /** The newest revision of an outcome dropped from retention (0: none yet). */
  readonly droppedThroughRevision: number;
  readonly outcomeCount: number;
  readonly outcomeBytesTotal: number;
}

export const emptyTxnFamilyState: TxnFamilyState = {
  clockMilliseconds: 0,
  droppedThroughRevision: 0,
  outcomeCount: 0,
  outcomeBytesTotal: 0,
};

export interface OutcomeRecord {
  /** transactionFingerprint of the txn: a retry must carry the same body. */
  readonly fingerprint: string;
  readonly appliedAtMilliseconds: number;
  readonly outcome: KeptOutcome;
}

export interface StagedRecord {
  readonly createdAtMilliseconds: number;
  readonly expiresAtMilliseconds: number;
  readonly size: number;
  readonly sha256: string;
  readonly chunkSizeBytes: number;
  readonly chunks: readonly ManifestChunk[];
}

function encodeJson(value: unknown): Uint8Array {
  return encodeText(JSON.stringify(value));
}

function decodeJson<T>(bytes: Uint8Array, what: string): T {
  const text = decodeText(bytes, what, limits.metaStoredValueBytesMax);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CorruptionError(`a stored ${what} is not JSON`);
  }
}

export const encodeTxnFamilyState = (state: TxnFamilyState): Uint8Array => encodeJson(state);
export const decodeTxnFamilyState = (bytes: Uint8Array): TxnFamilyState =>
  decodeJson<TxnFamilyState>(bytes, 'txn family state');
export const encodeOutcomeRecord = (record: OutcomeRecord): Uint8Array => encodeJson(record);
export const decodeOutcomeRecord = (bytes: Uint8Array): OutcomeRecord =>
  decodeJson<OutcomeRecord>(bytes, 'txn outcome');
export const encodeStagedRecord = (record: StagedRecord): Uint8Array => encodeJson(record);
export const decodeStagedRecord = (bytes: Uint8Array): StagedRecord =>
  decodeJson<StagedRecord>(bytes, 'staged upload');
