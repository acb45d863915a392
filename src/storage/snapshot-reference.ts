// What a Raft snapshot carries in memory and in its Raft message: not the state, but a
// reference to the snapshot file that holds it (snapshot-files.ts), with the file's
// size and SHA-256. The file travels separately, in bounded pieces, each with its own
// CRC32C (src/server/snapshot-sender.ts); the follower checks the whole file's SHA-256
// before the reference may be installed. So neither side ever holds the state whole.
//
//   "CAIRNREF" (8 bytes), u8 version 1, u64 index, u64 term, u64 bytes, 32 bytes SHA-256
// Little endian; 57 bytes in all.

import { assert, assertInteger } from '../util/assert.js';
import type { SnapshotIdentity } from './snapshot-format.js';

const magic = new TextEncoder().encode('CAIRNREF');
const referenceVersion = 1;
export const snapshotReferenceBytes = magic.length + 1 + 8 * 3 + 32;

export interface SnapshotReference extends SnapshotIdentity {
  /** Size of the snapshot file in bytes. */
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the whole file. */
  readonly sha256: string;
}

export function encodeSnapshotReference(reference: SnapshotReference): Uint8Array {
  assertInteger(reference.index, 'snapshot index', 0);
  assertInteger(reference.term, 'snapshot term', 0);
  assertInteger(reference.bytes, 'snapshot bytes', 0);
  assert(/^[0-9a-f]{64}$/.test(reference.sha256), 'a snapshot reference names a SHA-256');
  const bytes = new Uint8Array(snapshotReferenceBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(magic, 0);
  bytes[magic.length] = referenceVersion;
  view.setBigUint64(9, BigInt(reference.index), true);
  view.setBigUint64(17, BigInt(reference.term), true);
  view.setBigUint64(25, BigInt(reference.bytes), true);
  bytes.set(Buffer.from(reference.sha256, 'hex'), 33);
  return bytes;
}

/** The reference in a snapshot's data, or null when the data is not one (inline state). */
export function decodeSnapshotReference(data: Uint8Array): SnapshotReference | null {
  if (data.length !== snapshotReferenceBytes) return null;
  for (let position = 0; position < magic.length; position++)
    if (data[position] !== magic[position]) return null;
  if (data[magic.length] !== referenceVersion) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const index = Number(view.getBigUint64(9, true));
  const term = Number(view.getBigUint64(17, true));
  const bytes = Number(view.getBigUint64(25, true));
  if (![index, term, bytes].every(Number.isSafeInteger)) return null;
  const sha256 = Buffer.from(data.subarray(33, 65)).toString('hex');
  return { index, term, bytes, sha256 };
}
