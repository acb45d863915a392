// `cairn settings`: show the cluster's settings, or change them with `name=value`
// assignments (write-quorum=2 down-after=30s repair-rate=50MiB rebalance-rate=0),
// proposed through the meta group by the leader.

import type { ClusterSettingsChange, ClusterSettingsView, ClusterStatus } from '../api/index.js';
import { routePath, routes } from '../api/index.js';
import type { CairnClient } from '../client/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { formatDuration, parseDurationMilliseconds, parseSizeBytes } from '../util/units.js';
import { formatBytes } from './output.js';

export const settingNames = ['write-quorum', 'down-after', 'repair-rate', 'rebalance-rate'];
const assignmentsMax = 16;

export async function readSettings(client: CairnClient): Promise<ClusterSettingsView> {
  return (await client.requestJson(
    'GET',
    routePath(routes.clusterSettings),
  )) as ClusterSettingsView;
}

export async function changeSettings(
  client: CairnClient,
  change: ClusterSettingsChange,
): Promise<ClusterSettingsView> {
  // Setting a value twice leaves it set: safe to retry.
  return (await client.requestJson('PUT', routePath(routes.updateClusterSettings), change, {
    idempotent: true,
  })) as ClusterSettingsView;
}

/** `write-quorum=2 down-after=30s ...` as a change; a clear error for anything else. */
export function parseAssignments(
  assignments: readonly string[],
  allowWriteQuorumOne: boolean,
): ClusterSettingsChange {
  if (assignments.length === 0)
    throw new InvalidArgumentError(`name at least one setting: ${settingNames.join(', ')}`);
  if (assignments.length > assignmentsMax)
    throw new InvalidArgumentError(`at most ${assignmentsMax} settings at once`);
  const change: { -readonly [F in keyof ClusterSettingsChange]: ClusterSettingsChange[F] } = {};
  for (const assignment of assignments) {
    const [name, value, ...rest] = assignment.split('=');
    if (name === undefined || value === undefined || value === '' || rest.length > 0)
      throw new InvalidArgumentError(`a setting is name=value, got "${assignment}"`);
    const rate = (flag: string) =>
      parseSizeBytes(value, {
        flag,
        perSecond: true,
        minimumBytes: 0,
        maximumBytes: limits.maintenanceRateBytesPerSecondMax,
      });
    if (name === 'write-quorum') change.writeQuorum = writeQuorumOf(value);
    else if (name === 'down-after')
      change.downAfterMilliseconds = parseDurationMilliseconds(value, {
        flag: 'down-after',
        plainUnit: 's',
        minimumMilliseconds: 1_000,
        maximumMilliseconds: 7 * 24 * 3_600_000,
      });
    else if (name === 'repair-rate') change.repairRateBytesPerSecond = rate('repair-rate');
    else if (name === 'rebalance-rate') change.rebalanceRateBytesPerSecond = rate('rebalance-rate');
    else
      throw new InvalidArgumentError(
        `unknown setting "${name}"; the settings are ${settingNames.join(', ')}`,
      );
  }
  if (allowWriteQuorumOne) change.allowWriteQuorumOne = true;
  return change;
}

function writeQuorumOf(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1 || number > limits.replicationFactorMax)
    throw new InvalidArgumentError(
      `write-quorum must be a whole number from 1 to ${limits.replicationFactorMax}, got "${value}"`,
    );
  return number;
}

const rateText = (bytesPerSecond: number): string =>
  bytesPerSecond === 0 ? 'unlimited' : `${formatBytes(bytesPerSecond)}/s`;

/** Rows of name and value for the table. */
export function settingsRows(view: ClusterSettingsView): string[][] {
  return [
    ['replication factor', String(view.replicationFactor)],
    ['write-quorum', `${view.writeQuorum} of ${view.replicationFactor}`],
    ['down-after', formatDuration(view.downAfterMilliseconds)],
    ['repair-rate', rateText(view.repairRateBytesPerSecond)],
    ['rebalance-rate', rateText(view.rebalanceRateBytesPerSecond)],
    [
      'down members',
      view.downMembers.length === 0
        ? 'none'
        : view.downMembers.map((member) => `${member.id} (since ${member.lastHeardAt})`).join(', '),
    ],
  ];
}

/** The first lines of `cairn status`: the cluster, its leader, W of R, down members. */
export function statusHeadline(status: ClusterStatus): string {
  const head = `cluster ${status.clusterId ?? '(none)'}, leader ${status.leaderId ?? 'none'}`;
  const settings = status.settings;
  if (settings === undefined) return head;
  const down = settings.downMembers.map((member) => member.id);
  const repair = status.repair;
  const repairLine =
    repair === undefined
      ? []
      : [
          `under-replicated chunks: ${repair.chunksUnderReplicated ?? 'not known yet (no pass yet)'}` +
            (repair.running
              ? `, repair running: ${repair.chunksCopied} of ${repair.chunksPlanned} copies made (${formatBytes(repair.bytesCopied)})`
              : ''),
        ];
  return [
    `${head}, write quorum ${settings.writeQuorum} of ${settings.replicationFactor}`,
    `down members: ${down.length === 0 ? 'none' : down.join(', ')} (down after ${formatDuration(settings.downAfterMilliseconds)} unreachable)`,
    ...repairLine,
  ].join('\n');
}
