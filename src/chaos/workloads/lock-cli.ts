// The lock workload's `cairn lock` holders: real CLI processes contend for one lock,
// each running a child that records its pid and, when it starts (just after its
// grant), whether the children of earlier grants are all dead. Some runs reach the
// cluster through a proxy that is cut while the child runs, so the CLI loses the lock
// while it keeps running and must kill its child's process group before anyone else
// can be granted the lock. The check: src/chaos/lock-check.ts (cliChildren).

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cairnCommandLine } from '../../cli/self-command.js';
import { CairnClient } from '../../client/index.js';
import { clusterStatus } from '../../client/lifecycle.js';
import { Prng } from '../../util/prng.js';
import type { CliChildReport } from '../lock-check.js';
import { LinkProxy } from '../proxy.js';

export interface LockCliOptions {
  readonly holders: number;
  readonly endpoints: readonly string[];
  readonly directory: string;
  readonly seed: number;
  readonly stopped: () => boolean;
  readonly runsPerHolderMax: number;
}

export interface LockCliReport {
  readonly exitCodes: Record<string, number>;
  cuts: number;
  /** The last stderr line of the first runs that exited neither 0, 75 nor 76. */
  readonly failures: string[];
}

export const cliLockName = 'chaos-lock-cli';
const childMarker = 'cairn-chaos-lock-child';
/** Far above a run's longest path (10 s wait, 10 s child, 5 s revoke, start-up). */
const cliTimeoutMilliseconds = 60_000;
const cutAfterMilliseconds = 300;
const failuresKeptMax = 3;
const childMilliseconds = 800;
const cutChildMilliseconds = 10_000;

// The child: checks that every earlier child (a pid file of the directory whose
// process still runs this script, not a zombie) is dead, records itself, then works
// for the given milliseconds. argv: marker, directory, run id (its <run id>.started says
// it runs), milliseconds.
const childScript = `
const fs = require('node:fs'); const path = require('node:path');
const [marker, dir, run, milliseconds] = process.argv.slice(1);
const alive = [];
for (const name of fs.readdirSync(dir)) {
  if (!name.endsWith('.pid')) continue;
  const pid = Number(name.slice(0, -4));
  if (pid === process.pid) continue;
  try {
    const state = fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0];
    const line = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
    if (state !== 'Z' && line.includes(marker)) alive.push(pid);
  } catch {}
}
fs.writeFileSync(path.join(dir, process.pid + '.report.json'), JSON.stringify({ pid: process.pid, aliveAtStart: alive }));
fs.writeFileSync(path.join(dir, process.pid + '.pid'), '');
fs.writeFileSync(path.join(dir, run + '.started'), String(process.pid));
setTimeout(() => process.exit(0), Number(milliseconds));
`;

export async function runLockCliHolders(options: LockCliOptions): Promise<LockCliReport> {
  mkdirSync(options.directory, { recursive: true });
  const report: LockCliReport = { exitCodes: {}, cuts: 0, failures: [] };
  const root = new Prng(options.seed * 104729 + 15);
  await Promise.all(
    Array.from({ length: options.holders }, (_, index) =>
      runHolder(index, root.fork(), options, report),
    ),
  );
  return report;
}

async function runHolder(
  index: number,
  prng: Prng,
  options: LockCliOptions,
  report: LockCliReport,
): Promise<void> {
  const status = new CairnClient({
    endpoints: options.endpoints.join(','),
    retryAttemptsMax: 1,
    requestTimeoutMilliseconds: 1_000,
  });
  try {
    await runHolderRuns(index, prng, options, report, status);
  } finally {
    await status.close();
  }
}

async function leaderAddress(client: CairnClient): Promise<string | undefined> {
  try {
    const status = await clusterStatus(client);
    return status.members.find((member) => member.id === status.leaderId)?.clientAddress;
  } catch {
    return undefined;
  }
}

async function runHolderRuns(
  index: number,
  prng: Prng,
  options: LockCliOptions,
  report: LockCliReport,
  status: CairnClient,
): Promise<void> {
  for (let run = 0; run < options.runsPerHolderMax && !options.stopped(); run++) {
    // Through the leader: the client sends writes to the leader it learns, which would
    // bypass a proxy in front of a follower. A leader change during the run can still.
    const fallback = options.endpoints[prng.nextIntegerInclusive(0, options.endpoints.length - 1)];
    const target = (await leaderAddress(status)) ?? (fallback as string);
    const [host, port] = target.split(':') as [string, string];
    const proxy = await LinkProxy.start(`cli${index}`, 'cluster', host, {
      host,
      port: Number(port),
    });
    const cut = prng.nextFloat() < 0.3;
    try {
      const code = await runOnce(proxy, cut, options, report);
      report.exitCodes[String(code)] = (report.exitCodes[String(code)] ?? 0) + 1;
    } finally {
      await proxy.close();
    }
  }
}

async function runOnce(
  proxy: LinkProxy,
  cut: boolean,
  options: LockCliOptions,
  report: LockCliReport,
): Promise<number | null> {
  const runId = randomUUID();
  const { command, args } = cairnCommandLine([
    'lock',
    cliLockName,
    '--ttl',
    '5s',
    '--timeout',
    '10s',
    '--',
    process.execPath,
    '-e',
    childScript,
    childMarker,
    options.directory,
    runId,
    // A run to be cut works long enough to lose the lock (TTL 5 s) while it runs.
    String(cut ? cutChildMilliseconds : childMilliseconds),
  ]);
  const child = spawn(command, args, {
    env: { ...process.env, CAIRN_ENDPOINTS: proxy.address, NO_COLOR: '1', CAIRN_FENCE: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-600);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  // A CLI that hangs is killed with its child's group (an orphaned child would outlive
  // the lock and fail the check for a reason that is not the CLI's loss handling).
  const killer = setTimeout(() => {
    report.failures.push(`a cairn lock run was killed after ${cliTimeoutMilliseconds} ms`);
    child.kill('SIGKILL');
    killGroupOf(join(options.directory, `${runId}.started`));
  }, cliTimeoutMilliseconds);
  let cutTimer: NodeJS.Timeout | undefined;
  if (cut)
    cutTimer = setInterval(() => {
      // Cut once this run's child has started (it holds the lock).
      if (!existsSync(join(options.directory, `${runId}.started`))) return;
      clearInterval(cutTimer);
      report.cuts++;
      setTimeout(() => proxy.setMode('blackhole'), cutAfterMilliseconds);
    }, 50);
  try {
    const code = await exited;
    if (code !== 0 && code !== 75 && code !== 76 && report.failures.length < failuresKeptMax)
      report.failures.push(`exit ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
    return code;
  } finally {
    clearTimeout(killer);
    clearInterval(cutTimer);
  }
}

function killGroupOf(startedFile: string): void {
  try {
    const pid = Number(readFileSync(startedFile, 'utf8'));
    if (Number.isSafeInteger(pid) && pid > 1) process.kill(-pid, 'SIGKILL');
  } catch {
    // Not started, or gone already.
  }
}

/** Every child's report (read after the run). */
export function readCliChildReports(directory: string): CliChildReport[] {
  const reports: CliChildReport[] = [];
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return reports;
  }
  for (const name of names.filter((entry) => entry.endsWith('.report.json'))) {
    const parsed = JSON.parse(readFileSync(join(directory, name), 'utf8')) as {
      pid: number;
      aliveAtStart: number[];
    };
    reports.push({ lock: cliLockName, pid: parsed.pid, aliveAtStart: parsed.aliveAtStart });
  }
  return reports;
}
