// The events family's keys (the retained history a watch and a listing at a revision read):
//   e/<revision, 16 hex>/<position, 8 hex>  one object change of that revision, with the
//                     record it wrote and the record it replaced
//   h/retention       the oldest retained revision and the bytes the history holds
//   h/k/<sha256>      references to a chunk from replaced manifests still in the history
//                     (garbage collection keeps a chunk while this or k/ counts it)

import { fixedWidthHex } from '../keys.js';

export const eventKeys = {
  eventPrefix: 'e/',
  historyPrefix: 'h/',
} as const;

export const retentionKey = 'h/retention';
export const historyChunkPrefix = 'h/k/';

const positionDigits = 8;

export const eventKey = (revision: number, position: number): string =>
  `${eventKeys.eventPrefix}${fixedWidthHex(revision)}/${position.toString(16).padStart(positionDigits, '0')}`;

/** The prefix of every event of one revision. */
export const revisionPrefix = (revision: number): string =>
  `${eventKeys.eventPrefix}${fixedWidthHex(revision)}/`;

/** A key after every event of `revision` and before those of the next one. */
export const afterRevision = (revision: number): string => `${revisionPrefix(revision)}~`;

export const historyChunkKey = (sha256: string): string => historyChunkPrefix + sha256;

/** The revision of an event key. */
export function eventRevision(key: string): number {
  const start = eventKeys.eventPrefix.length;
  return parseInt(key.slice(start, start + 16), 16);
}
