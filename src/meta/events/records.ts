// The events family's records: one stored event (an object change with the record it
// wrote and the record it replaced) and the retention record.

import { limits } from '../../util/limits.js';
import {
  corrupt,
  readBoundedString,
  readBoundedVarint,
  readLengthPrefixed,
  readTag,
} from '../codec.js';
import { decodeObject, type ObjectRecord } from '../objects/records.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from '../record-format.js';

export interface StoredEvent {
  readonly kind: 'put' | 'delete';
  /** The object key (without the o/ prefix). */
  readonly key: string;
  /** The object record the change wrote (a put); undefined for a delete. */
  readonly current: ObjectRecord | undefined;
  /** The object record the change replaced; undefined when the key was absent. */
  readonly previous: ObjectRecord | undefined;
}

export interface HistoryRetention {
  /** The oldest revision whose events are all retained (1 before any compaction). */
  readonly oldestRevision: number;
  /** Bytes of the retained event records (keys and values). */
  readonly retainedBytes: number;
  /** Retained event records. */
  readonly retainedEvents: number;
  /** Events below the oldest revision remain (a compaction ran out of its budget). */
  readonly leftover: boolean;
}

export const emptyRetention: HistoryRetention = {
  oldestRevision: 1,
  retainedBytes: 0,
  retainedEvents: 0,
  leftover: false,
};

const kindTags = { put: 1, delete: 2 } as const;

/** Encodes an event from the stored object records as they are (no decode on apply). */
export function encodeEvent(
  kind: 'put' | 'delete',
  key: string,
  current: Uint8Array | undefined,
  previous: Uint8Array | undefined,
): Uint8Array {
  const out = recordWriter(16 + key.length * 3 + (current?.length ?? 0) + (previous?.length ?? 0));
  out.writeUint8(kindTags[kind]);
  out.writeString(key);
  out.writeBytes(current ?? new Uint8Array(0));
  out.writeBytes(previous ?? new Uint8Array(0));
  return finishRecord(out);
}

export function decodeEvent(bytes: Uint8Array): StoredEvent {
  const what = 'event record';
  const input = recordReader(bytes, what);
  const tag = readTag(input, what, 'event kind', kindTags.delete);
  if (tag === 0) corrupt(what, 'event kind 0', input);
  const kind = tag === kindTags.put ? 'put' : 'delete';
  const key = readBoundedString(input, what, 'key', limits.keyLengthBytesMax);
  const currentBytes = readLengthPrefixed(input, what, 'current', limits.metaStoredValueBytesMax);
  const previousBytes = readLengthPrefixed(input, what, 'previous', limits.metaStoredValueBytesMax);
  input.expectEnd();
  if ((kind === 'put') !== currentBytes.length > 0)
    corrupt(what, 'a put carries its record and a delete none', input);
  return {
    kind,
    key,
    current: currentBytes.length === 0 ? undefined : decodeObject(currentBytes),
    previous: previousBytes.length === 0 ? undefined : decodeObject(previousBytes),
  };
}

export function encodeRetention(retention: HistoryRetention): Uint8Array {
  const out = recordWriter(32);
  out.writeVarint(retention.oldestRevision);
  out.writeVarint(retention.retainedBytes);
  out.writeVarint(retention.retainedEvents);
  out.writeBoolean(retention.leftover);
  return finishRecord(out);
}

export function decodeRetention(bytes: Uint8Array): HistoryRetention {
  const what = 'history retention record';
  const input = recordReader(bytes, what);
  const oldestRevision = readBoundedVarint(input, what, 'oldestRevision', 1, safeIntegerMax);
  const retainedBytes = readBoundedVarint(input, what, 'retainedBytes', 0, safeIntegerMax);
  const retainedEvents = readBoundedVarint(input, what, 'retainedEvents', 0, safeIntegerMax);
  const leftover = readTag(input, what, 'leftover', 1) === 1;
  input.expectEnd();
  return { oldestRevision, retainedBytes, retainedEvents, leftover };
}
