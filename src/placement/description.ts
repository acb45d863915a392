// The ring description: the plain, JSON-able data a ring is built from (members,
// settings, epoch). It is what the meta state machine stores and replicates, so it
// is validated strictly on the way in and written in one canonical form (members
// sorted by id) on the way out: same description, same bytes, same placement.

import { assert } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** Active members receive data; draining members are being emptied; gone members hold nothing. */
export type MemberState = 'active' | 'draining' | 'gone';

export const memberStates: readonly MemberState[] = ['active', 'draining', 'gone'];

export interface RingMember {
  readonly id: string;
  /** The failure domain (rack, host, data centre). Replicas of a chunk spread over zones first. */
  readonly zone: string;
  /** Relative capacity, > 0. A member of weight 2 gets about twice the data of weight 1. */
  readonly weight: number;
  readonly state: MemberState;
  /**
   * Explicit virtual node count, set by calibrateVirtualNodes to honour weights more
   * closely; absent means round(weight * vnodesPerWeightUnit). A weight change clears it.
   */
  readonly virtualNodes?: number;
}

export interface RingSettings {
  /** R: copies of every chunk, on R distinct members. */
  readonly replicationFactor: number;
  /** Virtual nodes per unit of weight; a member gets round(weight * this) virtual nodes. */
  readonly vnodesPerWeightUnit: number;
}

export interface RingDescription {
  readonly formatVersion: 1;
  readonly epoch: number;
  readonly settings: RingSettings;
  /** Sorted by id (canonical form). */
  readonly members: readonly RingMember[];
}

export const ringDescriptionFormatVersion = 1;

// Identifiers go into hash inputs, logs and file names: printable ASCII without
// spaces, slashes or quotes keeps them unambiguous everywhere.
const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** The number of virtual nodes a member of this weight gets without an explicit count. */
export function virtualNodeCountFor(weight: number, settings: RingSettings): number {
  return Math.round(weight * settings.vnodesPerWeightUnit);
}

/** The number of virtual nodes of a member while active: its explicit count, else from its weight. */
export function virtualNodeCountOf(member: RingMember, settings: RingSettings): number {
  return member.virtualNodes ?? virtualNodeCountFor(member.weight, settings);
}

/**
 * Validates an untrusted value (parsed JSON, a CLI flag, a meta entry) and returns
 * the canonical description. Throws InvalidArgumentError naming the first problem.
 */
export function parseRingDescription(value: unknown): RingDescription {
  const record = expectRecord(value, 'ring description');
  const formatVersion = record['formatVersion'];
  if (formatVersion !== ringDescriptionFormatVersion) {
    fail(
      `ring description formatVersion must be ${ringDescriptionFormatVersion}, got ${String(formatVersion)}`,
    );
  }
  const epoch = record['epoch'];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    fail(`ring epoch must be a non-negative integer, got ${String(epoch)}`);
  }
  const settings = parseSettings(record['settings']);
  const membersValue = record['members'];
  if (!Array.isArray(membersValue)) fail('ring members must be an array');
  if (membersValue.length > limits.placementMembersMax) {
    fail(
      `a ring holds at most ${limits.placementMembersMax} members (placementMembersMax), got ${membersValue.length}`,
    );
  }
  const members: RingMember[] = [];
  for (let index = 0; index < membersValue.length; index++) {
    members.push(parseMember(membersValue[index], index, settings));
  }
  return createRingDescription({ epoch, settings, members });
}

/**
 * Builds a canonical description from typed parts, validating the same rules as
 * parseRingDescription (duplicate ids, weights, R against active members, limits).
 */
export function createRingDescription(parts: {
  epoch: number;
  settings: RingSettings;
  members: readonly RingMember[];
}): RingDescription {
  const settings = parseSettings(parts.settings);
  if (!Number.isSafeInteger(parts.epoch) || parts.epoch < 0)
    fail(`ring epoch must be a non-negative integer, got ${parts.epoch}`);
  if (parts.members.length > limits.placementMembersMax) {
    fail(
      `a ring holds at most ${limits.placementMembersMax} members (placementMembersMax), got ${parts.members.length}`,
    );
  }
  const members = parts.members.map((member, index) => parseMember(member, index, settings));
  members.sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  let activeCount = 0;
  let virtualNodeTotal = 0;
  for (let index = 0; index < members.length; index++) {
    const member = members[index] as RingMember;
    if (index > 0 && (members[index - 1] as RingMember).id === member.id)
      fail(`duplicate member id "${member.id}"`);
    if (member.state !== 'active') continue;
    activeCount++;
    virtualNodeTotal += virtualNodeCountOf(member, settings);
  }
  if (settings.replicationFactor > activeCount) {
    fail(
      `replicationFactor ${settings.replicationFactor} needs at least as many active members, got ${activeCount}`,
      {
        replicationFactor: settings.replicationFactor,
        activeMembers: activeCount,
      },
    );
  }
  if (virtualNodeTotal > limits.placementVirtualNodesTotalMax) {
    fail(
      `the ring would have ${virtualNodeTotal} virtual nodes, more than placementVirtualNodesTotalMax ${limits.placementVirtualNodesTotalMax}`,
    );
  }
  const description: RingDescription = { formatVersion: 1, epoch: parts.epoch, settings, members };
  return description;
}

/** A plain JSON-able copy (canonical member order); JSON.stringify of it is stable. */
export function ringDescriptionToJson(description: RingDescription): {
  formatVersion: 1;
  epoch: number;
  settings: { replicationFactor: number; vnodesPerWeightUnit: number };
  members: {
    id: string;
    zone: string;
    weight: number;
    state: MemberState;
    virtualNodes?: number;
  }[];
} {
  return {
    formatVersion: description.formatVersion,
    epoch: description.epoch,
    settings: {
      replicationFactor: description.settings.replicationFactor,
      vnodesPerWeightUnit: description.settings.vnodesPerWeightUnit,
    },
    members: description.members.map((member) => {
      const json = { id: member.id, zone: member.zone, weight: member.weight, state: member.state };
      return member.virtualNodes === undefined
        ? json
        : { ...json, virtualNodes: member.virtualNodes };
    }),
  };
}

function parseSettings(value: unknown): RingSettings {
  const record = expectRecord(value, 'ring settings');
  const replicationFactor = record['replicationFactor'];
  if (
    typeof replicationFactor !== 'number' ||
    !Number.isSafeInteger(replicationFactor) ||
    replicationFactor < 1 ||
    replicationFactor > limits.replicationFactorMax
  ) {
    fail(
      `replicationFactor must be an integer in [1, ${limits.replicationFactorMax}], got ${String(replicationFactor)}`,
    );
  }
  const vnodesPerWeightUnit = record['vnodesPerWeightUnit'];
  if (
    typeof vnodesPerWeightUnit !== 'number' ||
    !Number.isSafeInteger(vnodesPerWeightUnit) ||
    vnodesPerWeightUnit < 1 ||
    vnodesPerWeightUnit > limits.placementVirtualNodesPerNodeMax
  ) {
    fail(
      `vnodesPerWeightUnit must be an integer in [1, ${limits.placementVirtualNodesPerNodeMax}], got ${String(vnodesPerWeightUnit)}`,
    );
  }
  return { replicationFactor, vnodesPerWeightUnit };
}

function parseMember(value: unknown, index: number, settings: RingSettings): RingMember {
  const record = expectRecord(value, `ring member ${index}`);
  const id = parseIdentifier(record['id'], `ring member ${index} id`);
  const zone = parseIdentifier(record['zone'], `member "${id}" zone`);
  const weight = record['weight'];
  if (
    typeof weight !== 'number' ||
    !Number.isFinite(weight) ||
    weight <= 0 ||
    weight > limits.placementWeightMax
  ) {
    fail(
      `member "${id}" weight must be a number in (0, ${limits.placementWeightMax}], got ${String(weight)}`,
      { member: id },
    );
  }
  const explicitVirtualNodes = record['virtualNodes'];
  if (explicitVirtualNodes !== undefined) {
    if (
      typeof explicitVirtualNodes !== 'number' ||
      !Number.isSafeInteger(explicitVirtualNodes) ||
      explicitVirtualNodes < 1 ||
      explicitVirtualNodes > limits.placementVirtualNodesPerNodeMax
    ) {
      fail(
        `member "${id}" virtualNodes must be an integer in [1, ${limits.placementVirtualNodesPerNodeMax}] (placementVirtualNodesPerNodeMax), got ${String(explicitVirtualNodes)}`,
        { member: id },
      );
    }
  }
  const virtualNodes = virtualNodeCountFor(weight, settings);
  if (virtualNodes < 1 || virtualNodes > limits.placementVirtualNodesPerNodeMax) {
    fail(
      `member "${id}" weight ${weight} gives ${virtualNodes} virtual nodes at vnodesPerWeightUnit ${settings.vnodesPerWeightUnit}; ` +
        `it must give 1 to ${limits.placementVirtualNodesPerNodeMax} (placementVirtualNodesPerNodeMax)`,
      { member: id },
    );
  }
  const state = record['state'];
  if (typeof state !== 'string' || !(memberStates as readonly string[]).includes(state)) {
    fail(`member "${id}" state must be one of ${memberStates.join(', ')}, got ${String(state)}`, {
      member: id,
    });
  }
  const member: RingMember = { id, zone, weight, state: state as MemberState };
  return explicitVirtualNodes === undefined
    ? member
    : { ...member, virtualNodes: explicitVirtualNodes };
}

function parseIdentifier(value: unknown, what: string): string {
  if (typeof value !== 'string') fail(`${what} must be a string, got ${typeof value}`);
  if (
    value.length < 1 ||
    value.length > limits.placementIdentifierBytesMax ||
    !identifierPattern.test(value)
  ) {
    fail(
      `${what} must be 1 to ${limits.placementIdentifierBytesMax} characters of A-Z a-z 0-9 . _ : - (starting with a letter or digit), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function expectRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function fail(message: string, details: Record<string, string | number> = {}): never {
  assert(message.length > 0, 'an error message');
  throw new InvalidArgumentError(message, details);
}
