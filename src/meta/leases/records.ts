// The leases family's record. A lease's deadline is not stored (no replica has a clock
// in apply): what is stored is what every node needs to measure it with its own clock
// from the moment it applied the record (see src/meta/leases/README.md).

import { readBoundedVarint } from '../codec.js';
import { finishRecord, recordReader, recordWriter, safeIntegerMax } from '../record-format.js';

export interface LeaseRecord {
  readonly ttlMilliseconds: number;
  /** The revision of the grant (also the lease id). */
  readonly grantedRevision: number;
  /** The Raft index of the grant or of the last keepalive. */
  readonly renewedIndex: number;
  /** The time left when the entry at remainingIndex committed (the TTL after a renewal). */
  readonly remainingMilliseconds: number;
  /** The Raft index of the entry that set remainingMilliseconds (a renewal or a checkpoint). */
  readonly remainingIndex: number;
}

export function encodeLease(record: LeaseRecord): Uint8Array {
  const out = recordWriter(48);
  out.writeVarint(record.ttlMilliseconds);
  out.writeVarint(record.grantedRevision);
  out.writeVarint(record.renewedIndex);
  out.writeVarint(record.remainingMilliseconds);
  out.writeVarint(record.remainingIndex);
  return finishRecord(out);
}

export function decodeLease(bytes: Uint8Array): LeaseRecord {
  const what = 'lease record';
  const input = recordReader(bytes, what);
  const ttlMilliseconds = readBoundedVarint(input, what, 'ttlMilliseconds', 1, safeIntegerMax);
  const grantedRevision = readBoundedVarint(input, what, 'grantedRevision', 1, safeIntegerMax);
  const renewedIndex = readBoundedVarint(input, what, 'renewedIndex', 1, safeIntegerMax);
  const remainingMilliseconds = readBoundedVarint(
    input,
    what,
    'remainingMilliseconds',
    0,
    ttlMilliseconds,
  );
  const remainingIndex = readBoundedVarint(
    input,
    what,
    'remainingIndex',
    renewedIndex,
    safeIntegerMax,
  );
  input.expectEnd();
  return { ttlMilliseconds, grantedRevision, renewedIndex, remainingMilliseconds, remainingIndex };
}
