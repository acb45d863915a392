// Reading the answers of the txn routes (API.md "Transactions"): shapes checked, so a
// proxy's or an older server's answer fails clearly instead of half-parsed.

import type { StagedUpload, TxnAnswer } from '../api/index.js';
import { CairnError } from '../util/errors.js';

function badAnswer(what: string): never {
  throw new CairnError('CAIRN_ERR_BAD_RESPONSE', `the txn answer is malformed: ${what}`);
}

export function parseTxnAnswer(json: unknown): TxnAnswer {
  if (typeof json !== 'object' || json === null) return badAnswer('not an object');
  const answer = json as Record<string, unknown>;
  if (typeof answer['succeeded'] !== 'boolean') badAnswer('succeeded is not a boolean');
  if (!Number.isSafeInteger(answer['revision'])) badAnswer('revision is not an integer');
  if (!Array.isArray(answer['results'])) badAnswer('results is not a list');
  if (!Array.isArray(answer['failedCompares'])) badAnswer('failedCompares is not a list');
  return json as TxnAnswer;
}

export function parseStagedUpload(json: unknown): StagedUpload {
  if (typeof json !== 'object' || json === null) return badAnswer('not an object');
  const answer = json as Record<string, unknown>;
  if (typeof answer['handle'] !== 'string' || !/^[0-9a-f]{32}$/.test(answer['handle']))
    badAnswer('handle is not 32 hex digits');
  if (!Number.isSafeInteger(answer['size'])) badAnswer('size is not an integer');
  return json as StagedUpload;
}
