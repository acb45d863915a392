// Rate, parallelism and pause of rebalance copies. They live in memory on every
// member: the leader pushes its settings to all, so the next leader (after a crash or
// an election) carries on with the same ones.

import type { MaintenanceSettings, MaintenanceSettingsChange } from '../api/index.js';
import { TokenBucket } from '../data/maintenance/index.js';
import { limits } from '../util/limits.js';

export class MaintenanceSettingsState {
  readonly bucket = new TokenBucket(0, performance.now());
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

  current(): MaintenanceSettings {
    return { rateBytesPerSecond: this.bucket.rate, parallel: this.parallel, paused: this.paused };
  }
}
