// The predicates that allow deleting a chunk copy: each case is a way a wrong rule
// would lose data (a needed replica deleted) or keep garbage forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chunkIsUnreferenced,
  chunkWriteMayBeStored,
  collectedCopyMayBeRemoved,
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

test('a collected copy goes once its node applied the collection and nothing references it', () => {
  const copy = { referenceCount: 0, collectionIndex: 40, appliedCollectionIndex: 40 };
  assert.ok(collectedCopyMayBeRemoved(copy));
  assert.not.ok(
    collectedCopyMayBeRemoved({ ...copy, appliedCollectionIndex: 39 }),
    'not before the collection applied here',
  );
});

test('a collected chunk referenced again (a later put, a staged upload, history) is kept', () => {
  assert.not.ok(chunkIsUnreferenced({ referenceCount: 1 }));
  assert.not.ok(
    collectedCopyMayBeRemoved({
      referenceCount: 2,
      collectionIndex: 7,
      appliedCollectionIndex: 90,
    }),
  );
});

test('a chunk write waits until the node reclaimed what its writer and it applied', () => {
  const write = {
    writerCollectionIndex: 50,
    appliedCollectionIndex: 50,
    reclaimedThroughIndex: 50,
  };
  assert.ok(chunkWriteMayBeStored(write));
  assert.not.ok(
    chunkWriteMayBeStored({ ...write, reclaimedThroughIndex: 49 }),
    'the writer saw a collection this node has not reclaimed',
  );
  assert.not.ok(
    chunkWriteMayBeStored({ ...write, writerCollectionIndex: 0, reclaimedThroughIndex: 49 }),
    'this node applied a collection it has not reclaimed yet',
  );
  assert.ok(chunkWriteMayBeStored({ ...write, writerCollectionIndex: 0 }));
});

test.run();
