// One chaos run: start a cluster behind the proxy mesh, run the workloads while the
// nemesis injects faults, heal everything, wait for recovery, read every key once
// more, check, and build the verdict. Keeps the run directory (history, fault log,
// node logs) when the run fails or when asked to.

import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkHistory, type CheckResult } from '../check/index.js';
import { CairnClient } from '../client/index.js';
import { assert } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { ChaosCluster, tmpfsAvailable, type ChaosClusterOptions } from './cluster.js';
import { measureAvailability } from './availability.js';
import { runFault } from './faults.js';
import { HistoryRecorder, errorText } from './history.js';
import { planFaults, type FaultKind } from './nemesis.js';
import { checkObjects, type FinalRead, type ObjectProblem } from './objects-check.js';
import { checkLockRun, lockWorkloadClients, type LockRunResult, runLockPhase } from './lock-run.js';
import { type BankReport, checkBank, runBankWorkload } from './workloads/bank.js';
import { objectKey, readObject, runObjectsWorkload } from './workloads/objects.js';
import { readRegister, registerKey, runRegisterWorkload } from './workloads/register.js';
import { checkWatchers, runWatchWorkload, type WatchWorkloadResult } from './workloads/watch.js';
import { buildVerdict, type Verdict } from './verdict.js';

export type WorkloadName = 'register' | 'objects' | 'mixed' | 'bank' | 'watch' | 'lock';

/** A planted bug of the watch workload's consumers (client side: the nodes run clean). */
export const watchDropOnResumeBug = 'watch-drop-on-resume';
const watchWriters = 2;
const watchWatchers = 4;

export interface ChaosOptions {
  readonly nodes: number;
  readonly durationMilliseconds: number;
  readonly seed: number;
  readonly faults: readonly FaultKind[];
  readonly workload: WorkloadName;
  readonly keep: boolean;
  /** The run directory; a fresh temporary one when undefined. */
  readonly directory?: string | undefined;
  /** TEST ONLY: CAIRN_TEST_INJECT_BUG for every node. */
  readonly injectBug?: string | undefined;
  readonly objectBytesMax?: number;
  readonly registerClients?: number;
  readonly objectClients?: number;
  readonly onProgress?: (progress: ChaosProgress) => void;
  /** Ends the fault phase early (Ctrl-C): the run still heals, checks and cleans up. */
  readonly signal?: AbortSignal;
}

export interface ChaosProgress {
  readonly phase: 'starting' | 'running' | 'healing' | 'checking';
  readonly elapsedMilliseconds: number;
  readonly operations: { ok: number; failed: number; unknown: number };
  readonly faults: number;
  readonly currentFault: string;
}

const registerKeys = 5;
const bankAccounts = 8;
const bankOpeningBalance = 100;
const bankClients = 5;
const objectKeysMax = 300;
const spareNodes = 2;
const clientRequestTimeoutMilliseconds = 4_000;
const clientAttemptsMax = 4;
const operationsPerClientMax = 1_000_000;
const progressIntervalMilliseconds = 500;

export async function runChaos(options: ChaosOptions): Promise<Verdict> {
  assert(
    options.nodes >= 3 && options.nodes <= limits.chaosNodesMax,
    `--nodes must be between 3 and ${limits.chaosNodesMax}`,
  );
  assert(
    options.durationMilliseconds > 0 &&
      options.durationMilliseconds <= limits.chaosDurationMillisecondsMax,
    'duration is bounded',
  );
  const directory = resolve(
    options.directory ?? mkdtempSync(join(tmpdir(), `cairn-chaos-${options.seed}-`)),
  );
  mkdirSync(directory, { recursive: true });
  const notes: string[] = [];
  const wantsDisk = options.faults.includes('disk');
  const useTmpfs = wantsDisk && tmpfsAvailable(directory);
  if (wantsDisk && !useTmpfs)
    notes.push(
      'disk-full fault skipped: mounting a tmpfs needs root (chunk corruption and deletion still run)',
    );
  const recorder = new HistoryRecorder(
    join(directory, 'history.jsonl'),
    join(directory, 'faults.jsonl'),
  );
  const progress = progressReporter(options, recorder);
  progress.phase = 'starting';
  const cluster = await createCluster(
    {
      directory,
      nodes: options.nodes,
      spareNodes: options.faults.includes('membership') ? spareNodes : 0,
      useTmpfs,
      // Planted bugs of the bank and watch workloads live in the clients, not in the nodes.
      injectBug:
        options.injectBug === 'bank-skip-compare' || options.injectBug === watchDropOnResumeBug
          ? undefined
          : options.injectBug,
      host: '127.0.0.1',
    },
    recorder,
  );
  let verdict: Verdict | undefined;
  try {
    verdict = await runAndCheck(options, cluster, recorder, progress, notes, directory);
    return verdict;
  } finally {
    progress.stop();
    await recorder.close();
    // A node that exited on its own left its reason in its log: keep that too.
    const crashed = cluster.nodes.some((node) => node.unexpectedExits.length > 0);
    const keep = options.keep || verdict === undefined || !verdict.ok || crashed;
    await cluster.destroy(keep);
    if (!keep) rmSync(directory, { recursive: true, force: true });
  }
}

async function runAndCheck(
  options: ChaosOptions,
  cluster: ChaosCluster,
  recorder: HistoryRecorder,
  progress: ProgressState,
  notes: string[],
  directory: string,
): Promise<Verdict> {
  const startedAt = performance.now();
  const stop = new AbortController();
  const stopped = (): boolean => stop.signal.aborted;
  const status = await cluster.status();
  const replicationFactor = Math.min(limits.replicationFactorDefault, options.nodes);
  recorder.note('cluster-ready', {
    leader: status.leaderId,
    members: cluster.members(),
    replicationFactor,
  });
  progress.phase = 'running';
  const clients = makeClients(cluster.initialEndpoints(), options);
  const bank = options.workload === 'bank' ? runBank(options, clients.bank, stopped) : undefined;
  const watchRun =
    options.workload === 'watch'
      ? runWatchWorkload({
          writers: clients.watchWriters,
          endpoints: cluster.initialEndpoints(),
          watchers: watchWatchers,
          seed: options.seed,
          recorder,
          stopped,
          dropOnResume: options.injectBug === watchDropOnResumeBug,
        })
      : Promise.resolve(undefined);
  const lockRun: Promise<LockRunResult | undefined> =
    options.workload === 'lock'
      ? runLockPhase({
          clients: clients.lock,
          endpoints: cluster.initialEndpoints(),
          directory,
          seed: options.seed,
          recorder,
          stopped,
          operationsPerClientMax,
        })
      : Promise.resolve(undefined);
  const workloads = runWorkloads(options, clients, recorder, stopped);
  const nemesis = runNemesis(options, cluster, recorder, progress, stop.signal, replicationFactor);
  const interrupt = (): void => stop.abort();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  await sleepUntil(options.durationMilliseconds, stop.signal);
  stop.abort();
  options.signal?.removeEventListener('abort', interrupt);
  if (options.signal?.aborted === true) notes.push('interrupted: the fault phase ended early');
  await nemesis;
  const objectKeys = await workloads;
  const bankReport = await bank;
  const lockResult = await lockRun.catch((error: unknown) => {
    notes.push(`the lock workload failed: ${errorText(error)}`);
    return undefined;
  });
  const watchResult = await watchRun.catch((error: unknown) => {
    notes.push(`the watch workload failed: ${errorText(error)}`);
    return undefined;
  });
  if (watchResult !== undefined) {
    const events = watchResult.watchers.reduce((sum, watcher) => sum + watcher.events.length, 0);
    const sessions = watchResult.watchers.reduce((sum, watcher) => sum + watcher.sessions, 0);
    notes.push(
      `watch: ${watchResult.acknowledged.length} acknowledged writes; ${watchResult.watchers.length} watchers received ${events} events over ${sessions} sessions`,
    );
  }
  await Promise.all(clients.all.map((client) => client.close()));
  progress.phase = 'healing';
  progress.currentFault = '';
  const recoveryProblem = await healAndRecover(cluster, recorder);
  progress.phase = 'checking';
  const { finalReads, unreadableKeys } = await readEverything(
    cluster,
    options,
    recorder,
    objectKeys,
  );
  for (const node of cluster.nodes) {
    if (node.unexpectedExits.length > 0)
      notes.push(
        `${node.name} exited on its own ${node.unexpectedExits.length} time(s) (${node.unexpectedExits.join(', ')}); see ${node.logFile}`,
      );
  }
  const registerCheck: CheckResult | null =
    options.workload === 'objects' ||
    options.workload === 'bank' ||
    options.workload === 'watch' ||
    options.workload === 'lock'
      ? null
      : checkHistory(recorder.registerOperations);
  const objectProblems: ObjectProblem[] =
    options.workload === 'register' ||
    options.workload === 'bank' ||
    options.workload === 'watch' ||
    options.workload === 'lock'
      ? []
      : [...checkObjects(recorder.objectOperations, finalReads).problems];
  const bankProblems =
    bankReport === undefined ? [] : await checkBankAfterRecovery(cluster, bankReport, notes);
  const watchProblems = options.workload === 'watch' ? await watchCheck(cluster, watchResult) : [];
  const lockProblems =
    options.workload === 'lock'
      ? await checkLockRun(cluster.memberEndpoints(), directory, lockResult, notes)
      : [];
  const problem =
    recoveryProblem !== ''
      ? recoveryProblem
      : unreadableKeys.length > 0
        ? `after recovery these register keys could not be read: ${unreadableKeys.join('; ')}`
        : '';
  const provisional = buildVerdict({
    settings: {
      seed: options.seed,
      nodes: options.nodes,
      durationMilliseconds: options.durationMilliseconds,
      faults: options.faults,
      workload: options.workload,
      injectBug: options.injectBug,
    },
    elapsedMilliseconds: performance.now() - startedAt,
    counts: recorder.counts,
    faults: recorder.faults,
    registerCheck,
    objectProblems,
    bankProblems,
    lockProblems,
    watchProblems,
    recoveryProblem: problem,
    // The nemesis runs one fault at a time and never takes a majority down or apart
    // (kill, pause and disk faults hit one node; partitions cut off a minority), so
    // every operation counts: no degraded intervals.
    availability: measureAvailability(recorder.samples, []),
    notes,
    runDirectory: null,
  });
  const crashed = cluster.nodes.some((node) => node.unexpectedExits.length > 0);
  return provisional.ok && !options.keep && !crashed
    ? provisional
    : { ...provisional, runDirectory: directory };
}

const clusterStartAttemptsMax = 3;

/** Starts the cluster, again in a fresh subdirectory if a start fails (a port taken meanwhile by another process). */
async function createCluster(
  options: ChaosClusterOptions,
  recorder: HistoryRecorder,
): Promise<ChaosCluster> {
  for (let attempt = 1; ; attempt++) {
    const directory =
      attempt === 1 ? options.directory : join(options.directory, `start-${attempt}`);
    try {
      return await ChaosCluster.create({ ...options, directory });
    } catch (error) {
      recorder.note('cluster-start-failed', { attempt, error: errorText(error) });
      if (attempt >= clusterStartAttemptsMax) throw error;
    }
  }
}

/** The bank workload (issue 16); an error opening the accounts is a problem of the run. */
async function runBank(
  options: ChaosOptions,
  clients: CairnClient[],
  stopped: () => boolean,
): Promise<BankReport> {
  try {
    return await runBankWorkload({
      clients,
      accounts: bankAccounts,
      openingBalance: bankOpeningBalance,
      seed: options.seed,
      stopped,
      operationsPerClientMax,
      injectBug: options.injectBug,
    });
  } catch (error) {
    return {
      transfers: [],
      reads: 0,
      badReads: 0,
      problems: [`the bank did not open: ${errorText(error)}`],
    };
  }
}

async function checkBankAfterRecovery(
  cluster: ChaosCluster,
  report: BankReport,
  notes: string[],
): Promise<string[]> {
  const client = new CairnClient({
    endpoints: cluster.memberEndpoints(),
    retryAttemptsMax: 3,
    requestTimeoutMilliseconds: 8_000,
  });
  try {
    const problems = await checkBank(
      client,
      { accounts: bankAccounts, openingBalance: bankOpeningBalance },
      report,
    );
    const applied = report.transfers.filter((transfer) => transfer.applied === true).length;
    notes.push(
      `bank: ${report.reads} reads of all accounts, ${report.transfers.length} transfers (${applied} applied)`,
    );
    return problems;
  } finally {
    await client.close();
  }
}

interface Clients {
  readonly register: CairnClient[];
  readonly objects: CairnClient[];
  readonly bank: CairnClient[];
  readonly watchWriters: CairnClient[];
  readonly lock: CairnClient[];
  readonly all: CairnClient[];
}

/** The watch workload's check after recovery (its problems; one if it could not run). */
async function watchCheck(
  cluster: ChaosCluster,
  result: WatchWorkloadResult | undefined,
): Promise<string[]> {
  if (result === undefined) return ['the watch workload did not finish'];
  const client = new CairnClient({
    endpoints: cluster.memberEndpoints(),
    retryAttemptsMax: 3,
    requestTimeoutMilliseconds: 8_000,
  });
  try {
    return await checkWatchers(client, result);
  } catch (error) {
    return [`the committed history could not be read: ${errorText(error)}`];
  } finally {
    await client.close();
  }
}

function makeClients(endpoints: string, options: ChaosOptions): Clients {
  const make = (): CairnClient =>
    new CairnClient({
      endpoints,
      retryAttemptsMax: clientAttemptsMax,
      requestTimeoutMilliseconds: clientRequestTimeoutMilliseconds,
      policy: 'random',
    });
  const watch = options.workload === 'watch';
  const lock = options.workload === 'lock';
  const registerCount =
    options.workload === 'objects' || options.workload === 'bank' || watch || lock
      ? 0
      : (options.registerClients ?? (options.workload === 'mixed' ? 3 : 5));
  const objectCount =
    options.workload === 'register' || options.workload === 'bank' || watch || lock
      ? 0
      : (options.objectClients ?? 2);
  const register = Array.from({ length: registerCount }, make);
  const objects = Array.from({ length: objectCount }, make);
  const bank = Array.from({ length: options.workload === 'bank' ? bankClients : 0 }, make);
  const watchWriterClients = Array.from({ length: watch ? watchWriters : 0 }, make);
  const lockClients = Array.from({ length: lock ? lockWorkloadClients : 0 }, make);
  return {
    register,
    objects,
    bank,
    watchWriters: watchWriterClients,
    lock: lockClients,
    all: [...register, ...objects, ...bank, ...watchWriterClients, ...lockClients],
  };
}

/** Runs both workloads until stopped; returns the number of object keys used. */
async function runWorkloads(
  options: ChaosOptions,
  clients: Clients,
  recorder: HistoryRecorder,
  stopped: () => boolean,
): Promise<number> {
  const [, objectKeys] = await Promise.all([
    runRegisterWorkload({
      clients: clients.register,
      keys: registerKeys,
      seed: options.seed,
      recorder,
      stopped,
      operationsPerClientMax,
    }),
    runObjectsWorkload({
      clients: clients.objects,
      keys: objectKeysMax,
      seed: options.seed,
      objectBytesMin: 1024,
      objectBytesMax: options.objectBytesMax ?? limits.chaosObjectBytesMax,
      recorder,
      stopped,
      operationsPerClientMax,
    }),
  ]);
  return objectKeys;
}

async function runNemesis(
  options: ChaosOptions,
  cluster: ChaosCluster,
  recorder: HistoryRecorder,
  progress: ProgressState,
  signal: AbortSignal,
  replicationFactor: number,
): Promise<void> {
  const plan = planFaults({
    seed: options.seed,
    kinds: options.faults,
    durationMilliseconds: options.durationMilliseconds,
  });
  const sleep = (milliseconds: number): Promise<void> => sleepUntil(milliseconds, signal);
  for (const fault of plan) {
    await sleep(fault.gapMilliseconds);
    if (signal.aborted) return;
    progress.currentFault = `${fault.kind} #${fault.index}`;
    try {
      await runFault(fault, { cluster, recorder, replicationFactor, sleep });
    } catch (error) {
      recorder.note('fault-error', {
        index: fault.index,
        kind: fault.kind,
        error: errorText(error),
      });
    }
    cluster.mesh.healAll();
    progress.faults++;
    progress.currentFault = '';
  }
}

/** Heals every fault and waits (bounded) until the members agree on a leader and serve a linearizable read. */
async function healAndRecover(cluster: ChaosCluster, recorder: HistoryRecorder): Promise<string> {
  cluster.mesh.healAll();
  for (const node of cluster.nodes) cluster.freeDisk(node.name);
  try {
    await cluster.reviveAll();
  } catch (error) {
    return `a node did not restart: ${errorText(error)}`;
  }
  recorder.note('healed');
  const deadline = performance.now() + limits.chaosRecoveryMillisecondsMax;
  let lastError = '';
  for (let attempt = 0; attempt < 10_000 && performance.now() < deadline; attempt++) {
    try {
      // A member that died on its own after the heal (a fatal error) is started again.
      const restarted = await cluster.reviveAll();
      if (restarted.length > 0) recorder.note('restarted-during-recovery', { nodes: restarted });
      const status = await cluster.status();
      const leader = status.members.find((member) => member.id === status.leaderId);
      if (leader !== undefined && status.members.every((member) => member.role !== 'unreachable')) {
        recorder.note('recovered', { leader: status.leaderId });
        return '';
      }
      lastError = `leader ${status.leaderId ?? 'none'}; members ${status.members.map((member) => `${member.id}:${member.role}`).join(' ')}`;
    } catch (error) {
      lastError = errorText(error);
    }
    await sleepUntil(200, undefined);
  }
  return `the healed cluster did not recover within ${limits.chaosRecoveryMillisecondsMax} ms: ${lastError}`;
}

/** One more read of every key after recovery: the register reads join the history, the object reads are checked. */
async function readEverything(
  cluster: ChaosCluster,
  options: ChaosOptions,
  recorder: HistoryRecorder,
  objectKeys: number,
): Promise<{ finalReads: FinalRead[]; unreadableKeys: string[] }> {
  const client = new CairnClient({
    endpoints: cluster.memberEndpoints(),
    retryAttemptsMax: 3,
    requestTimeoutMilliseconds: 8_000,
  });
  const finalReads: FinalRead[] = [];
  const unreadableKeys: string[] = [];
  try {
    if (
      options.workload !== 'objects' &&
      options.workload !== 'bank' &&
      options.workload !== 'watch' &&
      options.workload !== 'lock'
    ) {
      for (let index = 0; index < registerKeys; index++) {
        const key = registerKey(index);
        const invokedAt = recorder.now();
        const read = await retried(() => readRegister(client, key));
        if (read.ok)
          recorder.recordRegister({
            clientId: -1,
            kind: 'get',
            key,
            input: {},
            invokedAt,
            completedAt: recorder.now(),
            outcome: 'ok',
            output: { value: read.value.value },
          });
        else unreadableKeys.push(`${key} (${read.error})`);
      }
    }
    if (
      options.workload !== 'register' &&
      options.workload !== 'bank' &&
      options.workload !== 'lock'
    ) {
      for (let index = 0; index < objectKeys; index++) {
        const key = objectKey(index);
        const read = await retried(() => readObject(client, key));
        finalReads.push(
          read.ok
            ? { key, sha256: read.value.sha256 }
            : { key, sha256: undefined, error: read.error },
        );
      }
    }
  } finally {
    await client.close();
  }
  return { finalReads, unreadableKeys };
}

const finalReadAttemptsMax = 3;

async function retried<T>(
  read: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let error = '';
  for (let attempt = 0; attempt < finalReadAttemptsMax; attempt++) {
    try {
      return { ok: true, value: await read() };
    } catch (caught) {
      error = errorText(caught);
      // A corrupted object stays corrupted: no point in asking again.
      if (error.startsWith('CAIRN_ERR_CORRUPTION')) break;
    }
    await sleepUntil(500, undefined);
  }
  return { ok: false, error };
}

function sleepUntil(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal?.aborted === true) return resolveSleep();
    const timer = setTimeout(done, milliseconds);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface ProgressState {
  phase: ChaosProgress['phase'];
  faults: number;
  currentFault: string;
  stop(): void;
}

function progressReporter(options: ChaosOptions, recorder: HistoryRecorder): ProgressState {
  const startedAt = performance.now();
  const state: ProgressState = {
    phase: 'starting',
    faults: 0,
    currentFault: '',
    stop: () => clearInterval(timer),
  };
  const report = (): void =>
    options.onProgress?.({
      phase: state.phase,
      elapsedMilliseconds: performance.now() - startedAt,
      operations: { ...recorder.counts },
      faults: state.faults,
      currentFault: state.currentFault,
    });
  const timer = setInterval(report, progressIntervalMilliseconds);
  timer.unref();
  return state;
}
