// The history an entry leaves: its object changes as events of its revision, each with
// the record it wrote and the record it replaced, and the compaction that keeps the
// history within its retention. Both run inside the entry's apply, so every replica
// holds the same history (deterministic: the policy is part of the apply options).

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import type { MetaChange } from '../family.js';
import { objectKeys } from '../objects/keys.js';
import { decodeObject } from '../objects/records.js';
import { decodeCounter, encodeCounter } from '../record-format.js';
import type { MetaReader, MetaTransaction } from '../store.js';
import { eventKey, eventKeys, eventRevision, historyChunkKey, retentionKey } from './keys.js';
import { readRetention } from './queries.js';
import { decodeEvent, encodeEvent, encodeRetention, type HistoryRetention } from './records.js';

/** How much history the group keeps: the events of this many revisions, in this many bytes. */
export interface RetentionPolicy {
  readonly revisionsMax: number;
  readonly bytesMax: number;
}

export const defaultRetentionPolicy: RetentionPolicy = {
  revisionsMax: limits.historyRetentionRevisionsDefault,
  bytesMax: limits.historyRetentionBytesDefault,
};

const compactionPageEvents = 16;

/**
 * Records the object changes of the entry at `revision` and compacts. `before` is the
 * state before the entry (it still holds the replaced records), `after` the entry's
 * buffer (it holds the written ones); the history's writes go to `after`.
 */
export function recordHistory(
  before: MetaReader,
  after: MetaTransaction,
  changes: readonly MetaChange[],
  revision: number,
  policy: RetentionPolicy = defaultRetentionPolicy,
): void {
  const retention = readRetention(before);
  let retainedBytes = retention.retainedBytes;
  let retainedEvents = retention.retainedEvents;
  let position = 0;
  for (const change of changes) {
    if (change.family !== 'objects' || !change.key.startsWith(objectKeys.objectPrefix)) continue;
    const key = change.key.slice(objectKeys.objectPrefix.length);
    const previous = before.get(change.key);
    const current = change.kind === 'put' ? after.get(change.key) : undefined;
    assert(change.kind === 'delete' || current !== undefined, 'a put wrote its record');
    const storedKey = eventKey(revision, position++);
    const value = encodeEvent(change.kind, key, current, previous);
    after.put(storedKey, value);
    retainedBytes += storedKey.length + value.length;
    retainedEvents++;
    if (previous !== undefined) adjustHistoryChunks(after, previous, 1);
  }
  const recorded: HistoryRetention = { ...retention, retainedBytes, retainedEvents };
  const compacted = compactHistory(before, after, recorded, revision, policy);
  if (position > 0 || compacted !== recorded) after.put(retentionKey, encodeRetention(compacted));
}

/**
 * Once the history holds `historyCompactionStepRevisions` revisions more than
 * `policy.revisionsMax`, or more than `policy.bytesMax` bytes, drops the oldest events
 * until it holds at most `policy.revisionsMax` revisions and `policy.bytesMax` bytes (never the revision just written), at most
 * `historyCompactionEventsPerApplyMax` events per entry; what is left over is dropped
 * by the next entries. Returns `retention` itself when nothing changed.
 */
function compactHistory(
  before: MetaReader,
  after: MetaTransaction,
  retention: HistoryRetention,
  revision: number,
  policy: RetentionPolicy,
): HistoryRetention {
  const oldestTarget = Math.max(retention.oldestRevision, revision - policy.revisionsMax + 1);
  // Compacting in steps of a few revisions costs one history read per step, not per entry.
  const needed =
    oldestTarget >= retention.oldestRevision + limits.historyCompactionStepRevisions ||
    retention.retainedBytes > policy.bytesMax ||
    retention.leftover;
  if (!needed) return retention;
  let { oldestRevision, retainedBytes, retainedEvents } = retention;
  oldestRevision = oldestTarget;
  let budget: number = limits.historyCompactionEventsPerApplyMax;
  let cursor: string | undefined;
  let leftover = false;
  for (let page = 0; budget > 0; page++) {
    assert(page <= limits.historyCompactionEventsPerApplyMax, 'compaction pages bounded');
    const entries = before.rangeEntries(eventKeys.eventPrefix, cursor, compactionPageEvents);
    let done = entries.length < compactionPageEvents;
    for (const entry of entries) {
      const eventAt = eventRevision(entry.key);
      const overBytes = retainedBytes > policy.bytesMax && eventAt < revision;
      if (eventAt >= oldestRevision && !overBytes) {
        done = true;
        break;
      }
      if (budget === 0) {
        leftover = true;
        done = true;
        break;
      }
      after.delete(entry.key);
      const previous = decodeEvent(entry.value).previous;
      if (previous !== undefined) releaseHistoryChunks(after, previous.body);
      retainedBytes -= entry.key.length + entry.value.length;
      retainedEvents--;
      oldestRevision = Math.max(oldestRevision, eventAt + 1);
      budget--;
      cursor = entry.key;
    }
    if (done) break;
    if (budget === 0) leftover = true;
  }
  assert(retainedBytes >= 0 && retainedEvents >= 0, 'history accounting never goes negative');
  return { oldestRevision, retainedBytes, retainedEvents, leftover };
}

function adjustHistoryChunks(after: MetaTransaction, record: Uint8Array, delta: 1): void {
  const body = decodeObject(record).body;
  if (body.kind !== 'manifest') return;
  for (const chunk of body.chunks) addToCounter(after, historyChunkKey(chunk.sha256), delta);
}

function releaseHistoryChunks(
  after: MetaTransaction,
  body: ReturnType<typeof decodeObject>['body'],
): void {
  if (body.kind !== 'manifest') return;
  for (const chunk of body.chunks) addToCounter(after, historyChunkKey(chunk.sha256), -1);
}

function addToCounter(after: MetaTransaction, key: string, delta: number): void {
  const bytes = after.get(key);
  const value = (bytes === undefined ? 0 : decodeCounter(bytes, 'history chunk count')) + delta;
  assert(value >= 0, `history chunk count ${key} never goes negative`);
  if (value === 0) after.delete(key);
  else after.put(key, encodeCounter(value));
}
