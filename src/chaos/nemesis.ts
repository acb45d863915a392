// The nemesis: which fault to inject when, for how long. Pure: the schedule is a
// function of the seed, the enabled fault kinds and the duration, so the same seed
// replays the same schedule. Targets are chosen by number (`choice`) and resolved
// against the members present at run time (resolveTarget, partitionCuts), so the
// schedule does not depend on timing, only its effect does.
//
// Faults run one after another (as Jepsen's nemesis does): a quiet gap, the fault,
// a hold, the heal.

import { assert } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { Prng } from '../util/prng.js';
import type { LinkMode } from './proxy.js';

export const faultKinds = ['kill', 'pause', 'partition', 'membership', 'disk'] as const;
export type FaultKind = (typeof faultKinds)[number];

export const partitionShapes = [
  'isolate-leader',
  'isolate-node',
  'majority-minority',
  'bridge',
  'one-way-in',
  'one-way-out',
] as const;
export type PartitionShape = (typeof partitionShapes)[number];

export type DiskFaultKind = 'corrupt-chunks' | 'delete-chunks' | 'fill';

export interface PlannedFault {
  readonly index: number;
  readonly kind: FaultKind;
  /** Quiet time before the fault starts. */
  readonly gapMilliseconds: number;
  /** How long the fault lasts before it is healed (kill: time down; pause: time stopped). */
  readonly holdMilliseconds: number;
  /** Aim at the leader (resolved at run time) instead of `choice`. */
  readonly targetLeader: boolean;
  /** Picks the target among the members present at run time. */
  readonly choice: number;
  readonly partitionShape: PartitionShape;
  readonly linkMode: Exclude<LinkMode, 'pass'>;
  readonly membershipAction: 'join' | 'remove';
  readonly diskFault: DiskFaultKind;
}

export interface NemesisOptions {
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  readonly durationMilliseconds: number;
}

const gapMillisecondsMin = 300;
const gapMillisecondsMax = 2_000;
// Pauses and partitions outlast the 1 s election timeout (10 ticks of 100 ms).
const holdMilliseconds: Record<FaultKind, readonly [number, number]> = {
  kill: [0, 3_000],
  pause: [1_500, 4_000],
  partition: [2_000, 6_000],
  membership: [500, 2_000],
  disk: [1_000, 4_000],
};

/** The fault schedule of a run: enough faults to fill the duration, each at least gapMillisecondsMin apart. */
export function planFaults(options: NemesisOptions): PlannedFault[] {
  assert(Number.isSafeInteger(options.seed) && options.seed >= 0, 'seed is a non-negative integer');
  assert(
    options.durationMilliseconds >= 0 &&
      options.durationMilliseconds <= limits.chaosDurationMillisecondsMax,
    'duration is bounded',
  );
  if (options.kinds.length === 0) return [];
  const prng = new Prng(options.seed).fork();
  const kinds = [...new Set(options.kinds)].sort(
    (left, right) => faultKinds.indexOf(left) - faultKinds.indexOf(right),
  );
  const plan: PlannedFault[] = [];
  let plannedMilliseconds = 0;
  let membershipCount = 0;
  for (
    let index = 0;
    index < limits.chaosFaultsMax && plannedMilliseconds < options.durationMilliseconds;
    index++
  ) {
    const kind = prng.pick(kinds);
    const [holdMin, holdMax] = holdMilliseconds[kind];
    const fault: PlannedFault = {
      index,
      kind,
      gapMilliseconds: prng.nextIntegerInclusive(gapMillisecondsMin, gapMillisecondsMax),
      holdMilliseconds: prng.nextIntegerInclusive(holdMin, holdMax),
      targetLeader: prng.chance(0.4),
      choice: prng.nextUint32(),
      partitionShape: prng.pick(partitionShapes),
      linkMode: prng.chance(0.5) ? 'drop' : 'blackhole',
      // Alternate, starting with a join, so the voter count wanders around its start.
      membershipAction: kind === 'membership' && membershipCount++ % 2 === 1 ? 'remove' : 'join',
      diskFault: prng.pick(['corrupt-chunks', 'delete-chunks', 'fill'] as const),
    };
    plan.push(fault);
    plannedMilliseconds += fault.gapMilliseconds + fault.holdMilliseconds;
  }
  return plan;
}

/** The member a fault hits: the leader when asked and known, else members[choice mod n] in sorted order. */
export function resolveTarget(
  fault: PlannedFault,
  members: readonly string[],
  leaderId: string | null,
): string {
  assert(members.length > 0, 'a fault needs a member to hit');
  if (fault.targetLeader && leaderId !== null && members.includes(leaderId)) return leaderId;
  const sorted = [...members].sort();
  return sorted[fault.choice % sorted.length] as string;
}

export interface LinkCut {
  readonly from: string;
  readonly to: string;
}

/** The directed links a partition cuts, and a description for the fault log. */
export function partitionCuts(
  shape: PartitionShape,
  members: readonly string[],
  leaderId: string | null,
  choice: number,
): { cuts: LinkCut[]; description: string } {
  assert(members.length >= 2, 'a partition needs two members');
  const sorted = [...members].sort();
  const rotated = sorted
    .slice(choice % sorted.length)
    .concat(sorted.slice(0, choice % sorted.length));
  const victim =
    shape === 'isolate-leader' && leaderId !== null && sorted.includes(leaderId)
      ? leaderId
      : (rotated[0] as string);
  const others = sorted.filter((member) => member !== victim);
  switch (shape) {
    case 'isolate-leader':
    case 'isolate-node':
      return {
        cuts: betweenGroups([victim], others, 'both'),
        description: `${victim} | ${others.join(' ')}`,
      };
    case 'one-way-in':
      return {
        cuts: betweenGroups(others, [victim], 'forward'),
        description: `${others.join(' ')} -x-> ${victim} (${victim} still sends)`,
      };
    case 'one-way-out':
      return {
        cuts: betweenGroups([victim], others, 'forward'),
        description: `${victim} -x-> ${others.join(' ')} (${victim} still hears)`,
      };
    case 'majority-minority': {
      const minoritySize = Math.floor((sorted.length - 1) / 2);
      const minority = rotated.slice(0, Math.max(1, minoritySize));
      const majority = sorted.filter((member) => !minority.includes(member));
      return {
        cuts: betweenGroups(minority, majority, 'both'),
        description: `${minority.join(' ')} | ${majority.join(' ')}`,
      };
    }
    case 'bridge':
      return bridgeCuts(rotated);
  }
}

/** Two halves that cannot talk to each other, and one bridge node that talks to both. */
function bridgeCuts(rotated: readonly string[]): { cuts: LinkCut[]; description: string } {
  const bridge = rotated[0] as string;
  const rest = rotated.slice(1);
  const half = Math.ceil(rest.length / 2);
  const left = rest.slice(0, half);
  const right = rest.slice(half);
  return {
    cuts: betweenGroups(left, right, 'both'),
    description: `${left.join(' ')} | ${right.join(' ')} bridged by ${bridge}`,
  };
}

function betweenGroups(
  left: readonly string[],
  right: readonly string[],
  direction: 'both' | 'forward',
): LinkCut[] {
  const cuts: LinkCut[] = [];
  for (const from of left) {
    for (const to of right) {
      cuts.push({ from, to });
      if (direction === 'both') cuts.push({ from: to, to: from });
    }
  }
  return cuts;
}

/** Parses --faults: a comma-separated subset of faultKinds ('all' for every kind, 'none' for none). */
export function parseFaultKinds(text: string): FaultKind[] {
  const trimmed = text.trim();
  if (trimmed === 'all') return [...faultKinds];
  if (trimmed === 'none' || trimmed === '') return [];
  const kinds: FaultKind[] = [];
  for (const item of trimmed.split(',')) {
    const name = item.trim();
    const kind = faultKinds.find((candidate) => candidate === name);
    if (kind === undefined)
      throw new InvalidArgumentError(
        `unknown fault "${name}"; choose from ${faultKinds.join(', ')}, all or none`,
      );
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}
