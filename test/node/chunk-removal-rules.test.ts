// The predicates that allow deleting a chunk copy: each case is a way a wrong rule
// would lose data (a needed replica deleted) or keep garbage forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chunkIsUnreferenced,
  garbageCopyMayBeRemoved,
  nodeIsReplica,
  placementIsSettled,
  surplusCopyMayBeRemoved,
} from '../../src/node/chunk-removal-rules.js';

function ring(replicas: Record<string, string[]>): { replicasFor(sha256: string): string[] } {
  return { replicasFor: (sha256) => replicas[sha256] ?? [] };
}

const a = 'a'.repeat(64);
const b = 'b'.repeat(64);

test('a surplus copy on a non-replica of a settled placement may be removed', () => {
  const placement = { rings: [ring({ [a]: ['n1', 'n2', 'n3'] })] };
  assert.ok(surplusCopyMayBeRemoved(placement, 'n4', a));
});

test('a replica never removes its own copy as surplus', () => {
  const placement = { rings: [ring({ [a]: ['n1', 'n2', 'n3'] })] };
  assert.ok(nodeIsReplica(placement, 'n2', a));
  assert.not.ok(surplusCopyMayBeRemoved(placement, 'n2', a));
});

test('nothing is surplus while two rings are read from (an epoch migrating)', () => {
  const current = ring({ [a]: ['n1', 'n2', 'n3'] });
  const settled = ring({ [a]: ['n2', 'n3', 'n4'] });
  const placement = { rings: [current, settled] };
  assert.not.ok(placementIsSettled(placement));
  // n4 is a replica in the settled ring only: reads may still go there.
  assert.not.ok(surplusCopyMayBeRemoved(placement, 'n4', a));
  // Even a node in neither ring keeps its copy until the epoch settles.
  assert.not.ok(surplusCopyMayBeRemoved(placement, 'n5', a));
});

test('without any ring (not recorded yet) nothing is surplus', () => {
  assert.not.ok(surplusCopyMayBeRemoved({ rings: [] }, 'n1', b));
});

test('an unreferenced copy older than the grace period is garbage', () => {
  assert.ok(
    garbageCopyMayBeRemoved({
      referenceCount: 0,
      ageMilliseconds: 5_000,
      graceMilliseconds: 5_000,
    }),
  );
});

test('a young unreferenced copy is kept: its put may still commit', () => {
  assert.not.ok(
    garbageCopyMayBeRemoved({
      referenceCount: 0,
      ageMilliseconds: 4_999,
      graceMilliseconds: 5_000,
    }),
  );
});

test('a referenced copy is never garbage, however old', () => {
  assert.not.ok(chunkIsUnreferenced({ referenceCount: 1 }));
  assert.not.ok(
    garbageCopyMayBeRemoved({ referenceCount: 2, ageMilliseconds: 1e12, graceMilliseconds: 0 }),
  );
});

test('a copy whose file is gone is not removed', () => {
  assert.not.ok(
    garbageCopyMayBeRemoved({
      referenceCount: 0,
      ageMilliseconds: undefined,
      graceMilliseconds: 0,
    }),
  );
});

test.run();
