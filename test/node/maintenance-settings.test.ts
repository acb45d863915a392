// Which rate a reconcile pass copies at: an operator's `cairn rebalance --rate` while it
// is set, else the cluster's settings (rebalance rate while an epoch migrates, else repair).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MaintenanceSettingsState,
  passRateBytesPerSecond,
} from '../../src/node/maintenance-settings.js';

const rates = { repairRateBytesPerSecond: 1000, rebalanceRateBytesPerSecond: 5000 };

test('a settled ring repairs at the repair rate, a migrating one at the rebalance rate', () => {
  assert.is(passRateBytesPerSecond(rates, false), 1000);
  assert.is(passRateBytesPerSecond(rates, true), 5000);
});

test('a pass follows a change of the cluster settings, and an operator rate wins', () => {
  const settings = new MaintenanceSettingsState(() => undefined);
  assert.is(settings.bucketForPass(rates, false).rate, 1000);
  assert.is(settings.bucketForPass({ ...rates, repairRateBytesPerSecond: 7 }, false).rate, 7);
  assert.is(settings.bucketForPass(rates, true).rate, 5000);
  settings.apply({ rateBytesPerSecond: 42 });
  assert.is(settings.bucketForPass(rates, false).rate, 42);
  assert.is(settings.bucketForPass(rates, true).rate, 42);
  settings.apply({ rateBytesPerSecond: 0 });
  assert.is(settings.bucketForPass(rates, false).rate, 1000);
});

test('a pass at a limited rate is made to wait', () => {
  const settings = new MaintenanceSettingsState(() => undefined);
  const bucket = settings.bucketForPass({ ...rates, repairRateBytesPerSecond: 1000 }, false);
  const now = performance.now();
  assert.ok(bucket.take(4000, now) > 2000, 'four seconds of bytes wait about three');
});

test.run();
