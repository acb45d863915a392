// The bank workload's checks against the real state machine behind a fake client that
// interleaves clients and loses answers (applied or not): the clean run passes with
// every unknown transfer resolved by its request id; the planted bug (one compare left
// out) and a transfer applied twice are caught.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TxnAnswer, TxnRequest } from '../../src/api/index.js';
import type { CairnClient } from '../../src/client/index.js';
import { applyCommand, lookUpTxnOutcome, MemoryMetaStore } from '../../src/meta/index.js';
import { txnAnswer } from '../../src/node/txn-service.js';
import { checkBank, runBankWorkload } from '../../src/chaos/workloads/bank.js';
import { CairnError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { bootstrapThree } from '../meta/helpers.js';

class FakeCluster {
  readonly store = new MemoryMetaStore();
  private index = 1;
  private readonly prng = new Prng(7);
  lostAnswers = 0;
  /** TEST ONLY: apply a transfer twice when its answer is lost (a broken exactly once). */
  applyTwice = false;
  private readonly answerLost = new Set<string>();

  constructor() {
    applyCommand(bootstrapThree, this.index, this.store);
  }

  private apply(request: Omit<TxnRequest, 'requestId'> & { requestId?: string }): TxnAnswer {
    const requestId = request.requestId ?? '';
    const result = applyCommand(
      { type: 'transaction', proposedAtMilliseconds: 0, ...request, requestId },
      ++this.index,
      this.store,
    );
    if (result.type !== 'transaction') throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', 'no');
    return txnAnswer(result.outcome);
  }

  client(): CairnClient {
    const fake = {
      txn: async (request: Omit<TxnRequest, 'requestId'> & { requestId?: string }) => {
        await new Promise((resolve) => setImmediate(resolve));
        const requestId = request.requestId ?? '';
        const transfer = requestId.startsWith('bank-') && request.success.length === 2;
        if (this.applyTwice && this.answerLost.has(requestId))
          // A broken exactly once: the retry is applied as a new txn (its compares fail).
          return this.apply({ ...request, requestId: `${requestId}-again` });
        const roll = this.prng.nextFloat();
        if (transfer && roll < 0.1) {
          this.lostAnswers++;
          throw new CairnError('CAIRN_ERR_TIMEOUT', 'lost before applying');
        }
        const answer = this.apply(request);
        if (transfer && roll < 0.2) {
          this.lostAnswers++;
          this.answerLost.add(requestId);
          throw new CairnError('CAIRN_ERR_TIMEOUT', 'lost after applying');
        }
        return answer;
      },
      txnOutcome: async (requestId: string) => {
        const lookup = lookUpTxnOutcome(this.store, requestId, 0);
        if (lookup.state === 'found') return txnAnswer(lookup.outcome);
        throw new CairnError('CAIRN_ERR_NOT_APPLIED', `no txn ${requestId}`);
      },
    };
    return fake as unknown as CairnClient;
  }
}

async function run(cluster: FakeCluster, injectBug?: string): Promise<string[]> {
  let operations = 0;
  const options = {
    clients: Array.from({ length: 5 }, () => cluster.client()),
    accounts: 4,
    openingBalance: 100,
    seed: 3,
    stopped: () => ++operations > 400,
    operationsPerClientMax: 200,
    injectBug,
  };
  const report = await runBankWorkload(options);
  assert.ok(report.transfers.length > 20, `transfers ran: ${report.transfers.length}`);
  return checkBank(cluster.client(), options, report);
}

test('a clean run: sums hold, every lost answer is resolved by its request id', async () => {
  const cluster = new FakeCluster();
  const problems = await run(cluster);
  assert.ok(cluster.lostAnswers > 0, 'answers were lost');
  assert.equal(problems, []);
});

test('the planted bug (the receiving compare left out) is caught', async () => {
  const problems = await run(new FakeCluster(), 'bank-skip-compare');
  assert.ok(problems.length > 0, 'lost updates break the sums');
  assert.match(problems.join('\n'), /summed to|final balances differ/);
});

test('a retry applied as a new txn (exactly once broken) is caught by the final balances', async () => {
  const cluster = new FakeCluster();
  cluster.applyTwice = true;
  const problems = await run(cluster);
  assert.match(problems.join('\n'), /summed to|final balances differ/);
});

test.run();
