// The locks family's keys:
//   n/l/<lock name>                   a lock: its holders (with their fencing tokens) and
//                                     its waiters in arrival order
//   n/e/<lease id, 16 hex>/<lock name>  the locks a lease holds or waits on (what its end
//                                     releases, in the same entry)

import { fixedWidthHex } from '../keys.js';

export const lockKeys = { lockPrefix: 'n/l/', leaseLockPrefix: 'n/e/' } as const;

export const lockKey = (name: string): string => lockKeys.lockPrefix + name;
export const leaseLocksPrefix = (leaseId: number): string =>
  `${lockKeys.leaseLockPrefix}${fixedWidthHex(leaseId)}/`;
export const leaseLockKey = (leaseId: number, name: string): string =>
  leaseLocksPrefix(leaseId) + name;
