// The txn family's keys:
//   t/c                          the family's state: group clock, outcome totals, expiry mark
//   t/r/<request id>             the outcome of a transaction, for retries and look-ups
//   t/x/<revision, 16 hex>/<id>  expiry order of t/r/ (oldest revision first)
//   s/h/<handle>                 a staged upload: its manifest and when it expires
//   s/x/<expiry ms, 16 hex>/<handle>  expiry order of s/h/

import { fixedWidthHex } from '../keys.js';

export const txnKeys = {
  state: 't/c',
  outcomePrefix: 't/r/',
  outcomeExpiryPrefix: 't/x/',
  stagedPrefix: 's/h/',
  stagedExpiryPrefix: 's/x/',
} as const;

/** The prefixes the family owns (registry: no overlap with another family). */
export const txnOwnedKeys: readonly string[] = ['t/', 's/'];

export const outcomeKey = (requestId: string): string => txnKeys.outcomePrefix + requestId;
export const outcomeExpiryKey = (revision: number, requestId: string): string =>
  `${txnKeys.outcomeExpiryPrefix}${fixedWidthHex(revision)}/${requestId}`;
export const stagedKey = (handle: string): string => txnKeys.stagedPrefix + handle;
export const stagedExpiryKey = (expiresAtMilliseconds: number, handle: string): string =>
  `${txnKeys.stagedExpiryPrefix}${fixedWidthHex(expiresAtMilliseconds)}/${handle}`;

/** The number in the 16 hex digits after `prefix`, and the name after them. */
export function splitExpiryKey(prefix: string, key: string): { order: number; name: string } {
  const start = prefix.length;
  return { order: parseInt(key.slice(start, start + 16), 16), name: key.slice(start + 17) };
}
