// The cluster family (identity and settings, members, rings and epochs): its commands
// as the registry sees them. Public names are re-exported by src/meta/index.ts.

import { defineCommand, type MetaFamily } from '../family.js';
import { rejected } from '../results.js';
import { identifierProblem, integerProblem } from '../validation.js';
import {
  applyBootstrap,
  applyMembershipChange,
  applySettleEpoch,
  pairsWithConfChange,
} from './apply.js';
import {
  type AddMemberCommand,
  type BootstrapClusterCommand,
  bootstrapProblem,
  type MembershipCommand,
  memberSpecProblem,
  memberUpdateProblem,
  type RemoveMemberCommand,
  readAddMember,
  readBootstrap,
  readMemberUpdate,
  readRemoveMember,
  readSettleEpoch,
  type SettleEpochCommand,
  type UpdateMemberCommand,
  writeAddMember,
  writeBootstrap,
  writeMemberUpdate,
  writeRemoveMember,
  writeSettleEpoch,
} from './commands.js';
import { clusterKeys } from './keys.js';
import type { ApplyContext } from '../family.js';
import type { SetClusterSettingsCommand, SetMemberDownCommand } from './commands.js';
import {
  applySetMemberDown,
  applySetSettings,
  downPrefix,
  readSetMemberDown,
  readSetSettings,
  setMemberDownProblem,
  setSettingsProblem,
  settingsKey,
  writeSetMemberDown,
  writeSetSettings,
} from './settings.js';

function applyMembership(context: ApplyContext, command: MembershipCommand) {
  const { confChange } = context;
  if (confChange !== undefined && !pairsWithConfChange(command, confChange)) {
    return rejected(
      `${command.type} of "${command.id}" does not fit the conf change ${confChange.type} of "${confChange.nodeId}"`,
    );
  }
  return applyMembershipChange(context, command);
}

export const clusterFamily: MetaFamily = {
  name: 'cluster',
  ownedKeys: [
    clusterKeys.identity,
    clusterKeys.ringState,
    clusterKeys.memberPrefix,
    clusterKeys.ringPrefix,
    settingsKey,
    downPrefix,
  ],
  commands: [
    defineCommand<BootstrapClusterCommand>({
      type: 'bootstrapCluster',
      tag: 1,
      changesMembership: true,
      encode: writeBootstrap,
      decode: readBootstrap,
      problem: bootstrapProblem,
      apply: applyBootstrap,
    }),
    defineCommand<AddMemberCommand>({
      type: 'addMember',
      tag: 2,
      changesMembership: true,
      encode: writeAddMember,
      decode: readAddMember,
      problem: memberSpecProblem,
      apply: applyMembership,
    }),
    defineCommand<UpdateMemberCommand>({
      type: 'updateMember',
      tag: 3,
      changesMembership: true,
      encode: writeMemberUpdate,
      decode: readMemberUpdate,
      problem: memberUpdateProblem,
      apply: applyMembership,
    }),
    defineCommand<RemoveMemberCommand>({
      type: 'removeMember',
      tag: 4,
      changesMembership: true,
      encode: writeRemoveMember,
      decode: readRemoveMember,
      problem: (command) => identifierProblem(command.id, 'member id'),
      apply: applyMembership,
    }),
    defineCommand<SettleEpochCommand>({
      type: 'settleEpoch',
      tag: 5,
      changesMembership: true,
      encode: writeSettleEpoch,
      decode: readSettleEpoch,
      problem: (command) => integerProblem(command.epoch, 'epoch', 1, Number.MAX_SAFE_INTEGER),
      apply: (context, command) => applySettleEpoch(context, command.epoch),
    }),
    // Issue 13: cluster settings and down members (tags 60-69).
    defineCommand<SetClusterSettingsCommand>({
      type: 'setClusterSettings',
      tag: 60,
      changesMembership: false,
      encode: writeSetSettings,
      decode: readSetSettings,
      problem: setSettingsProblem,
      apply: applySetSettings,
    }),
    defineCommand<SetMemberDownCommand>({
      type: 'setMemberDown',
      tag: 61,
      // Placement skips down members: nodes rebuild their caches.
      changesMembership: true,
      encode: writeSetMemberDown,
      decode: readSetMemberDown,
      problem: setMemberDownProblem,
      apply: applySetMemberDown,
    }),
  ],
};

export type {
  AddMemberCommand,
  BootstrapClusterCommand,
  ClusterCommand,
  MembershipCommand,
  RemoveMemberCommand,
  SettleEpochCommand,
  UpdateMemberCommand,
} from './commands.js';
export { clusterKeys, memberKey, ringKey } from './keys.js';
export {
  currentRing,
  members,
  readIdentity,
  readMembers,
  readRingState,
  ringAt,
  settledRing,
} from './queries.js';
export type {
  ClusterIdentity,
  MemberRecord,
  MemberRole,
  MemberSpec,
  RingState,
} from './records.js';
export { memberRoles } from './records.js';
export type { ClusterSettings, DownMember } from './settings.js';
export type { SetClusterSettingsCommand, SetMemberDownCommand } from './commands.js';
export {
  defaultSettings,
  majorityOf,
  readClusterSettings,
  readDownMembers,
  writeQuorumProblem,
} from './settings.js';
