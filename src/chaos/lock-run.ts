// The lock workload inside a chaos run: its in-process clients and its `cairn lock`
// holders while the nemesis runs, then (after recovery) the final counters and the check.

import { join } from 'node:path';
import { CairnClient } from '../client/index.js';
import { limits } from '../util/limits.js';
import { errorText, type HistoryRecorder } from './history.js';
import { checkLocks } from './lock-check.js';
import {
  type LockCliReport,
  readCliChildReports,
  runLockCliHolders,
} from './workloads/lock-cli.js';
import {
  type LockWorkloadReport,
  readCount,
  runLockWorkload,
  workloadLockName,
} from './workloads/lock.js';

export const lockWorkloadClients = 6;
const lockCount = 2;
const cliHolders = 2;
const staleShare = 0.15;

export interface LockRunResult {
  readonly workload: LockWorkloadReport;
  readonly cli: LockCliReport;
}

export interface LockRunOptions {
  readonly clients: readonly CairnClient[];
  readonly endpoints: string;
  readonly directory: string;
  readonly seed: number;
  readonly recorder: HistoryRecorder;
  readonly stopped: () => boolean;
  readonly operationsPerClientMax: number;
}

export async function runLockPhase(options: LockRunOptions): Promise<LockRunResult> {
  const [workload, cli] = await Promise.all([
    runLockWorkload({
      clients: options.clients,
      locks: lockCount,
      seed: options.seed,
      recorder: options.recorder,
      stopped: options.stopped,
      operationsPerClientMax: options.operationsPerClientMax,
      ttlMilliseconds: limits.leaseTtlMillisecondsMin,
      staleShare,
    }),
    runLockCliHolders({
      holders: cliHolders,
      endpoints: options.endpoints.split(','),
      directory: cliDirectory(options.directory),
      seed: options.seed,
      stopped: options.stopped,
      runsPerHolderMax: 1_000,
    }),
  ]);
  return { workload, cli };
}

const cliDirectory = (directory: string): string => join(directory, 'lock-children');

/** After recovery: reads the counters and checks the run (its problems). */
export async function checkLockRun(
  endpoints: string,
  directory: string,
  result: LockRunResult | undefined,
  notes: string[],
): Promise<string[]> {
  if (result === undefined) return ['the lock workload did not finish'];
  const client = new CairnClient({
    endpoints,
    retryAttemptsMax: 3,
    requestTimeoutMilliseconds: 8_000,
  });
  const finalCounts = new Map<string, number | undefined>();
  const problems: string[] = [];
  try {
    for (let index = 0; index < lockCount; index++) {
      const lock = workloadLockName(index);
      try {
        finalCounts.set(lock, await readCount(client, lock));
      } catch (error) {
        finalCounts.set(lock, undefined);
        problems.push(`the counter of ${lock} could not be read: ${errorText(error)}`);
      }
    }
  } finally {
    await client.close();
  }
  const { workload, cli } = result;
  const cliChildren = readCliChildReports(cliDirectory(directory));
  problems.push(
    ...checkLocks({ holds: workload.holds, writes: workload.writes, finalCounts, cliChildren }),
  );
  const accepted = workload.writes.filter((write) => write.outcome === 'ok').length;
  const stale = workload.writes.filter((write) => write.stale);
  const staleFenced = stale.filter((write) => write.errorCode === 'CAIRN_ERR_FENCED').length;
  notes.push(
    `lock: ${workload.acquires.granted} grants (${workload.acquires.notGranted} not granted in time, ${workload.acquires.failed} failed requests), ${workload.holds.length} holds, ${accepted} of ${workload.writes.length} fenced increments accepted; ${stale.length} stale writes sent, ${staleFenced} refused FENCED; final counts ${[...finalCounts.values()].join(', ')}`,
  );
  notes.push(
    `lock: cairn lock ran ${cliChildren.length} children; exit codes ${JSON.stringify(cli.exitCodes)}; ${cli.cuts} runs had their connections cut${cli.failures.length > 0 ? `; failures: ${cli.failures.join(' | ')}` : ''}`,
  );
  return problems;
}
