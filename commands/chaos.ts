import { Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { durationFlag, sizeFlag } from '../src/cli/flags.js';
import { formatDuration } from '../src/util/units.js';
import { limits } from '../src/util/limits.js';
import { parseFaultKinds } from '../src/chaos/nemesis.js';
import { runChaos, type ChaosProgress, type WorkloadName } from '../src/chaos/runner.js';
import { renderVerdict, type Verdict } from '../src/chaos/verdict.js';

export default class Chaos extends CairnCommand {
  static override summary =
    'Fault-test a local cluster of real nodes and check every history (Jepsen-style).';
  static override description =
    'Starts a local cluster of `cairn serve` processes whose peer links run through fault-injecting proxies, runs concurrent clients while a seeded nemesis kills, pauses, partitions, changes membership and damages disks, heals everything, waits for recovery and checks: register histories for linearizability, objects for durability and integrity. Exit code 0 only when everything checks. The same seed gives the same fault schedule.';
  static override examples = [
    {
      description: 'A minute of every fault on 5 nodes',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Replay a seed with partitions only',
      command: '<%= config.bin %> <%= command.id %> --seed 42 --faults partition --duration 30s',
    },
    {
      description: 'Objects only, keep the run directory',
      command: '<%= config.bin %> <%= command.id %> --workload objects --keep --dir /tmp/chaos-run',
    },
  ];
  static override flags = {
    nodes: Flags.integer({
      description: 'voters at the start (3 to 9)',
      default: 5,
      min: 3,
      max: 9,
    }),
    duration: durationFlag({
      description: 'how long faults and clients run',
      fallback: '60s',
      minimumMilliseconds: 1,
      maximumMilliseconds: limits.chaosDurationMillisecondsMax,
    }),
    seed: Flags.integer({
      description: 'seed of the fault schedule and the workloads (default: random)',
      min: 0,
      max: 0xffff_ffff,
    }),
    faults: Flags.string({
      description: 'comma-separated faults: kill,pause,partition,membership,disk (or all, none)',
      default: 'kill,pause,partition,membership,disk',
    }),
    workload: Flags.option({
      options: ['register', 'objects', 'mixed', 'bank', 'watch', 'lock'] as const,
      description:
        'register (linearizability), objects (durability, integrity), both (mixed), bank (txn transfers: sums, exactly once), watch (watchers resumed under faults see the committed history exactly), or lock (contended locks, fenced counters, cairn lock children)',
      default: 'mixed' as const,
    })(),
    keep: Flags.boolean({
      description:
        'keep the run directory (history, fault log, node logs) even when the run passes',
      default: false,
    }),
    dir: Flags.string({
      description: 'run directory (default: a fresh one under the system temporary directory)',
    }),
    'object-size-max': sizeFlag({
      description: 'largest object the objects workload writes',
      fallback: '8MiB',
      minimumBytes: 1024,
      maximumBytes: 8 * 1024 * 1024,
    }),
    'inject-bug': Flags.option({
      options: [
        'stale-reads',
        'early-put-ack',
        'bank-skip-compare',
        'watch-drop-on-resume',
        'wait-all-copies',
        'fence-unchecked',
      ] as const,
      description:
        'TEST ONLY: start every node with CAIRN_TEST_INJECT_BUG (a known bug chaos must catch); watch-drop-on-resume: the watch workload drops an event on each resumption; wait-all-copies: large puts wait for all R copies again (availability must drop); fence-unchecked: fenced writes apply without the lock check',
      hidden: true,
    })(),
  };

  async run(): Promise<Verdict> {
    const { flags } = await this.parse(Chaos);
    const seed = flags.seed ?? Math.floor(Math.random() * 0xffff_ffff);
    const durationMilliseconds = flags.duration;
    const faults = parseFaultKinds(flags.faults);
    const progress = process.stderr.isTTY === true && !this.jsonEnabled();
    if (!this.jsonEnabled())
      this.log(
        `cairn chaos: seed ${seed}, ${flags.nodes} nodes, ${formatDuration(durationMilliseconds)}, faults ${flags.faults}, workload ${flags.workload}`,
      );
    // Ctrl-C ends the fault phase; the run still heals, checks and stops every node.
    const interrupt = new AbortController();
    const onSignal = (): void => interrupt.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const verdict = await runChaos({
      signal: interrupt.signal,
      nodes: flags.nodes,
      durationMilliseconds,
      seed,
      faults,
      workload: flags.workload as WorkloadName,
      keep: flags.keep,
      directory: flags.dir,
      injectBug: flags['inject-bug'],
      objectBytesMax: flags['object-size-max'],
      ...(progress ? { onProgress: drawProgress } : {}),
    });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (progress) process.stderr.write('\r\u001b[K');
    if (verdict.ok) {
      if (!this.jsonEnabled()) this.log(renderVerdict(verdict));
      return verdict;
    }
    // A failed run prints its verdict too, then exits 1.
    if (this.jsonEnabled()) this.logJson(verdict);
    else this.log(renderVerdict(verdict));
    this.exit(1);
  }
}

function drawProgress(state: ChaosProgress): void {
  const operations = state.operations;
  const line = `${state.phase} ${(state.elapsedMilliseconds / 1000).toFixed(0)} s  ops ${operations.ok} ok ${operations.failed} failed ${operations.unknown} unknown  faults ${state.faults}${state.currentFault === '' ? '' : `  now: ${state.currentFault}`}`;
  process.stderr.write(`\r\u001b[K${line}`);
}
