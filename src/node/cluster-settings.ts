// The cluster's settings on the node (issue 13): read from the applied meta state (the
// defaults until the operator sets them), changed by a setClusterSettings proposal on
// the leader after the same check the state machine makes, so a refusal is a clear
// CONFLICT before anything is proposed.

import type { ClusterSettingsChange, ClusterSettingsView } from '../api/index.js';
import {
  type ClusterSettings,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
  previewCommand,
  readClusterSettings,
  readDownMembers,
  readIdentity,
} from '../meta/index.js';
import { CairnError } from '../util/errors.js';
import { notLeaderError, type LeaderSource } from './leader-gate.js';

export interface SettingsGroup extends LeaderSource {
  reader(): MetaReader;
  propose(command: MetaCommand): Promise<MetaResult>;
}

export class ClusterSettingsService {
  constructor(private readonly group: SettingsGroup) {}

  /** The settings in force (undefined before the cluster is recorded). */
  current(): (ClusterSettings & { readonly replicationFactor: number }) | undefined {
    const reader = this.group.reader();
    const identity = readIdentity(reader);
    if (identity === undefined) return undefined;
    const settings = readClusterSettings(reader, identity.replicationFactor);
    return { ...settings, replicationFactor: identity.replicationFactor };
  }

  view(): ClusterSettingsView {
    const settings = this.current();
    if (settings === undefined)
      throw new CairnError('CAIRN_ERR_NOT_IN_CLUSTER', 'the cluster is not recorded yet');
    return {
      replicationFactor: settings.replicationFactor,
      writeQuorum: settings.writeQuorum,
      downAfterMilliseconds: settings.downAfterMilliseconds,
      repairRateBytesPerSecond: settings.repairRateBytesPerSecond,
      rebalanceRateBytesPerSecond: settings.rebalanceRateBytesPerSecond,
      downMembers: readDownMembers(this.group.reader()).map((member) => ({
        id: member.id,
        lastHeardAt: new Date(member.lastHeardAtMilliseconds).toISOString(),
      })),
    };
  }

  async update(change: ClusterSettingsChange): Promise<ClusterSettingsView> {
    if (!this.group.isLeader())
      throw notLeaderError(this.group, 'settings changes run on the leader');
    const command: MetaCommand = { type: 'setClusterSettings', ...change };
    const preview = previewCommand(this.group.reader(), command);
    if (preview.type === 'rejected')
      throw new CairnError(
        'CAIRN_ERR_CONFLICT',
        `the settings were not changed: ${preview.message}`,
      );
    const result = await this.group.propose(command);
    if (result.type === 'rejected')
      throw new CairnError(
        'CAIRN_ERR_CONFLICT',
        `the settings were not changed: ${result.message}`,
      );
    return this.view();
  }
}
