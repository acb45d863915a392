// Placement quality benchmark: balance, weight honour, movement on membership
// change, and replica/zone distinctness over many chunk ids. Not a test: it prints
// figures. Run: npx tsx bench/placement-quality.ts [--chunks 1000000] [--vnodes 512]
//
// Definitions (R = replication factor, C = chunks, N = members before the change):
// - fill max/mean: the copies held by the fullest member over the mean copies per
//   member (C * R / N). 1.00 is perfect balance.
// - moved fraction on adding one member: copies that must be created somewhere
//   (a member gains a copy it did not hold) over all copies C * R. The new member
//   can only fairly hold 1/(N+1) of all copies, and a minimal ring creates copies
//   only on the new member, so the ideal is 1/(N+1); ratio = moved / ideal.
//   Equivalently, R/(N+1) of chunks (capped at 1) change their replica set.
// - weight honour error: max over members of |share / (weight / total weight) - 1|.

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { limits } from '../src/util/limits.js';
import {
  applyRingChange,
  calibrateVirtualNodes,
  createRingDescription,
  Ring,
  targetCopyShares,
} from '../src/placement/index.js';
import type { RingDescription, RingMember } from '../src/placement/index.js';

const options = parseOptions(process.argv.slice(2));
const replicationFactor = 3;

function parseOptions(argv: readonly string[]): { chunks: number; vnodes: number } {
  const value = (name: string, fallback: number): number => {
    const index = argv.indexOf(name);
    return index >= 0 ? Number(argv[index + 1]) : fallback;
  };
  return {
    chunks: value('--chunks', 1_000_000),
    vnodes: value('--vnodes', limits.placementVirtualNodesPerWeightUnitDefault),
  };
}

function makeChunkIds(count: number): string[] {
  const ids: string[] = [];
  for (let index = 0; index < count; index++)
    ids.push(createHash('sha256').update(`chunk-${index}`).digest('hex'));
  return ids;
}

function makeMembers(
  count: number,
  zones: number,
  weightOf: (index: number) => number = () => 1,
): RingMember[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `node-${String(index).padStart(3, '0')}`,
    zone: `zone-${index % zones}`,
    weight: weightOf(index),
    state: 'active' as const,
  }));
}

function buildRing(members: RingMember[], epoch = 1): { ring: Ring; buildMilliseconds: number } {
  const started = performance.now();
  const ring = Ring.fromDescription(
    createRingDescription({
      epoch,
      settings: { replicationFactor, vnodesPerWeightUnit: options.vnodes },
      members,
    }),
  );
  return { ring, buildMilliseconds: performance.now() - started };
}

interface Placement {
  /** Member ids per chunk, R per chunk, as indexes into memberIds. */
  readonly replicas: Int32Array;
  readonly memberIds: readonly string[];
  readonly lookupNanoseconds: number;
  readonly duplicateReplicaChunks: number;
  readonly sameZoneChunks: number;
}

function placeAll(ring: Ring, chunkIds: readonly string[]): Placement {
  const replicas = new Int32Array(chunkIds.length * replicationFactor);
  const zoneOf = ring.members.map((member) => member.zone);
  const zoneCount = new Set(ring.members.map((member) => member.zone)).size;
  let duplicateReplicaChunks = 0;
  let sameZoneChunks = 0;
  const started = performance.now();
  for (let chunk = 0; chunk < chunkIds.length; chunk++) {
    const indexes = ring.replicaIndexesFor(chunkIds[chunk] as string);
    for (let copy = 0; copy < replicationFactor; copy++)
      replicas[chunk * replicationFactor + copy] = indexes[copy] as number;
    if (new Set(indexes).size !== replicationFactor) duplicateReplicaChunks++;
    const zonesUsed = new Set(indexes.map((index) => zoneOf[index])).size;
    if (zonesUsed !== Math.min(zoneCount, replicationFactor)) sameZoneChunks++;
  }
  const lookupNanoseconds = ((performance.now() - started) * 1e6) / chunkIds.length;
  return {
    replicas,
    memberIds: ring.members.map((member) => member.id),
    lookupNanoseconds,
    duplicateReplicaChunks,
    sameZoneChunks,
  };
}

function copiesPerMember(placement: Placement): Map<string, number> {
  const counts = new Array<number>(placement.memberIds.length).fill(0);
  for (const memberIndex of placement.replicas)
    counts[memberIndex] = (counts[memberIndex] as number) + 1;
  return new Map(placement.memberIds.map((id, index) => [id, counts[index] as number]));
}

function fill(placement: Placement): { maxOverMean: number; minOverMean: number } {
  const counts = [...copiesPerMember(placement).values()];
  const mean = placement.replicas.length / counts.length;
  return { maxOverMean: Math.max(...counts) / mean, minOverMean: Math.min(...counts) / mean };
}

/** Copies created (a member gains a chunk it did not hold) between two placements of the same chunks. */
function movement(
  before: Placement,
  after: Placement,
  newMemberId: string,
): { movedCopies: number; changedChunks: number; copiesToOthers: number } {
  let movedCopies = 0;
  let changedChunks = 0;
  let copiesToOthers = 0;
  const chunkCount = before.replicas.length / replicationFactor;
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    const old = new Set<string>();
    for (let copy = 0; copy < replicationFactor; copy++)
      old.add(
        before.memberIds[before.replicas[chunk * replicationFactor + copy] as number] as string,
      );
    let gained = 0;
    for (let copy = 0; copy < replicationFactor; copy++) {
      const id = after.memberIds[
        after.replicas[chunk * replicationFactor + copy] as number
      ] as string;
      if (old.has(id)) continue;
      gained++;
      if (id !== newMemberId) copiesToOthers++;
    }
    movedCopies += gained;
    if (gained > 0) changedChunks++;
  }
  return { movedCopies, changedChunks, copiesToOthers };
}

function format(value: number, digits = 3): string {
  return value.toFixed(digits);
}

function benchmarkSize(count: number, zones: number, chunkIds: readonly string[]): void {
  const members = makeMembers(count, zones);
  const { ring, buildMilliseconds } = buildRing(members);
  const before = placeAll(ring, chunkIds);
  const balance = fill(before);
  const added: RingMember = {
    id: 'node-new',
    zone: `zone-${count % zones}`,
    weight: 1,
    state: 'active',
  };
  const after = placeAll(buildRing([...members, added], 2).ring, chunkIds);
  const moved = movement(before, after, 'node-new');
  const totalCopies = chunkIds.length * replicationFactor;
  const movedFraction = moved.movedCopies / totalCopies;
  const idealFraction = 1 / (count + 1);
  // Removing a member from N = R leaves fewer members than R: not a valid ring.
  const removed =
    count > replicationFactor ? placeAll(buildRing(members.slice(1), 3).ring, chunkIds) : undefined;
  const removeRatio =
    removed === undefined
      ? 'n/a'
      : format(movement(before, removed, '(none)').movedCopies / totalCopies / (1 / count));
  console.log(
    [
      String(count).padStart(3),
      String(zones).padStart(5),
      format(buildMilliseconds, 1).padStart(8),
      format(before.lookupNanoseconds, 0).padStart(9),
      format(balance.maxOverMean).padStart(8),
      format(balance.minOverMean).padStart(8),
      format(movedFraction, 4).padStart(9),
      format(idealFraction, 4).padStart(7),
      format(movedFraction / idealFraction).padStart(6),
      format(moved.changedChunks / chunkIds.length, 4).padStart(8),
      String(moved.copiesToOthers).padStart(7),
      removeRatio.padStart(12),
      String(
        before.duplicateReplicaChunks +
          after.duplicateReplicaChunks +
          (removed?.duplicateReplicaChunks ?? 0),
      ).padStart(5),
      String(
        before.sameZoneChunks + after.sameZoneChunks + (removed?.sameZoneChunks ?? 0),
      ).padStart(6),
    ].join(' '),
  );
}

function benchmarkWeights(
  label: string,
  count: number,
  weightOf: (index: number) => number,
  chunkIds: readonly string[],
): void {
  const members = makeMembers(count, 1, weightOf);
  const plain = createRingDescription({
    epoch: 1,
    settings: { replicationFactor, vnodesPerWeightUnit: options.vnodes },
    members,
  });
  const calibrated = calibrateVirtualNodes(plain).description;
  const errors = [plain, calibrated].map((description) => {
    const placement = placeAll(Ring.fromDescription(description), chunkIds);
    return { placement, ...weightErrors(description, placement) };
  });
  const moved =
    movement(errors[0]!.placement, errors[1]!.placement, '(none)').movedCopies /
    (chunkIds.length * replicationFactor);
  console.log(
    `${label.padEnd(36)} ${format(errors[0]!.worst * 100, 1).padStart(6)}% ${format(errors[1]!.worst * 100, 1).padStart(9)}%` +
      `   ${format(moved * 100, 1).padStart(5)}%   ${errors[0]!.perWeight}  ->  ${errors[1]!.perWeight}`,
  );
}

/** Worst member error against the fair share, and mean share/fair share per weight class (sampled). */
function weightErrors(
  description: RingDescription,
  placement: Placement,
): { worst: number; perWeight: string } {
  const counts = copiesPerMember(placement);
  const targets = targetCopyShares(description);
  const byWeight = new Map<number, { ratio: number; members: number }>();
  let worst = 0;
  for (const member of description.members) {
    const ratio =
      (counts.get(member.id) as number) /
      placement.replicas.length /
      (targets.get(member.id) as number);
    worst = Math.max(worst, Math.abs(ratio - 1));
    const entry = byWeight.get(member.weight) ?? { ratio: 0, members: 0 };
    byWeight.set(member.weight, { ratio: entry.ratio + ratio, members: entry.members + 1 });
  }
  const classes = [...byWeight.entries()].sort((left, right) => left[0] - right[0]);
  const shown =
    classes.length > 4
      ? [classes[0]!, classes[1]!, classes[classes.length - 2]!, classes[classes.length - 1]!]
      : classes;
  const perWeight = shown
    .map(([weight, entry]) => `w${weight} ${format(entry.ratio / entry.members)}`)
    .join(' ');
  return { worst, perWeight };
}

/** Equal weights, calibrated: balance, the data calibration moves, and a join after it. */
function benchmarkCalibrated(count: number, zones: number, chunkIds: readonly string[]): void {
  const plain = createRingDescription({
    epoch: 1,
    settings: { replicationFactor, vnodesPerWeightUnit: options.vnodes },
    members: makeMembers(count, zones),
  });
  const started = performance.now();
  const calibration = calibrateVirtualNodes(plain);
  const calibrateMilliseconds = performance.now() - started;
  const before = placeAll(Ring.fromDescription(plain), chunkIds);
  const calibrated = placeAll(Ring.fromDescription(calibration.description), chunkIds);
  const totalCopies = chunkIds.length * replicationFactor;
  const calibrationMoved = movement(before, calibrated, '(none)').movedCopies / totalCopies;
  const grown = applyRingChange(calibration.description, {
    kind: 'add-member',
    member: { id: 'node-new', zone: `zone-${count % zones}`, weight: 1, state: 'active' },
  });
  const after = placeAll(Ring.fromDescription(grown), chunkIds);
  const joined = movement(calibrated, after, 'node-new');
  const balance = fill(calibrated);
  console.log(
    [
      String(count).padStart(3),
      String(zones).padStart(5),
      format(calibrateMilliseconds, 0).padStart(9),
      String(calibration.rounds).padStart(6),
      `${format(calibration.worstErrorBefore * 100, 1)}% -> ${format(calibration.worstErrorAfter * 100, 1)}%`.padStart(
        15,
      ),
      format(balance.maxOverMean).padStart(8),
      format(balance.minOverMean).padStart(8),
      `${format(calibrationMoved * 100, 2)}%`.padStart(10),
      format(joined.movedCopies / totalCopies / (1 / (count + 1))).padStart(10),
      String(joined.copiesToOthers).padStart(8),
    ].join(' '),
  );
}

function main(): void {
  const started = performance.now();
  console.log(
    `placement quality: ${options.chunks} chunks (SHA-256 ids), R=${replicationFactor}, vnodesPerWeightUnit=${options.vnodes}`,
  );
  const chunkIds = makeChunkIds(options.chunks);
  console.log('');
  console.log(
    '  N zones build-ms lookup-ns max/mean min/mean add-moved  ideal ratio chg-chnk to-other remove-ratio dupes zone-x',
  );
  for (const [count, zones] of [
    [3, 1],
    [10, 1],
    [100, 1],
    [3, 3],
    [10, 5],
    [100, 5],
  ] as const)
    benchmarkSize(count, zones, chunkIds);
  console.log('');
  console.log(
    'calibrated (equal weights): exact error = worst |exact share / fair share - 1|; fill sampled over the chunks',
  );
  console.log(
    '  N zones  calib-ms rounds    exact error max/mean min/mean calib-move join-ratio to-other',
  );
  for (const [count, zones] of [
    [10, 1],
    [100, 1],
    [10, 5],
    [100, 5],
  ] as const)
    benchmarkCalibrated(count, zones, chunkIds);
  console.log('');
  console.log(
    'weights (one zone): worst member error vs fair share, sampled; plain ring -> calibrated; data moved by calibrating',
  );
  console.log(
    '                                      plain  calibrated   moved   mean share/fair per weight class: plain -> calibrated',
  );
  benchmarkWeights(
    'N=10, weights 1,1,1,1,1,2,2,2,3,4',
    10,
    (index) => [1, 1, 1, 1, 1, 2, 2, 2, 3, 4][index] as number,
    chunkIds,
  );
  benchmarkWeights(
    'N=100, half weight 1, half weight 2',
    100,
    (index) => (index % 2 === 0 ? 1 : 2),
    chunkIds,
  );
  benchmarkWeights('N=16, weights 1..16', 16, (index) => index + 1, chunkIds);
  console.log('');
  console.log(`total ${format((performance.now() - started) / 1000, 1)} s`);
}

main();
