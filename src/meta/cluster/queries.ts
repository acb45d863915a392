// Reads of the cluster family: identity, members, rings.

import { assert } from '../../util/assert.js';
import { limits } from '../../util/limits.js';
import type { RingDescription } from '../../placement/index.js';
import type { MetaReader } from '../store.js';
import { clusterKeys, ringKey } from './keys.js';
import type { ClusterIdentity, MemberRecord, RingState } from './records.js';
import { decodeIdentity, decodeMember, decodeRing, decodeRingState } from './records.js';

export function readIdentity(reader: MetaReader): ClusterIdentity | undefined {
  const bytes = reader.get(clusterKeys.identity);
  return bytes === undefined ? undefined : decodeIdentity(bytes);
}

export function readRingState(reader: MetaReader): RingState | undefined {
  const bytes = reader.get(clusterKeys.ringState);
  return bytes === undefined ? undefined : decodeRingState(bytes);
}

/** Every member, in id order (bounded by placementMembersMax). */
export function readMembers(reader: MetaReader): MemberRecord[] {
  const entries = reader.rangeEntries(
    clusterKeys.memberPrefix,
    undefined,
    limits.placementMembersMax + 1,
  );
  assert(entries.length <= limits.placementMembersMax, 'members within placementMembersMax');
  return entries.map((entry) => decodeMember(entry.value));
}

export function members(reader: MetaReader): MemberRecord[] {
  return readMembers(reader);
}

/** The ring of the current epoch, or undefined before bootstrap. */
export function currentRing(reader: MetaReader): RingDescription | undefined {
  const state = readRingState(reader);
  return state === undefined ? undefined : ringAt(reader, state.currentEpoch);
}

/** The ring data has fully moved to (rebalance moves from it to the current one). */
export function settledRing(reader: MetaReader): RingDescription | undefined {
  const state = readRingState(reader);
  return state === undefined ? undefined : ringAt(reader, state.settledEpoch);
}

export function ringAt(reader: MetaReader, epoch: number): RingDescription | undefined {
  const bytes = reader.get(ringKey(epoch));
  return bytes === undefined ? undefined : decodeRing(bytes);
}

/** Ids of the members marked down (placement leaves them out of new rings). */
export function readDownIds(reader: MetaReader): Set<string> {
  const entries = reader.rangeEntries(
    clusterKeys.downPrefix,
    undefined,
    limits.placementMembersMax,
  );
  return new Set(entries.map((entry) => entry.key.slice(clusterKeys.downPrefix.length)));
}
