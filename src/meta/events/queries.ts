// Reads of the retained history: its range, the events of revisions in order (a watch),
// and the object index as it was at a retained revision (a listing at a revision).

import { assert } from '../../util/assert.js';
import { CompactedError, InvalidArgumentError } from '../../util/errors.js';
import { limits } from '../../util/limits.js';
import { compareUtf8, objectKeyProblem, validateObjectKey } from '../keys.js';
import { objectKey, objectKeys } from '../objects/keys.js';
import type { ObjectSummary } from '../objects/queries.js';
import { decodeObject, type ObjectRecord } from '../objects/records.js';
import { readGroupProgress } from '../progress.js';
import { decodeCounter } from '../record-format.js';
import type { MetaReader } from '../store.js';
import {
  afterRevision,
  eventKeys,
  eventRevision,
  historyChunkKey,
  retentionKey,
  revisionPrefix,
} from './keys.js';
import { decodeEvent, decodeRetention, emptyRetention, type HistoryRetention } from './records.js';
import type { StoredEvent } from './records.js';

export function readRetention(reader: MetaReader): HistoryRetention {
  const bytes = reader.get(retentionKey);
  return bytes === undefined ? emptyRetention : decodeRetention(bytes);
}

/** The retained range: events of revisions oldestRevision..revision are all kept. */
export interface HistoryRange {
  readonly oldestRevision: number;
  readonly revision: number;
  readonly retainedBytes: number;
  readonly retainedEvents: number;
}

export function historyRange(reader: MetaReader): HistoryRange {
  const retention = readRetention(reader);
  const { revision } = readGroupProgress(reader);
  return {
    oldestRevision: Math.min(retention.oldestRevision, revision + 1),
    revision,
    retainedBytes: retention.retainedBytes,
    retainedEvents: retention.retainedEvents,
  };
}

/** References to a chunk from replaced manifests the history still holds. */
export function historyChunkReferenceCount(reader: MetaReader, sha256: string): number {
  const bytes = reader.get(historyChunkKey(sha256));
  return bytes === undefined ? 0 : decodeCounter(bytes, 'history chunk count');
}

export interface RevisionEvents {
  readonly revision: number;
  /** The revision's object events whose key starts with the prefix, in the order made. */
  readonly events: readonly StoredEvent[];
}

export interface EventsRead {
  /** Whole revisions with at least one matching event, ascending. */
  readonly revisions: readonly RevisionEvents[];
  /** Where the next read starts: every revision below it has been read. */
  readonly nextRevision: number;
}

/**
 * The events of revisions fromRevision..throughRevision whose key starts with `prefix`,
 * whole revisions only, about `eventsMax` events (one revision may hold more). The
 * caller checks fromRevision against the retained range first.
 */
export function readEvents(
  reader: MetaReader,
  prefix: string,
  fromRevision: number,
  throughRevision: number,
  eventsMax: number,
): EventsRead {
  assert(fromRevision >= 1 && eventsMax >= 1, 'a read starts at a revision and reads something');
  if (fromRevision > throughRevision) return { revisions: [], nextRevision: fromRevision };
  const entries = reader.rangeEntries(
    eventKeys.eventPrefix,
    afterRevision(fromRevision - 1),
    eventsMax,
  );
  const inRange = entries.filter((entry) => eventRevision(entry.key) <= throughRevision);
  let nextRevision = throughRevision + 1;
  let usable = inRange;
  if (entries.length === eventsMax && inRange.length === entries.length) {
    // The page may cut its last revision: keep whole revisions, or read a lone one whole.
    const lastRevision = eventRevision((inRange[inRange.length - 1] as { key: string }).key);
    const firstRevision = eventRevision((inRange[0] as { key: string }).key);
    if (firstRevision === lastRevision) {
      usable = reader.rangeEntries(
        revisionPrefix(lastRevision),
        undefined,
        limits.historyEventsPerRevisionMax,
      );
    } else usable = inRange.filter((entry) => eventRevision(entry.key) < lastRevision);
    nextRevision = firstRevision === lastRevision ? lastRevision + 1 : lastRevision;
  }
  const revisions: RevisionEvents[] = [];
  let current: { revision: number; events: StoredEvent[] } | undefined;
  for (const entry of usable) {
    const revision = eventRevision(entry.key);
    const event = decodeEvent(entry.value);
    if (!event.key.startsWith(prefix)) continue;
    if (current === undefined || current.revision !== revision) {
      current = { revision, events: [] };
      revisions.push(current);
    }
    current.events.push(event);
  }
  return { revisions, nextRevision };
}

export interface ListAtRevisionOptions {
  readonly revision: number;
  readonly prefix?: string;
  readonly after?: string;
  readonly limit?: number;
}

export interface ListAtRevisionPage {
  readonly items: ObjectSummary[];
  readonly nextAfter?: string;
  /** The revision the page shows. */
  readonly revision: number;
}

/**
 * The objects under `prefix` as they were at `revision` (at most the current revision,
 * at least the oldest retained minus one): the current index with every key changed
 * after `revision` replaced by the record its first later change replaced.
 */
export function listObjectsAtRevision(
  reader: MetaReader,
  options: ListAtRevisionOptions,
): ListAtRevisionPage {
  const prefix = options.prefix ?? '';
  const limit = options.limit ?? limits.listPageKeysMax;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > limits.listPageKeysMax)
    throw new InvalidArgumentError(`limit must be an integer in [1, ${limits.listPageKeysMax}]`);
  if (prefix !== '' && objectKeyProblem(prefix) !== undefined)
    throw new InvalidArgumentError(`prefix: ${objectKeyProblem(prefix) as string}`);
  if (options.after !== undefined) validateObjectKey(options.after);
  const range = historyRange(reader);
  const { revision } = options;
  if (!Number.isSafeInteger(revision) || revision < 0 || revision > range.revision)
    throw new InvalidArgumentError(
      `atRevision must be an integer in [0, ${range.revision}] (the current revision)`,
    );
  if (revision < range.oldestRevision - 1)
    throw new CompactedError('atRevision', revision, range.oldestRevision);
  const changedSince = statesBeforeLaterChanges(reader, prefix, options.after, revision, range);
  return mergedPage(reader, prefix, options.after, limit, changedSince, revision);
}

/** Per key changed after `revision` (in prefix, after `after`): its record at `revision`. */
function statesBeforeLaterChanges(
  reader: MetaReader,
  prefix: string,
  after: string | undefined,
  revision: number,
  range: HistoryRange,
): Map<string, ObjectRecord | undefined> {
  const states = new Map<string, ObjectRecord | undefined>();
  let cursor = afterRevision(revision);
  const pageMax = limits.watchEventsPerReadMax;
  const pagesMax = Math.ceil((range.retainedEvents + 1) / pageMax) + 1;
  for (let page = 0; page < pagesMax; page++) {
    const entries = reader.rangeEntries(eventKeys.eventPrefix, cursor, pageMax);
    for (const entry of entries) {
      const event = decodeEvent(entry.value);
      if (!event.key.startsWith(prefix) || states.has(event.key)) continue;
      if (after !== undefined && compareUtf8(event.key, after) <= 0) continue;
      states.set(event.key, event.previous);
    }
    if (entries.length < pageMax) return states;
    cursor = (entries[entries.length - 1] as { key: string }).key;
  }
  assert(false, 'the history is read in a bounded number of pages');
}

function mergedPage(
  reader: MetaReader,
  prefix: string,
  after: string | undefined,
  limit: number,
  changedSince: Map<string, ObjectRecord | undefined>,
  revision: number,
): ListAtRevisionPage {
  const changed = [...changedSince.entries()]
    .filter((entry): entry is [string, ObjectRecord] => entry[1] !== undefined)
    .sort((left, right) => compareUtf8(left[0], right[0]));
  const items: ObjectSummary[] = [];
  const summary = (key: string, record: ObjectRecord): ObjectSummary => ({
    key,
    version: record.version,
    size: record.size,
    sha256: record.sha256,
  });
  let changedAt = 0;
  let cursor = after === undefined ? undefined : objectKey(after);
  // One more than a page tells whether another page exists.
  const wanted = limit + 1;
  const pagesMax = changedSince.size + wanted + 1;
  for (let page = 0; page < pagesMax && items.length < wanted; page++) {
    const entries = reader.rangeEntries(objectKey(prefix), cursor, wanted);
    for (const entry of entries) {
      const key = entry.key.slice(objectKeys.objectPrefix.length);
      for (; changedAt < changed.length && items.length < wanted; changedAt++) {
        const [changedKey, record] = changed[changedAt] as [string, ObjectRecord];
        if (compareUtf8(changedKey, key) >= 0) break;
        items.push(summary(changedKey, record));
      }
      if (items.length >= wanted) break;
      if (!changedSince.has(key)) items.push(summary(key, decodeObject(entry.value)));
      if (items.length >= wanted) break;
    }
    if (entries.length < wanted) break;
    cursor = (entries[entries.length - 1] as { key: string }).key;
  }
  for (; changedAt < changed.length && items.length < wanted; changedAt++) {
    const [changedKey, record] = changed[changedAt] as [string, ObjectRecord];
    items.push(summary(changedKey, record));
  }
  if (items.length <= limit) return { items, revision };
  items.length = limit;
  return { items, nextAfter: (items[limit - 1] as ObjectSummary).key, revision };
}
