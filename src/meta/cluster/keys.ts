// The cluster family's keys:
//   c/identity        cluster identity and settings: id, R, vnodes per weight unit
//   c/ring            current ring epoch and settled epoch
//   m/<member id>     a member: addresses, zone, weight, role, state
//   r/<epoch, 16 hex> the ring description of an epoch (current and unsettled ones)

import { fixedWidthHex } from '../keys.js';

export const clusterKeys = {
  identity: 'c/identity',
  ringState: 'c/ring',
  memberPrefix: 'm/',
  ringPrefix: 'r/',
  /** Issue 13: the cluster's settings and the members marked down (settings.ts). */
  settings: 'c/settings',
  downPrefix: 'c/down/',
} as const;

export const memberKey = (id: string): string => clusterKeys.memberPrefix + id;
export const ringKey = (epoch: number): string => clusterKeys.ringPrefix + fixedWidthHex(epoch);
