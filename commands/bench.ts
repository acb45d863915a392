import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import {
  consistencyFlag,
  durationFlag,
  endpointsFlag,
  tlsFlags,
  tokenFlags,
  policyFlag,
  sizeFlag,
} from '../src/cli/flags.js';
import { ProgressLine } from '../src/cli/progress.js';
import {
  type BenchReport,
  CairnTarget,
  errorRows,
  errorsHead,
  keyDistributionNames,
  type LocalCluster,
  parseSizeRange,
  phaseReport,
  runWorkload,
  startLocalCluster,
  summaryLine,
  throughputHead,
  throughputRows,
  workloadNames,
} from '../src/bench/index.js';
import { tokenOf } from '../src/cli/token.js';
import { CairnClient } from '../src/client/index.js';
import { InvalidArgumentError } from '../src/util/errors.js';
import { limits } from '../src/util/limits.js';

/** How long each measured phase runs without --duration or --ops. */
const benchDurationMillisecondsDefault = 10_000;

export default class Bench extends CairnCommand {
  static override summary =
    'Measure a cluster: throughput and latency percentiles of puts, gets, mixed load or large objects.';
  static override description =
    "Runs a workload from --clients concurrent clients for --duration (or --ops operations) and prints, per operation, ops/s, MiB/s and latency p50/p90/p99/p99.9/max (HdrHistogram) with errors by code. Closed loop by default (each client starts its next operation when the last ends); --rate runs open loop at a fixed arrival rate and measures latency from each operation's intended start, so stalls are not hidden (no coordinated omission). get and mixed first write every key once (not measured). objects puts objects of log-uniform sizes within --sizes, then reads back those it wrote. --local N starts a throwaway N-node cluster in a temporary directory and stops it afterwards. Sizes take B, KiB, MiB, GiB (powers of 1024) and KB, MB, GB (powers of 1000).";
  static override examples = [
    {
      description: 'Small puts against a local 3-node cluster',
      command:
        '<%= config.bin %> <%= command.id %> put --local 3 --clients 64 --duration 10s --value-size 256',
    },
    {
      description: 'Linearizable gets of zipfian-distributed keys',
      command:
        '<%= config.bin %> <%= command.id %> get --keys 10000 --key-distribution zipfian --clients 64',
    },
    {
      description: 'Latency at a fixed 1,000 ops/s, 90% reads',
      command:
        '<%= config.bin %> <%= command.id %> mixed --read-ratio 0.9 --rate 1000 --duration 30s',
    },
    {
      description: 'Objects of 1 KiB to 64 MiB, as JSON for CI',
      command:
        '<%= config.bin %> <%= command.id %> objects --sizes 1KiB-64MiB --clients 4 --duration 20s --json',
    },
  ];
  static override args = {
    workload: Args.string({
      description: 'put, get, mixed or objects',
      required: true,
      options: [...workloadNames],
    }),
  };
  static override flags = {
    endpoints: endpointsFlag,
    ...tlsFlags,
    ...tokenFlags,
    policy: policyFlag,
    local: Flags.integer({
      description: 'start a throwaway local cluster of N nodes for the run',
      min: 1,
      max: limits.benchLocalNodesMax,
      exclusive: ['endpoints'],
      helpGroup: 'CLUSTER',
    }),
    clients: Flags.integer({
      description: 'concurrent clients (operations in flight at most)',
      default: 16,
      min: 1,
      max: limits.benchClientsMax,
    }),
    duration: {
      ...durationFlag({
        description: 'how long each measured phase runs (default 10s)',
        minimumMilliseconds: 1,
        maximumMilliseconds: limits.benchDurationMillisecondsMax,
      }),
      exclusive: ['ops'],
    },
    ops: Flags.integer({
      description: 'operations per measured phase instead of a duration',
      min: 1,
      max: limits.benchOperationsMax,
      exclusive: ['duration'],
    }),
    'value-size': sizeFlag({
      description: 'bytes per value for put, get and mixed',
      fallback: '256',
      minimumBytes: 0,
      maximumBytes: limits.benchValueBytesMax,
    }),
    sizes: Flags.string({
      description: 'object sizes for objects: SIZE or MIN-MAX, drawn log-uniformly',
      default: '1KiB-64MiB',
    }),
    keys: Flags.integer({
      description: 'number of distinct keys',
      default: 1000,
      min: 1,
      max: limits.benchKeysMax,
    }),
    'key-distribution': Flags.option({
      options: keyDistributionNames,
      description: 'how keys are drawn (zipfian: theta 0.99, key 0 hottest)',
      default: 'uniform' as const,
    })(),
    'key-prefix': Flags.string({
      description: 'prefix of every key the benchmark writes',
      default: 'bench/',
    }),
    consistency: consistencyFlag,
    'read-ratio': Flags.string({
      description: 'fraction of reads in mixed (0 to 1)',
      default: '0.5',
    }),
    rate: Flags.integer({
      description: 'open loop: start operations at this fixed rate per second',
      min: 1,
      max: limits.benchRateOperationsPerSecondMax,
    }),
    preload: Flags.boolean({
      description: 'write every key once before get and mixed (--no-preload if they exist)',
      default: true,
      allowNo: true,
    }),
    verify: Flags.boolean({
      description: 'check the SHA-256 of every body read',
      default: true,
      allowNo: true,
    }),
    seed: Flags.integer({
      description: 'seed of keys, sizes and bytes (random by default)',
      min: 0,
      max: 0xffff_ffff,
    }),
  };

  async run(): Promise<BenchReport> {
    const { args, flags } = await this.parse(Bench);
    const workload = workloadNames.find((name) => name === args.workload) ?? 'put';
    const readRatio = Number(flags['read-ratio']);
    if (!(readRatio >= 0 && readRatio <= 1))
      throw new InvalidArgumentError(
        `--read-ratio "${flags['read-ratio']}" must be a number from 0 to 1`,
      );
    const durationMilliseconds =
      flags.ops === undefined ? (flags.duration ?? benchDurationMillisecondsDefault) : undefined;
    const options = {
      workload,
      clients: flags.clients,
      valueSizeBytes: flags['value-size'],
      sizes: parseSizeRange(flags.sizes),
      keys: flags.keys,
      keyDistribution: flags['key-distribution'],
      consistency: flags.consistency,
      readRatio,
      keyPrefix: flags['key-prefix'],
      preload: flags.preload,
      seed: flags.seed ?? Math.floor(Math.random() * 0x1_0000_0000),
      ...(durationMilliseconds === undefined ? {} : { durationMilliseconds }),
      ...(flags.ops === undefined ? {} : { operations: flags.ops }),
      ...(flags.rate === undefined ? {} : { rateOperationsPerSecond: flags.rate }),
    };
    const log = (line: string): void => {
      if (!this.jsonEnabled()) this.logToStderr(line);
    };
    const local: LocalCluster | undefined =
      flags.local === undefined ? undefined : await startLocalCluster(flags.local, log);
    // Ctrl-C stops the throwaway cluster before exiting; without --local it just exits.
    const stopOnSignal = (): void => {
      void (local?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    };
    process.once('SIGINT', stopOnSignal);
    const token = tokenOf(flags);
    const client = new CairnClient({
      ...(token === undefined ? {} : { token }),
      endpoints: local?.endpoints ?? flags.endpoints ?? '',
      policy: flags.policy,
      connectionsPerEndpoint: Math.min(flags.clients, limits.clientConnectionsPerEndpointMax),
    });
    let progress: ProgressLine | undefined;
    try {
      const startedAt = new Date().toISOString();
      const phases = await runWorkload(new CairnTarget(client, flags.verify), options, {
        onPhase: (name, total) => {
          progress?.finish();
          progress = new ProgressLine({
            label: name,
            unit: 'items',
            ...(total === undefined ? {} : { total }),
          });
        },
        onOperation: () => progress?.advance(1),
      });
      progress?.finish();
      const report: BenchReport = {
        workload,
        target:
          local === undefined
            ? client.endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port}`).join(',')
            : `local ${flags.local ?? 0}-node cluster`,
        clients: flags.clients,
        seed: options.seed,
        rateOperationsPerSecond: flags.rate ?? null,
        startedAt,
        phases: phases.map(phaseReport),
      };
      this.printReport(report);
      return report;
    } finally {
      progress?.finish();
      process.removeListener('SIGINT', stopOnSignal);
      await client.close();
      await local?.stop();
    }
  }

  private printReport(report: BenchReport): void {
    if (this.jsonEnabled()) return;
    this.log(summaryLine(report));
    this.printTable(throughputHead, throughputRows(report));
    const errors = errorRows(report);
    if (errors.length > 0) this.printTable(errorsHead, errors);
  }
}
