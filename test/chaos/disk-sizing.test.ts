// Issue 13 item 7: the chaos disks are sized from the workload's bounds, so the workload
// cannot fill them; only the disk fault does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withinBudget } from '../../src/chaos/workloads/objects.js';
import { limits } from '../../src/util/limits.js';

test('the objects workload puts at most its chunked budget, then only inline sizes', () => {
  const budget = { max: 10 * limits.objectInlineBytesMax, used: 0 };
  const sizes = Array.from({ length: 40 }, () =>
    withinBudget(budget, 3 * limits.objectInlineBytesMax),
  );
  assert.is(sizes.filter((size) => size > limits.objectInlineBytesMax).length, 3);
  assert.ok(budget.used <= budget.max);
  assert.ok(sizes.slice(3).every((size) => size === limits.objectInlineBytesMax));
  assert.is(withinBudget(budget, 100), 100, 'inline sizes do not count');
  assert.is(budget.used, 9 * limits.objectInlineBytesMax);
});

test('a chaos disk holds one live and one quarantined copy of every chunked byte, plus metadata', () => {
  assert.ok(
    limits.chaosTmpfsBytes >=
      2 * limits.chaosObjectChunkedBytesPerRunMax + limits.chaosNodeMetadataBytesAllowance,
  );
  assert.ok(limits.chaosDiskFillBytesMax >= limits.chaosTmpfsBytes, 'the fill fault fills it all');
});

test.run();
