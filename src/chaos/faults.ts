// Executes one planned fault against the running cluster: inject, hold, heal.
// Every wait is bounded by the fault's hold time or a start timeout.

import { openSync, readSync, writeSync, closeSync, fstatSync, statSync } from 'node:fs';
import { CairnClient } from '../client/index.js';
import { Prng } from '../util/prng.js';
import type { ChaosCluster } from './cluster.js';
import { removeFile } from './cluster.js';
import type { FaultRecord, HistoryRecorder } from './history.js';
import { partitionCuts, resolveTarget, type PlannedFault } from './nemesis.js';

export interface FaultContext {
  readonly cluster: ChaosCluster;
  readonly recorder: HistoryRecorder;
  readonly replicationFactor: number;
  /** Resolves early when the run is stopping, so a hold never outlasts the run by much. */
  readonly sleep: (milliseconds: number) => Promise<void>;
}

const votersMin = 3;
const chunksDamagedPerFaultMax = 16;

export async function runFault(fault: PlannedFault, context: FaultContext): Promise<FaultRecord> {
  switch (fault.kind) {
    case 'kill':
      return killFault(fault, context);
    case 'pause':
      return pauseFault(fault, context);
    case 'partition':
      return partitionFault(fault, context);
    case 'membership':
      return membershipFault(fault, context);
    case 'disk':
      return diskFault(fault, context);
  }
}

async function killFault(
  fault: PlannedFault,
  { cluster, recorder, sleep }: FaultContext,
): Promise<FaultRecord> {
  const target = resolveTarget(fault, cluster.members(), await cluster.leader());
  const record = recorder.faultStarted(
    fault.index,
    'kill',
    `SIGKILL ${target}, down ${fault.holdMilliseconds} ms`,
  );
  await cluster.kill(target);
  await sleep(fault.holdMilliseconds);
  if (cluster.node(target).member) await cluster.startNode(target);
  recorder.faultHealed(record, `${target} restarted`);
  return record;
}

async function pauseFault(
  fault: PlannedFault,
  { cluster, recorder, sleep }: FaultContext,
): Promise<FaultRecord> {
  const target = resolveTarget(fault, cluster.members(), await cluster.leader());
  const record = recorder.faultStarted(
    fault.index,
    'pause',
    `SIGSTOP ${target} for ${fault.holdMilliseconds} ms`,
  );
  cluster.pause(target);
  await sleep(fault.holdMilliseconds);
  cluster.resume(target);
  recorder.faultHealed(record, `SIGCONT ${target}`);
  return record;
}

async function partitionFault(
  fault: PlannedFault,
  { cluster, recorder, sleep }: FaultContext,
): Promise<FaultRecord> {
  const { cuts, description } = partitionCuts(
    fault.partitionShape,
    cluster.members(),
    await cluster.leader(),
    fault.choice,
  );
  const record = recorder.faultStarted(
    fault.index,
    'partition',
    `${fault.partitionShape} (${fault.linkMode}): ${description}, ${fault.holdMilliseconds} ms`,
  );
  cluster.mesh.apply(cuts, fault.linkMode);
  await sleep(fault.holdMilliseconds);
  cluster.mesh.healAll();
  recorder.faultHealed(record);
  return record;
}

async function membershipFault(fault: PlannedFault, context: FaultContext): Promise<FaultRecord> {
  const { cluster, recorder } = context;
  const members = cluster.members();
  const spares = cluster.spares();
  const canRemove = members.length > votersMin;
  const action =
    fault.membershipAction === 'join'
      ? spares.length > 0
        ? 'join'
        : canRemove
          ? 'remove'
          : null
      : canRemove
        ? 'remove'
        : spares.length > 0
          ? 'join'
          : null;
  if (action === null) {
    const record = recorder.faultStarted(
      fault.index,
      'membership',
      'skipped: no spare node to join and no voter to spare',
      true,
    );
    recorder.faultHealed(record);
    return record;
  }
  if (action === 'join')
    return joinFault(fault, spares[fault.choice % spares.length] as string, context);
  return removeFault(fault, context);
}

async function joinFault(
  fault: PlannedFault,
  spare: string,
  { cluster, recorder, sleep }: FaultContext,
): Promise<FaultRecord> {
  const record = recorder.faultStarted(fault.index, 'membership', `join ${spare}`);
  await cluster.startNode(spare);
  const client = new CairnClient({
    endpoints: cluster.memberEndpoints(),
    retryAttemptsMax: 6,
    requestTimeoutMilliseconds: 5_000,
  });
  try {
    await client.requestJson('POST', '/v1/cluster/members', {
      address: cluster.node(spare).clientAddress,
    });
    cluster.node(spare).member = true;
    await sleep(fault.holdMilliseconds);
    recorder.faultHealed(record, `${spare} joined`);
  } catch (error) {
    // The join may still have committed: count it as a member so it is kept running and checked.
    cluster.node(spare).member = true;
    recorder.faultHealed(
      record,
      `join answered an error: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.close();
  }
  return record;
}

/** Removes a member whose chunks all have enough other copies, then stops it. */
async function removeFault(
  fault: PlannedFault,
  { cluster, recorder, replicationFactor }: FaultContext,
): Promise<FaultRecord> {
  const candidates = cluster
    .members()
    .filter((name) => chunksSafeWithout(cluster, name, replicationFactor));
  if (candidates.length === 0) {
    const record = recorder.faultStarted(
      fault.index,
      'membership',
      'skipped remove: every member holds a chunk with too few other copies',
      true,
    );
    recorder.faultHealed(record);
    return record;
  }
  const target = resolveTarget(fault, candidates, await cluster.leader());
  const record = recorder.faultStarted(fault.index, 'membership', `remove ${target}`);
  const client = new CairnClient({
    endpoints: cluster.memberEndpoints(),
    retryAttemptsMax: 6,
    requestTimeoutMilliseconds: 5_000,
  });
  try {
    await client.requestJson('DELETE', `/v1/cluster/members/${encodeURIComponent(target)}`);
    cluster.node(target).member = false;
    countDamage(
      cluster,
      cluster.chunkFiles(target).map(([sha256]) => sha256),
    );
    await cluster.kill(target);
    recorder.faultHealed(record, `${target} removed and stopped`);
  } catch (error) {
    recorder.faultHealed(
      record,
      `remove answered an error (${target} kept running): ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.close();
  }
  return record;
}

/**
 * True when removing `name` keeps every chunk it holds within the damage budget:
 * a correct cluster keeps R copies, so losing up to R-1 of them (damaged or on
 * removed nodes) must never lose data.
 */
function chunksSafeWithout(
  cluster: ChaosCluster,
  name: string,
  replicationFactor: number,
): boolean {
  return cluster
    .chunkFiles(name)
    .every(([sha256]) => (cluster.chunkDamage.get(sha256) ?? 0) + 1 <= replicationFactor - 1);
}

function countDamage(cluster: ChaosCluster, sha256s: readonly string[]): void {
  for (const sha256 of sha256s)
    cluster.chunkDamage.set(sha256, (cluster.chunkDamage.get(sha256) ?? 0) + 1);
}

async function diskFault(fault: PlannedFault, context: FaultContext): Promise<FaultRecord> {
  const { cluster, recorder, sleep } = context;
  const target = resolveTarget(fault, cluster.members(), await cluster.leader());
  if (fault.diskFault === 'fill') {
    if (cluster.node(target).fileSystem === null) {
      const record = recorder.faultStarted(
        fault.index,
        'disk',
        'skipped fill: no tmpfs (needs root)',
        true,
      );
      recorder.faultHealed(record);
      return record;
    }
    const record = recorder.faultStarted(
      fault.index,
      'disk',
      `fill ${target}'s disk for ${fault.holdMilliseconds} ms`,
    );
    const written = cluster.fillDisk(target);
    await sleep(fault.holdMilliseconds);
    cluster.freeDisk(target);
    recorder.faultHealed(record, `freed ${written} bytes`);
    return record;
  }
  return damageChunks(fault, target, context);
}

/**
 * Corrupts or deletes a few chunk files on the target, within the damage budget
 * (at most R-1 lost copies per chunk over the whole run): with no scrub or repair
 * yet, a correct cluster must still serve every object from its other copies. A
 * cluster that kept fewer copies than it promised (early-put-ack) loses data here.
 */
async function damageChunks(
  fault: PlannedFault,
  target: string,
  { cluster, recorder, replicationFactor }: FaultContext,
): Promise<FaultRecord> {
  const prng = new Prng(fault.choice);
  const allowed = cluster
    .chunkFiles(target)
    .filter(
      ([sha256]) =>
        !cluster.damagedCopies.has(`${target}:${sha256}`) &&
        (cluster.chunkDamage.get(sha256) ?? 0) + 1 <= replicationFactor - 1,
    );
  // The newest chunks first: they belong to the latest writes, whose copies repair
  // may not have completed yet (where a cluster that acknowledged too early is weakest).
  const chosen = newestFirst(allowed).slice(0, chunksDamagedPerFaultMax);
  const how = fault.diskFault === 'delete-chunks' ? 'delete' : 'corrupt';
  const record = recorder.faultStarted(
    fault.index,
    'disk',
    `${how} ${chosen.length} chunk file(s) on ${target}: ${chosen.map(([sha256]) => sha256.slice(0, 12)).join(' ')}`,
  );
  for (const [, path] of chosen) {
    if (how === 'delete') removeFile(path);
    else flipByte(path, prng);
  }
  countDamage(
    cluster,
    chosen.map(([sha256]) => sha256),
  );
  for (const [sha256] of chosen) cluster.damagedCopies.add(`${target}:${sha256}`);
  recorder.faultHealed(record, 'the damage stays until the cluster repairs it');
  return record;
}

function newestFirst(files: readonly [string, string][]): [string, string][] {
  const aged = files.map(([sha256, path]) => ({
    sha256,
    path,
    modified: modifiedMilliseconds(path),
  }));
  aged.sort(
    (left, right) => right.modified - left.modified || (left.sha256 < right.sha256 ? -1 : 1),
  );
  return aged.map(({ sha256, path }) => [sha256, path]);
}

function modifiedMilliseconds(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function flipByte(path: string, prng: Prng): void {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r+');
  } catch {
    return;
  }
  try {
    const size = fstatSync(descriptor).size;
    if (size === 0) return;
    const position = prng.nextIntegerInclusive(0, size - 1);
    const byte = Buffer.alloc(1);
    readSync(descriptor, byte, 0, 1, position);
    byte[0] = (byte[0] as number) ^ 0xff;
    writeSync(descriptor, byte, 0, 1, position);
  } finally {
    closeSync(descriptor);
  }
}
