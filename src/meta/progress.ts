// The group's own record, c/progress: the applied Raft index, the revision and its base.
//
// The revision is the meta group's own counter, apart from the Raft index: every entry
// that changes state (reports at least one change) advances it by exactly one; an entry
// that changes nothing (a noop, a rejection, a failed condition, a retried request, an
// empty entry, a conf change without context) leaves it. One order of revisions per
// group. `raiseRevisionBase` sets it to a higher value (a restore continues above the
// revisions of its backup); `revisionBase` remembers the last such value.

import { corrupt, readBoundedVarint } from './codec.js';
import { readObjectStatistics } from './objects/queries.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from './record-format.js';
import type { MetaReader } from './store.js';

export const progressKey = 'c/progress';

export interface GroupProgress {
  /** Index of the last entry applied (any command, including rejected ones and noops). */
  readonly appliedIndex: number;
  /** The revision of the last entry that changed state. */
  readonly revision: number;
  /** The last value raiseRevisionBase set (0 if never): no revision at or below it is new. */
  readonly revisionBase: number;
}

/** The group's progress with the objects family's totals, as queries show it. */
export interface MetaProgress extends GroupProgress {
  readonly objectCount: number;
  readonly objectBytesTotal: number;
}

export const emptyGroupProgress: GroupProgress = { appliedIndex: 0, revision: 0, revisionBase: 0 };

export function encodeGroupProgress(progress: GroupProgress): Uint8Array {
  const out = recordWriter();
  out.writeVarint(progress.appliedIndex);
  out.writeVarint(progress.revision);
  out.writeVarint(progress.revisionBase);
  return finishRecord(out);
}

export function decodeGroupProgress(bytes: Uint8Array): GroupProgress {
  const what = 'progress record';
  const input = recordReader(bytes, what);
  const appliedIndex = readBoundedVarint(input, what, 'appliedIndex', 0, safeIntegerMax);
  const revision = readBoundedVarint(input, what, 'revision', 0, safeIntegerMax);
  const revisionBase = readBoundedVarint(input, what, 'revisionBase', 0, safeIntegerMax);
  input.expectEnd();
  if (revisionBase > revision) corrupt(what, 'revision below its base', input);
  return { appliedIndex, revision, revisionBase };
}

export function readGroupProgress(reader: MetaReader): GroupProgress {
  const bytes = reader.get(progressKey);
  return bytes === undefined ? emptyGroupProgress : decodeGroupProgress(bytes);
}

export function readProgress(reader: MetaReader): MetaProgress {
  return { ...readGroupProgress(reader), ...readObjectStatistics(reader) };
}
