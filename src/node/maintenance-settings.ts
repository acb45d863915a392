// Rate, parallelism and pause of rebalance copies. They live in memory on every
// member: the leader pushes its settings to all, so the next leader (after a crash or
// an election) carries on with the same ones. A rate given to `cairn rebalance --rate`
// wins for as long as it is set; without one, a pass copies at the cluster's settings
// (`cairn settings`): the rebalance rate while a ring epoch migrates, else the repair rate.

import type { MaintenanceSettings, MaintenanceSettingsChange } from '../api/index.js';
import { TokenBucket } from '../data/maintenance/index.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';

export class MaintenanceSettingsState {
  readonly bucket = new TokenBucket(0, performance.now());
  /** The bucket of passes that run at the cluster's settings (no operator rate set). */
  private readonly settingsBucket = new TokenBucket(0, performance.now());
  parallel: number = limits.maintenanceTransfersParallelDefault;
  paused = false;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly log: (event: string, fields?: Record<string, unknown>) => void) {}

  /** Called after every change (the coordinator then plans a pass again). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  apply(change: MaintenanceSettingsChange): MaintenanceSettings {
    if (change.rateBytesPerSecond !== undefined)
      this.bucket.setRate(change.rateBytesPerSecond, performance.now());
    if (change.parallel !== undefined) this.parallel = change.parallel;
    if (change.paused !== undefined) this.paused = change.paused;
    for (const listener of this.listeners) listener();
    this.log('rebalance-configured', {
      paused: this.paused,
      rate: this.bucket.rate,
      parallel: this.parallel,
    });
    return this.current();
  }

  /** The bucket a pass copies through, its rate brought up to date (see the top). */
  bucketForPass(rates: ClusterRates, migrating: boolean): TokenBucket {
    if (this.bucket.rate > 0) return this.bucket;
    const rate = passRateBytesPerSecond(rates, migrating);
    if (rate !== this.settingsBucket.rate) this.settingsBucket.setRate(rate, performance.now());
    return this.settingsBucket;
  }

  current(): MaintenanceSettings {
    return { rateBytesPerSecond: this.bucket.rate, parallel: this.parallel, paused: this.paused };
  }
}

/** The rates of the cluster's settings (src/meta/cluster/settings.ts); 0 = unlimited. */
export interface ClusterRates {
  readonly repairRateBytesPerSecond: number;
  readonly rebalanceRateBytesPerSecond: number;
}

/** Moving chunks to a new ring is rebalancing; restoring missing copies is repair. */
export function passRateBytesPerSecond(rates: ClusterRates, migrating: boolean): number {
  const rate = migrating ? rates.rebalanceRateBytesPerSecond : rates.repairRateBytesPerSecond;
  assert(Number.isSafeInteger(rate) && rate >= 0, 'a rate is a non-negative integer');
  return rate;
}
