// What the cluster family's commands do to the state. Deterministic; a command that
// does not fit the state is `rejected` (the state machine then discards its writes).
//
// A membership command committed as the context of a Raft conf change (etcd attaches
// context to a conf change the same way) follows the conf change: Raft's core applies
// the change on its own whenever Raft's rules allow it, so the member record must
// change with it. Such a command is not refused for the guards Raft already checked
// (voter counts, duplicates) nor for the unsettled-epoch guard (the proposer checks it
// with previewCommand before proposing); the member's role comes from the change.

import { assert } from '../../util/assert.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { limits } from '../../util/limits.js';
import type { RingDescription, RingMember } from '../../placement/index.js';
import { createRingDescription } from '../../placement/index.js';
import type { ApplyContext, ConfChangeInEntry } from '../family.js';
import { deleteReported, putReported } from '../family.js';
import { type MetaResult, notBootstrapped, rejected } from '../results.js';
import type { BootstrapClusterCommand, MembershipCommand } from './commands.js';
import { clusterKeys, memberKey, ringKey } from './keys.js';
import { readDownIds, readIdentity, readMembers, readRingState } from './queries.js';
import type { ClusterIdentity, MemberRecord } from './records.js';
import {
  encodeIdentity,
  encodeMember,
  encodeRing,
  encodeRingState,
  type RingState,
} from './records.js';

const family = 'cluster';

export function applyBootstrap(
  context: ApplyContext,
  command: BootstrapClusterCommand,
): MetaResult {
  const existing = readIdentity(context.transaction);
  if (existing !== undefined)
    return rejected(`the cluster is already bootstrapped as "${existing.clusterId}"`);
  const { revision } = context;
  const identity: ClusterIdentity = {
    clusterId: command.clusterId,
    replicationFactor: command.replicationFactor,
    vnodesPerWeightUnit: command.vnodesPerWeightUnit,
    bootstrapRevision: revision,
  };
  const members: MemberRecord[] = command.members.map((spec) => ({
    ...spec,
    state: 'active',
    addedRevision: revision,
    updatedRevision: revision,
  }));
  const ring = buildRing(identity, 1, members, new Set());
  if (typeof ring === 'string') return rejected(ring);
  putReported(context, family, clusterKeys.identity, encodeIdentity(identity));
  for (const member of members)
    putReported(context, family, memberKey(member.id), encodeMember(member));
  putReported(context, family, ringKey(1), encodeRing(ring));
  const ringState = encodeRingState({ currentEpoch: 1, settledEpoch: 1 });
  putReported(context, family, clusterKeys.ringState, ringState);
  return { type: 'ok', version: revision };
}

/**
 * The canonical ring of these members, or why it cannot be built (R too high, too many
 * vnodes...). Members marked down (issue 13) are placed as gone: their chunks go to the
 * next members of the ring walk until they are marked up again.
 */
function buildRing(
  identity: ClusterIdentity,
  epoch: number,
  members: readonly MemberRecord[],
  downIds: ReadonlySet<string>,
): RingDescription | string {
  const ringMembers: RingMember[] = members.map((member) => ({
    id: member.id,
    zone: member.zone,
    weight: member.weight,
    state: downIds.has(member.id) && member.state === 'active' ? 'gone' : member.state,
  }));
  try {
    return createRingDescription({
      epoch,
      settings: {
        replicationFactor: identity.replicationFactor,
        vnodesPerWeightUnit: identity.vnodesPerWeightUnit,
      },
      members: ringMembers,
    });
  } catch (error) {
    if (error instanceof InvalidArgumentError) return `the ring would be invalid: ${error.message}`;
    throw error;
  }
}

/** Whether a membership command fits the conf change it rides on (same member, same kind). */
export function pairsWithConfChange(
  command: MembershipCommand,
  change: ConfChangeInEntry,
): boolean {
  if (command.id !== change.nodeId) return false;
  if (change.type === 'addLearner') return command.type === 'addMember';
  if (change.type === 'removeNode') return command.type === 'removeMember';
  return command.type === 'updateMember';
}

/** The member list after the command, or the result to return instead. */
function changedMembers(
  context: ApplyContext,
  members: MemberRecord[],
  command: MembershipCommand,
): MemberRecord[] | MetaResult {
  const position = members.findIndex((member) => member.id === command.id);
  const current = members[position];
  const { confChange } = context;
  if (command.type === 'addMember') {
    // Under a conf change a leftover record (from a change half done before) is replaced.
    if (current !== undefined && confChange === undefined)
      return rejected(`member "${command.id}" already exists`);
    if (current === undefined && members.length >= limits.placementMembersMax)
      return rejected(
        `a cluster has at most ${limits.placementMembersMax} members (placementMembersMax)`,
      );
    const { type: _type, ...spec } = command;
    const added: MemberRecord = {
      ...spec,
      role: confChange === undefined ? spec.role : 'learner',
      state: 'active',
      addedRevision: current?.addedRevision ?? context.revision,
      updatedRevision: context.revision,
    };
    const others = members.filter((member) => member.id !== command.id);
    return [...others, added];
  }
  if (current === undefined) return { type: 'notFound' };
  if (command.type === 'removeMember') return members.filter((member) => member.id !== command.id);
  const { type: _type, id: _id, ...fields } = command;
  const role = confChange?.type === 'promoteLearner' ? 'voter' : (fields.role ?? current.role);
  const updated: MemberRecord = { ...current, ...fields, role, updatedRevision: context.revision };
  return members.map((member, at) => (at === position ? updated : member));
}

/** Why the voters of `after` are not allowed (Raft's own rules decide under a conf change). */
function votersProblem(context: ApplyContext, after: readonly MemberRecord[]): string | undefined {
  if (context.confChange !== undefined) return undefined;
  const voters = after.filter((member) => member.role === 'voter').length;
  if (voters < 1) return 'the last voter cannot be removed or demoted';
  if (voters > limits.raftVotersMax)
    return `a cluster has at most ${limits.raftVotersMax} voters (raftVotersMax)`;
  return undefined;
}

export function applyMembershipChange(
  context: ApplyContext,
  command: MembershipCommand,
): MetaResult {
  const identity = readIdentity(context.transaction);
  if (identity === undefined) return notBootstrapped();
  const before = readMembers(context.transaction);
  const after = changedMembers(context, before, command);
  if (!Array.isArray(after)) return after;
  const voters = votersProblem(context, after);
  if (voters !== undefined) return rejected(voters);
  const ringState = readRingState(context.transaction);
  assert(ringState !== undefined, 'a bootstrapped cluster has a ring');
  if (ringChanged(before, after)) {
    const ringProblem = commitRingEpoch(context, identity, ringState, after);
    if (ringProblem !== undefined) return rejected(ringProblem);
  }
  const previous = before.find((member) => member.id === command.id);
  if (command.type === 'removeMember')
    deleteReported(context, family, memberKey(command.id), previous?.updatedRevision);
  else {
    const written = after.find((member) => member.id === command.id);
    assert(written !== undefined, 'the changed member is in the list');
    const value = encodeMember(written);
    putReported(context, family, memberKey(command.id), value, previous?.updatedRevision);
  }
  return { type: 'ok', version: context.revision };
}

/**
 * Writes the next epoch's ring, or says why it cannot. Under a conf change the member
 * change goes ahead regardless: past the unsettled-epoch guard, and without a new
 * epoch when no valid ring exists (the ring then changes with the next change that
 * makes one valid).
 */
export function commitRingEpoch(
  context: ApplyContext,
  identity: ClusterIdentity,
  ringState: RingState,
  after: readonly MemberRecord[],
): string | undefined {
  const forced = context.confChange !== undefined;
  if (
    !forced &&
    ringState.currentEpoch - ringState.settledEpoch >= limits.metaRingEpochsUnsettledMax
  ) {
    return `${limits.metaRingEpochsUnsettledMax} ring epochs are not settled yet (metaRingEpochsUnsettledMax); rebalance before changing membership again`;
  }
  const newEpoch = ringState.currentEpoch + 1;
  const ring = buildRing(identity, newEpoch, after, readDownIds(context.transaction));
  if (typeof ring === 'string') return forced ? undefined : ring;
  putReported(context, family, ringKey(newEpoch), encodeRing(ring));
  const nextState = encodeRingState({ ...ringState, currentEpoch: newEpoch });
  putReported(context, family, clusterKeys.ringState, nextState);
  return undefined;
}

/** Whether the placement-relevant fields (set, zone, weight, state) differ. */
function ringChanged(before: readonly MemberRecord[], after: readonly MemberRecord[]): boolean {
  if (before.length !== after.length) return true;
  const byId = new Map(before.map((member) => [member.id, member]));
  for (const member of after) {
    const previous = byId.get(member.id);
    if (previous === undefined) return true;
    if (
      previous.zone !== member.zone ||
      previous.weight !== member.weight ||
      previous.state !== member.state
    )
      return true;
  }
  return false;
}

export function applySettleEpoch(context: ApplyContext, epoch: number): MetaResult {
  if (readIdentity(context.transaction) === undefined) return notBootstrapped();
  const ringState = readRingState(context.transaction);
  assert(ringState !== undefined, 'a bootstrapped cluster has a ring');
  if (epoch <= ringState.settledEpoch || epoch > ringState.currentEpoch) {
    return rejected(
      `epoch ${epoch} cannot be settled: settled is ${ringState.settledEpoch}, current is ${ringState.currentEpoch}`,
    );
  }
  // Placements older than the settled one are never read again.
  for (let old = ringState.settledEpoch; old < epoch; old++)
    deleteReported(context, family, ringKey(old));
  const nextState = encodeRingState({ ...ringState, settledEpoch: epoch });
  putReported(context, family, clusterKeys.ringState, nextState);
  return { type: 'ok', version: context.revision };
}
