// The placement ring: consistent hashing with virtual nodes, weights and zones.
//
// Every active member gets round(weight * vnodesPerWeightUnit) virtual nodes at
// positions murmur3("<id>#<n>") on a 32-bit circle. A placement key (a chunk's
// SHA-256 hex id, or any key) hashes to a point; its replicas are found by walking
// clockwise from that point in passes: pass k accepts a member not yet chosen whose
// zone holds fewer than k of the replicas so far. Pass 1 therefore puts replicas in
// distinct zones while zones last, and later passes spread the rest as evenly as
// possible over zones, then members. A member that the walk skips never changes the
// outcome, so adding (removing) a member only changes the placement of keys whose
// new (old) replica set contains that member: minimal movement.
//
// The preference list of a key continues the same walk past R (passes R+1, R+2, ...
// keep spreading over zones), so its first R entries are exactly the replicas: the
// home nodes. A sloppy-quorum write takes the first R healthy members of that list.
//
// Pure and deterministic: built only from the description (canonical member order,
// ties between equal positions broken by member order), no clock, no randomness.

import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { createRingDescription, virtualNodeCountOf } from './description.js';
import type { RingDescription, RingMember, RingSettings } from './description.js';
import { murmurHash3String } from './hash.js';

// Sorting packs (position, ordinal) into one float64: position * 2^21 + ordinal is
// exact below 2^53, and a typed-array numeric sort is much faster than a comparator.
const ordinalSpan = 2 ** 21;

export class Ring {
  readonly description: RingDescription;
  /** Ids of all members in canonical order (index = member index). */
  private readonly memberIds: readonly string[];
  /** Per member index: its zone index among active zones, or -1 when not active. */
  private readonly zoneOfMember: Int32Array;
  /**
   * Per pass k (1..active members): the most members passes 1..k can place, the sum over
   * zones of min(k, members in the zone).
   */
  private readonly passCapacity: Int32Array;
  private readonly positions: Uint32Array;
  private readonly positionMembers: Int32Array;
  private readonly zoneCountScratch: Int32Array;
  private readonly activeIds: readonly string[];

  private constructor(description: RingDescription) {
    this.description = description;
    this.memberIds = description.members.map((member) => member.id);
    const zones = indexActiveZones(description.members);
    this.zoneOfMember = zones.zoneOfMember;
    this.zoneCountScratch = new Int32Array(zones.membersPerZone.length);
    this.passCapacity = computePassCapacity(zones.membersPerZone);
    this.activeIds = description.members
      .filter((member) => member.state === 'active')
      .map((member) => member.id);
    const virtualNodes = placeVirtualNodes(description.members, description.settings);
    this.positions = virtualNodes.positions;
    this.positionMembers = virtualNodes.positionMembers;
    assert(
      this.positions.length >= description.settings.replicationFactor,
      'at least R virtual nodes',
    );
    assert(this.activeIds.length >= description.settings.replicationFactor, 'R active members');
  }

  /** Builds a ring; the description is validated (and canonicalised) again here. */
  static fromDescription(description: RingDescription): Ring {
    return new Ring(createRingDescription(description));
  }

  get epoch(): number {
    return this.description.epoch;
  }

  get settings(): RingSettings {
    return this.description.settings;
  }

  get members(): readonly RingMember[] {
    return this.description.members;
  }

  get replicationFactor(): number {
    return this.description.settings.replicationFactor;
  }

  /** Ids of the members that receive data, in canonical order. */
  get activeMemberIds(): readonly string[] {
    return this.activeIds;
  }

  get virtualNodeCount(): number {
    return this.positions.length;
  }

  /** The R distinct member ids holding `placementKey`, primary first. */
  replicasFor(placementKey: string): string[] {
    const indexes = this.replicaIndexesFor(placementKey);
    return indexes.map((memberIndex) => this.memberIds[memberIndex] as string);
  }

  /** As replicasFor, but member indexes into `description.members` (no string work; for bulk scans). */
  replicaIndexesFor(placementKey: string): number[] {
    const start = this.firstPositionAtOrAfter(murmurHash3String(placementKey));
    return this.walk(start, this.description.settings.replicationFactor);
  }

  /**
   * The key's preference list: `length` distinct active members (default: all of them,
   * at most placementPreferenceListLengthMax), the R home nodes first (exactly
   * replicasFor), then the members that follow on the ring, spread over zones as the
   * replicas are. Where a home node does not answer, a write goes to the next one.
   */
  preferenceListFor(placementKey: string, length?: number): string[] {
    const count =
      length ?? Math.min(this.activeIds.length, limits.placementPreferenceListLengthMax);
    assertInteger(count, 'preference list length', 1, this.activeIds.length);
    const start = this.firstPositionAtOrAfter(murmurHash3String(placementKey));
    return this.walk(start, count).map((memberIndex) => this.memberIds[memberIndex] as string);
  }

  /**
   * The exact fraction of all copies each active member holds over the whole hash
   * space (what a uniform key distribution converges to). Every arc between
   * neighbouring virtual nodes maps to one replica set, so this costs one walk per
   * virtual node: about as much as a few hundred thousand lookups at most.
   */
  expectedCopyShares(): Map<string, number> {
    const shares = this.expectedCopySharesByMemberIndex();
    const result = new Map<string, number>();
    for (let index = 0; index < this.memberIds.length; index++) {
      if ((this.zoneOfMember[index] as number) >= 0)
        result.set(this.memberIds[index] as string, shares[index] as number);
    }
    return result;
  }

  /** As expectedCopyShares, indexed like `members` (0 for members that are not active). */
  expectedCopySharesByMemberIndex(): Float64Array {
    const circle = 2 ** 32;
    const count = this.positions.length;
    const shares = new Float64Array(this.memberIds.length);
    for (let index = 0; index < count; index++) {
      // Keys hashing into (previous, position] start their walk here; equal positions
      // after the first get an empty arc because the search finds the first of them.
      const previous =
        index === 0
          ? (this.positions[count - 1] as number) - circle
          : (this.positions[index - 1] as number);
      const arc = (this.positions[index] as number) - previous;
      if (arc === 0) continue;
      for (const memberIndex of this.walk(index, this.description.settings.replicationFactor))
        shares[memberIndex] = (shares[memberIndex] as number) + arc;
    }
    const copiesTotal = circle * this.description.settings.replicationFactor;
    let sum = 0;
    for (let index = 0; index < shares.length; index++) {
      shares[index] = (shares[index] as number) / copiesTotal;
      sum += shares[index] as number;
    }
    assert(Math.abs(sum - 1) < 1e-9, `copy shares sum to 1, got ${sum}`);
    return shares;
  }

  /** Index of the first virtual node at or after `point`, wrapping to 0 past the end. */
  private firstPositionAtOrAfter(point: number): number {
    assertInteger(point, 'point', 0, 0xffff_ffff);
    let low = 0;
    let high = this.positions.length;
    // Binary search: at most 32 halvings of a length below 2^21.
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.positions[middle] as number) < point) low = middle + 1;
      else high = middle;
    }
    return low === this.positions.length ? 0 : low;
  }

  /**
   * The first `count` members of the walk from virtual node `start`. Prefix-stable: the
   * first k members for any count >= k are the same (a pass stops at its capacity or
   * at `count`, whichever is lower, and the order within a pass does not depend on it).
   */
  private walk(start: number, count: number): number[] {
    assert(count >= 1 && count <= this.activeIds.length, 'walk length within active members');
    const positionCount = this.positions.length;
    const chosen: number[] = [];
    const zoneCounts = this.zoneCountScratch;
    // Pass `count` always reaches `count`: every zone then admits all its members.
    for (let pass = 1; pass <= count && chosen.length < count; pass++) {
      const target = Math.min(count, this.passCapacity[pass] as number);
      // Bounded: one pass visits each virtual node at most once.
      for (let step = 0; step < positionCount && chosen.length < target; step++) {
        let index = start + step;
        if (index >= positionCount) index -= positionCount;
        const memberIndex = this.positionMembers[index] as number;
        if (chosen.includes(memberIndex)) continue;
        const zone = this.zoneOfMember[memberIndex] as number;
        if ((zoneCounts[zone] as number) >= pass) continue;
        chosen.push(memberIndex);
        zoneCounts[zone] = (zoneCounts[zone] as number) + 1;
      }
      assertEqual(chosen.length, target, 'a full pass reaches its capacity');
    }
    for (const memberIndex of chosen) zoneCounts[this.zoneOfMember[memberIndex] as number] = 0;
    assertEqual(chosen.length, count, 'walk length');
    return chosen;
  }
}

function assertEqual(actual: number, expected: number, what: string): void {
  assert(actual === expected, `${what}: expected ${expected}, got ${actual}`);
}

function indexActiveZones(members: readonly RingMember[]): {
  zoneOfMember: Int32Array;
  membersPerZone: number[];
} {
  const zoneIndexes = new Map<string, number>();
  const membersPerZone: number[] = [];
  const zoneOfMember = new Int32Array(members.length).fill(-1);
  for (let index = 0; index < members.length; index++) {
    const member = members[index] as RingMember;
    if (member.state !== 'active') continue;
    let zone = zoneIndexes.get(member.zone);
    if (zone === undefined) {
      zone = membersPerZone.length;
      zoneIndexes.set(member.zone, zone);
      membersPerZone.push(0);
    }
    membersPerZone[zone] = (membersPerZone[zone] as number) + 1;
    zoneOfMember[index] = zone;
  }
  return { zoneOfMember, membersPerZone };
}

function computePassCapacity(membersPerZone: readonly number[]): Int32Array {
  let activeCount = 0;
  for (const members of membersPerZone) activeCount += members;
  const capacity = new Int32Array(activeCount + 1);
  for (let pass = 1; pass <= activeCount; pass++) {
    let total = 0;
    for (const members of membersPerZone) total += Math.min(pass, members);
    capacity[pass] = total;
  }
  return capacity;
}

function placeVirtualNodes(
  members: readonly RingMember[],
  settings: RingSettings,
): { positions: Uint32Array; positionMembers: Int32Array } {
  let total = 0;
  for (const member of members)
    if (member.state === 'active') total += virtualNodeCountOf(member, settings);
  assertInteger(
    total,
    'virtual node total',
    1,
    Math.min(limits.placementVirtualNodesTotalMax, ordinalSpan),
  );
  const packed = new Float64Array(total);
  const ordinalMembers = new Int32Array(total);
  let ordinal = 0;
  for (let memberIndex = 0; memberIndex < members.length; memberIndex++) {
    const member = members[memberIndex] as RingMember;
    if (member.state !== 'active') continue;
    const count = virtualNodeCountOf(member, settings);
    for (let virtualNode = 0; virtualNode < count; virtualNode++) {
      packed[ordinal] = murmurHash3String(`${member.id}#${virtualNode}`) * ordinalSpan + ordinal;
      ordinalMembers[ordinal] = memberIndex;
      ordinal++;
    }
  }
  assertEqual(ordinal, total, 'virtual nodes placed');
  packed.sort();
  const positions = new Uint32Array(total);
  const positionMembers = new Int32Array(total);
  for (let index = 0; index < total; index++) {
    const value = packed[index] as number;
    const position = Math.floor(value / ordinalSpan);
    positions[index] = position;
    positionMembers[index] = ordinalMembers[value - position * ordinalSpan] as number;
  }
  return { positions, positionMembers };
}
