// The events family (the retained history): no commands of its own; every entry that
// changes objects records its events here as part of its apply (recordHistory), and
// compaction keeps the history within its retention. Public names are re-exported by
// src/meta/index.ts.

import type { MetaFamily } from '../family.js';
import { eventKeys } from './keys.js';

export const eventsFamily: MetaFamily = {
  name: 'events',
  ownedKeys: Object.values(eventKeys),
  commands: [],
};

export { defaultRetentionPolicy, recordHistory } from './apply.js';
export type { RetentionPolicy } from './apply.js';
export { eventKeys, retentionKey } from './keys.js';
export {
  historyChunkReferenceCount,
  historyRange,
  listObjectsAtRevision,
  readEvents,
  readRetention,
} from './queries.js';
export type {
  EventsRead,
  HistoryRange,
  ListAtRevisionOptions,
  ListAtRevisionPage,
  RevisionEvents,
} from './queries.js';
export type { HistoryRetention, StoredEvent } from './records.js';
