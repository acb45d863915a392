// The bank workload (issue 16): N accounts opened with one txn; concurrent clients
// move money between two accounts with txns that compare both versions, and read all
// accounts in one txn. Checked: every read sums to the opening total; every transfer
// whose outcome was unknown (a timeout, a lost connection) is resolved by its request
// id; the final balances are the opening ones plus exactly the applied transfers (a
// transfer applied twice, or one reported applied that was not, shows there). The
// planted bug `bank-skip-compare` leaves out the compare on the receiving account: lost
// updates then break the sums, and the check must say so.

import type { TxnAnswer } from '../../api/index.js';
import type { CairnClient } from '../../client/index.js';
import { assert } from '../../util/assert.js';
import { CairnError } from '../../util/errors.js';
import { Prng } from '../../util/prng.js';
import { errorText } from '../history.js';

export interface BankWorkloadOptions {
  readonly clients: readonly CairnClient[];
  readonly accounts: number;
  readonly openingBalance: number;
  readonly seed: number;
  readonly stopped: () => boolean;
  readonly operationsPerClientMax: number;
  /** TEST ONLY: `bank-skip-compare` plants the bug the check must catch. */
  readonly injectBug?: string | undefined;
}

export interface BankTransfer {
  readonly requestId: string;
  readonly from: number;
  readonly to: number;
  readonly amount: number;
  /** true applied, false not applied, undefined unknown until resolved. */
  applied: boolean | undefined;
}

export interface BankReport {
  readonly transfers: BankTransfer[];
  reads: number;
  /** Reads whose sum was wrong; the first badReadsReportedMax are described. */
  badReads: number;
  readonly problems: string[];
}

export const bankPrefix = 'chaos/bank/';
const accountKey = (index: number): string => `${bankPrefix}${String(index).padStart(4, '0')}`;
const readShare = 0.3;
const settleAttemptsMax = 3;
const badReadsReportedMax = 3;

function balanceOf(result: TxnAnswer['results'][number] | undefined, key: string): number {
  const object = (result as { object?: { valueText?: string } } | undefined)?.object;
  const text = object?.valueText;
  if (text === undefined) throw new Error(`account ${key} has no balance`);
  return Number(text);
}

function versionOf(result: TxnAnswer['results'][number] | undefined): number {
  const object = (result as { object?: { version?: number } } | undefined)?.object;
  return object?.version ?? 0;
}

/** Opens the accounts in one txn (compares: all absent); retried until settled. */
export async function openAccounts(
  client: CairnClient,
  options: BankWorkloadOptions,
): Promise<void> {
  const requestId = `bank-open-${options.seed}`;
  const indexes = Array.from({ length: options.accounts }, (_, index) => index);
  const request = {
    requestId,
    compare: indexes.map((index) => ({
      key: accountKey(index),
      target: 'exists' as const,
      operator: '=' as const,
      value: false,
    })),
    success: indexes.map((index) => ({
      type: 'put' as const,
      key: accountKey(index),
      value: new TextEncoder().encode(String(options.openingBalance)),
    })),
    failure: [],
  };
  const answer = await client.txn(request);
  if (!answer.succeeded) throw new Error('the bank accounts existed before the run');
}

/** Reads every account in one txn: [balances, versions]. */
async function readAll(
  client: CairnClient,
  accounts: number,
): Promise<{ balances: number[]; versions: number[] }> {
  const keys = Array.from({ length: accounts }, (_, index) => accountKey(index));
  const answer = await client.txn({
    requestId: '',
    compare: [],
    success: keys.map((key) => ({ type: 'get' as const, key })),
    failure: [],
  });
  return {
    balances: keys.map((key, index) => balanceOf(answer.results[index], key)),
    versions: answer.results.map(versionOf),
  };
}

export async function runBankWorkload(options: BankWorkloadOptions): Promise<BankReport> {
  assert(options.accounts >= 2 && options.accounts <= 1000, 'the bank has 2 to 1000 accounts');
  const report: BankReport = { transfers: [], reads: 0, badReads: 0, problems: [] };
  const first = options.clients[0];
  if (first === undefined) return report;
  await openAccounts(first, options);
  const total = options.accounts * options.openingBalance;
  await Promise.all(
    options.clients.map((client, clientId) => runClient(client, clientId, options, report, total)),
  );
  return report;
}

async function runClient(
  client: CairnClient,
  clientId: number,
  options: BankWorkloadOptions,
  report: BankReport,
  total: number,
): Promise<void> {
  const prng = new Prng(options.seed * 131 + clientId);
  for (let operation = 0; operation < options.operationsPerClientMax; operation++) {
    if (options.stopped()) return;
    try {
      const state = await readAll(client, options.accounts);
      report.reads++;
      const sum = state.balances.reduce((left, right) => left + right, 0);
      if (sum !== total) report.badReads++;
      if (sum !== total && report.badReads <= badReadsReportedMax)
        report.problems.push(
          `a read of all accounts summed to ${sum}, the opening total is ${total} (balances ${state.balances.join(' ')})`,
        );
      if (prng.nextFloat() < readShare) continue;
      await transfer(
        client,
        `bank-${options.seed}-${clientId}-${operation}`,
        state,
        prng,
        options,
        report,
      );
    } catch {
      // A read that failed under a fault: nothing to check; the next loop reads again.
    }
  }
}

async function transfer(
  client: CairnClient,
  requestId: string,
  state: { balances: number[]; versions: number[] },
  prng: Prng,
  options: BankWorkloadOptions,
  report: BankReport,
): Promise<void> {
  const from = prng.nextIntegerInclusive(0, options.accounts - 1);
  const to = (from + prng.nextIntegerInclusive(1, options.accounts - 1)) % options.accounts;
  const fromBalance = state.balances[from] as number;
  if (fromBalance <= 0) return;
  const amount = prng.nextIntegerInclusive(1, fromBalance);
  const toBalance = state.balances[to] as number;
  const compare = [
    {
      key: accountKey(from),
      target: 'version' as const,
      operator: '=' as const,
      value: state.versions[from] as number,
    },
    {
      key: accountKey(to),
      target: 'version' as const,
      operator: '=' as const,
      value: state.versions[to] as number,
    },
  ];
  const encode = (value: number) => new TextEncoder().encode(String(value));
  const request = {
    requestId,
    compare: options.injectBug === 'bank-skip-compare' ? compare.slice(0, 1) : compare,
    success: [
      { type: 'put' as const, key: accountKey(from), value: encode(fromBalance - amount) },
      { type: 'put' as const, key: accountKey(to), value: encode(toBalance + amount) },
    ],
    failure: [],
  };
  const record: BankTransfer = { requestId, from, to, amount, applied: undefined };
  report.transfers.push(record);
  // Resending the same request id is safe (exactly once): it applies or answers the
  // first outcome. Not applied only when every attempt surely failed.
  let unknownSeen = false;
  for (let attempt = 0; attempt < settleAttemptsMax; attempt++) {
    try {
      const answer = await client.txn(request);
      record.applied = answer.succeeded;
      return;
    } catch (error) {
      const surelyFailed = error instanceof CairnError && error.details['outcome'] === 'failed';
      if (!surelyFailed) unknownSeen = true;
      if (surelyFailed && !unknownSeen) {
        record.applied = false;
        return;
      }
    }
  }
}

/**
 * After the run (cluster healed): resolves every unknown transfer by its request id,
 * then checks the final balances against the applied transfers.
 */
export async function checkBank(
  client: CairnClient,
  options: Pick<BankWorkloadOptions, 'accounts' | 'openingBalance'>,
  report: BankReport,
): Promise<string[]> {
  const problems = [...report.problems];
  if (report.badReads > badReadsReportedMax)
    problems.push(`${report.badReads} of ${report.reads} reads of all accounts had a wrong sum`);
  if (report.transfers.length === 0 && report.reads === 0) return problems;
  for (const transfer of report.transfers) {
    if (transfer.applied !== undefined) continue;
    try {
      const outcome = await client.txnOutcome(transfer.requestId);
      transfer.applied = outcome.succeeded;
    } catch (error) {
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_APPLIED')
        transfer.applied = false;
      else
        problems.push(`transfer ${transfer.requestId} could not be resolved: ${errorText(error)}`);
    }
  }
  const expected = Array.from({ length: options.accounts }, () => options.openingBalance);
  for (const transfer of report.transfers) {
    if (transfer.applied !== true) continue;
    expected[transfer.from] = (expected[transfer.from] as number) - transfer.amount;
    expected[transfer.to] = (expected[transfer.to] as number) + transfer.amount;
  }
  try {
    const final = await readAll(client, options.accounts);
    const differing = final.balances
      .map((balance, index) => ({ balance, index, wanted: expected[index] as number }))
      .filter((account) => account.balance !== account.wanted);
    if (differing.length > 0)
      problems.push(
        `final balances differ from the opening ones plus the applied transfers: ${differing
          .slice(0, 5)
          .map(
            (account) =>
              `${accountKey(account.index)} ${account.balance} (expected ${account.wanted})`,
          )
          .join(', ')}`,
      );
  } catch (error) {
    problems.push(`the final read of the accounts failed: ${errorText(error)}`);
  }
  return problems;
}
