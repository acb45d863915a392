// The locks family (exclusive, shared and semaphore locks held through leases, FIFO
// waiters, fencing tokens): its commands as the registry sees them.

import { defineCommand, type MetaFamily } from '../family.js';
import { onLeaseEnded } from '../leases/apply.js';
import { applyLockCommand, releaseLeaseLocks } from './apply.js';
import {
  type AcquireLockCommand,
  acquireProblem,
  type CheckFenceCommand,
  fenceProblem,
  readAcquire,
  readFence,
  readRelease,
  type ReleaseLockCommand,
  releaseProblem,
  writeAcquire,
  writeFence,
  writeRelease,
} from './commands.js';
import { lockKeys } from './keys.js';

onLeaseEnded(releaseLeaseLocks);

const common = { changesMembership: false, apply: applyLockCommand } as const;

export const locksFamily: MetaFamily = {
  name: 'locks',
  ownedKeys: Object.values(lockKeys),
  commands: [
    defineCommand<AcquireLockCommand>({
      type: 'acquireLock',
      tag: 25,
      ...common,
      encode: writeAcquire,
      decode: readAcquire,
      problem: acquireProblem,
    }),
    defineCommand<ReleaseLockCommand>({
      type: 'releaseLock',
      tag: 26,
      ...common,
      encode: writeRelease,
      decode: readRelease,
      problem: releaseProblem,
    }),
    defineCommand<CheckFenceCommand>({
      type: 'checkFence',
      tag: 27,
      ...common,
      encode: writeFence,
      decode: readFence,
      problem: fenceProblem,
    }),
  ],
};

export { fencedMessagePrefix } from './apply.js';
export type {
  AcquireLockCommand,
  CheckFenceCommand,
  LockCommand,
  ReleaseLockCommand,
} from './commands.js';
export { lockNameProblem } from './commands.js';
export { leaseLockKey, lockKey, lockKeys } from './keys.js';
export { listLocks, lockStanding, readLock } from './queries.js';
export type { LockEntry, LockMode, LockRecord } from './records.js';
