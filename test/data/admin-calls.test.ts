import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  drainMember,
  waitForSettled,
  type JsonRequester,
  type RebalanceStatusView,
} from '../../src/data/maintenance/index.js';

function status(
  currentEpoch: number,
  settledEpoch: number,
  state: RebalanceStatusView['state'] = 'idle',
): RebalanceStatusView {
  return {
    leaderId: 'n1',
    currentEpoch,
    settledEpoch,
    state,
    paused: state === 'paused',
    rateBytesPerSecond: 0,
    parallel: 4,
    passes: 1,
    chunksPlanned: 0,
    bytesPlanned: 0,
    chunksCopied: 0,
    bytesCopied: 0,
    bytesPerSecond: 0,
    failedCount: 0,
    failures: [],
    refused: [],
    lostChunkCount: 0,
    surplusRemoved: 0,
    lastError: null,
  };
}

function scripted(answers: (RebalanceStatusView | Error)[]): JsonRequester & { calls: string[] } {
  const calls: string[] = [];
  let next = 0;
  return {
    calls,
    requestJson: async (method, path, body) => {
      calls.push(`${method} ${path}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`);
      if (path === '/v1/cluster/drain') return { id: 'n4', epoch: 7 };
      const answer = answers[Math.min(next++, answers.length - 1)] as RebalanceStatusView | Error;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

test('waits through a leader change until the epoch settles and no pass runs', async () => {
  const client = scripted([
    status(5, 4, 'running'),
    new Error('no leader'),
    status(5, 5, 'running'),
    status(5, 5, 'idle'),
  ]);
  const seen: string[] = [];
  const final = await waitForSettled(client, {
    timeoutMilliseconds: 5_000,
    intervalMilliseconds: 1,
    onStatus: (item) => seen.push(`${item.settledEpoch}/${item.state}`),
  });
  assert.is(final.settledEpoch, 5);
  assert.equal(seen, ['4/running', '5/running', '5/idle']);
});

test('gives up at the deadline and says what it saw last (refusals included)', async () => {
  const stuck = {
    ...status(3, 2, 'waiting'),
    refused: [{ memberId: 'n4', reason: 'its disk is 95.0% full', chunks: 10, bytes: 100 }],
  };
  const client = scripted([stuck]);
  try {
    await waitForSettled(client, { timeoutMilliseconds: 30, intervalMilliseconds: 5 });
    assert.unreachable('must time out');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'CAIRN_ERR_TIMEOUT');
    assert.match((error as Error).message, /settled 2.*n4 \(its disk is 95\.0% full\)/);
  }
});

test('drain asks the leader, then waits for the epoch the drain created', async () => {
  const client = scripted([status(7, 6, 'running'), status(7, 7, 'idle')]);
  const final = await drainMember(client, 'n4', {
    timeoutMilliseconds: 5_000,
    intervalMilliseconds: 1,
  });
  assert.is(final.settledEpoch, 7);
  assert.is(client.calls[0], 'POST /v1/cluster/drain {"id":"n4"}');
});

test.run();
