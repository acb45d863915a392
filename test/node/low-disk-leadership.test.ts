// A leader below its disk reserve hands leadership to the caught-up voter with the most
// space, and refuses writes meanwhile as retryable UNAVAILABLE naming it; with no voter
// that has room it refuses with DISK_FULL; with space it does nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeStatus } from '../../src/api/index.js';
import { LowDiskLeadership } from '../../src/node/low-disk-leadership.js';
import type { RaftStatus } from '../../src/node/meta-group.js';
import { CairnError } from '../../src/util/errors.js';

const mebibyte = 1024 * 1024;

function setup(free: Record<string, number>, match: Record<string, number> = {}) {
  const transfers: string[] = [];
  let ownFree = free['n1'] as number;
  const status = {
    id: 'n1',
    role: 'leader',
    commit: 100,
    confState: { voters: ['n1', 'n2', 'n3'], learners: [] },
    progress: { n2: { match: match['n2'] ?? 100 }, n3: { match: match['n3'] ?? 100 } },
  } as unknown as RaftStatus;
  const leadership = new LowDiskLeadership({
    group: {
      nodeId: 'n1',
      isLeader: () => true,
      status: () => status,
      transferLeader: (to) => transfers.push(to),
      peerAddressOf: (id) => `${id}:1`,
    },
    diskGuard: { freeBytes: () => ownFree, reserveBytes: 64 * mebibyte },
    nodeStatus: async (address) =>
      ({ diskFreeBytes: free[address.split(':')[0] as string] }) as NodeStatus,
    log: () => undefined,
  });
  return { leadership, transfers, setOwnFree: (bytes: number) => (ownFree = bytes) };
}

const codeOf = (action: () => void): string | undefined => {
  try {
    action();
    return undefined;
  } catch (error) {
    return error instanceof CairnError ? error.code : 'other';
  }
};

test('low: hands over to the voter with the most space, and says so to writers', async () => {
  const { leadership, transfers } = setup({ n1: mebibyte, n2: 500 * mebibyte, n3: 900 * mebibyte });
  await leadership.duty();
  assert.equal(transfers, ['n3']);
  assert.is(
    codeOf(() => leadership.refuseWriteWhenLow()),
    'CAIRN_ERR_UNAVAILABLE',
  );
});

test('a voter far behind is not chosen, nor one without twice the reserve', async () => {
  const { leadership, transfers } = setup(
    { n1: mebibyte, n2: 100 * mebibyte, n3: 900 * mebibyte },
    { n3: 5 },
  );
  await leadership.duty();
  assert.equal(transfers, [], 'n3 is behind; n2 has less than twice the reserve');
  assert.is(
    codeOf(() => leadership.refuseWriteWhenLow()),
    'CAIRN_ERR_DISK_FULL',
  );
});

test('with space nothing happens', async () => {
  const { leadership, transfers } = setup({ n1: 900 * mebibyte, n2: mebibyte, n3: mebibyte });
  await leadership.duty();
  assert.equal(transfers, []);
  assert.is(
    codeOf(() => leadership.refuseWriteWhenLow()),
    undefined,
  );
});

test.run();
