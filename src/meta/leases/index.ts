// The leases family (leases with millisecond TTLs, expiry decided by the leader and
// committed; see README.md): its commands as the registry sees them.

import { defineCommand, type MetaFamily } from '../family.js';
import { applyLeaseCommand } from './apply.js';
import {
  type AttachObjectCommand,
  attachProblem,
  type DeleteLeaseObjectsCommand,
  readAttach,
  readDeleteObjects,
  writeAttach,
  type CheckpointLeasesCommand,
  checkpointsProblem,
  type ExpireLeaseCommand,
  expireProblem,
  type GrantLeaseCommand,
  type KeepaliveLeaseCommand,
  leaseIdProblem,
  readCheckpoints,
  readExpire,
  readGrant,
  readKeepalive,
  readRevoke,
  type RevokeLeaseCommand,
  ttlProblem,
  writeCheckpoints,
  writeExpire,
  writeGrant,
  writeLeaseId,
} from './commands.js';
import { leaseKeys } from './keys.js';

const common = { changesMembership: false, apply: applyLeaseCommand } as const;

export const leasesFamily: MetaFamily = {
  name: 'leases',
  ownedKeys: Object.values(leaseKeys),
  commands: [
    defineCommand<GrantLeaseCommand>({
      type: 'grantLease',
      tag: 20,
      ...common,
      encode: writeGrant,
      decode: readGrant,
      problem: (command) => ttlProblem(command.ttlMilliseconds),
    }),
    defineCommand<KeepaliveLeaseCommand>({
      type: 'keepaliveLease',
      tag: 21,
      ...common,
      encode: writeLeaseId,
      decode: readKeepalive,
      problem: leaseIdProblem,
    }),
    defineCommand<RevokeLeaseCommand>({
      type: 'revokeLease',
      tag: 22,
      ...common,
      encode: writeLeaseId,
      decode: readRevoke,
      problem: leaseIdProblem,
    }),
    defineCommand<ExpireLeaseCommand>({
      type: 'expireLease',
      tag: 23,
      ...common,
      encode: writeExpire,
      decode: readExpire,
      problem: expireProblem,
    }),
    defineCommand<AttachObjectCommand>({
      type: 'attachObject',
      tag: 28,
      ...common,
      encode: writeAttach,
      decode: readAttach,
      problem: attachProblem,
    }),
    defineCommand<DeleteLeaseObjectsCommand>({
      type: 'deleteLeaseObjects',
      tag: 29,
      ...common,
      encode: writeLeaseId,
      decode: readDeleteObjects,
      problem: leaseIdProblem,
    }),
    defineCommand<CheckpointLeasesCommand>({
      type: 'checkpointLeases',
      tag: 24,
      ...common,
      encode: writeCheckpoints,
      decode: readCheckpoints,
      problem: checkpointsProblem,
      sizeEstimateBytes: (command) => 16 + command.checkpoints.length * 24,
    }),
  ],
};

export type {
  AttachObjectCommand,
  DeleteLeaseObjectsCommand,
  CheckpointLeasesCommand,
  ExpireLeaseCommand,
  GrantLeaseCommand,
  KeepaliveLeaseCommand,
  LeaseCheckpoint,
  LeaseCommand,
  RevokeLeaseCommand,
} from './commands.js';
export { onLeaseEnded, type LeaseEndedHook } from './apply.js';
export { LeaseDeadlines, type LeaseDeadline } from './expiry.js';
export {
  leaseCountKey,
  leaseIdOfKey,
  leaseKey,
  leaseKeys,
  leaseObjectPrefix,
  leaseObjectsPrefix,
} from './keys.js';
export {
  attachedLease,
  countLeases,
  listLeases,
  readLease,
  type LeaseInfo,
} from './queries.js';
export { decodeLease, encodeLease, type LeaseRecord } from './records.js';
