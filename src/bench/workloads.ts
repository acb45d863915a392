// The workloads of `cairn bench`, as phases for the runner:
//   put      overwrite keys drawn from --keys with --value-size bodies;
//   get      preload every key once, then read keys drawn from the distribution;
//   mixed    preload, then reads with probability --read-ratio, writes otherwise;
//   objects  put objects of log-uniform sizes (--sizes), then read back the ones written.

import type { Consistency } from '../client/index.js';
import { assert, assertInteger } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { Prng } from '../util/prng.js';
import { makeKeyChooser, type KeyDistributionName } from './key-distribution.js';
import { runPhase, type BenchClock, type PhaseResult, type PlannedOperation } from './runner.js';
import type { BenchTarget } from './target.js';
import { logUniformSizeBytes, type SizeRange } from './units.js';
import { ValueSource } from './values.js';

export type WorkloadName = 'put' | 'get' | 'mixed' | 'objects';
export const workloadNames: readonly WorkloadName[] = ['put', 'get', 'mixed', 'objects'];

export interface WorkloadOptions {
  readonly workload: WorkloadName;
  readonly clients: number;
  readonly durationMilliseconds?: number;
  readonly operations?: number;
  readonly rateOperationsPerSecond?: number;
  readonly valueSizeBytes: number;
  readonly sizes: SizeRange;
  readonly keys: number;
  readonly keyDistribution: KeyDistributionName;
  readonly consistency: Consistency;
  readonly readRatio: number;
  readonly keyPrefix: string;
  readonly preload: boolean;
  readonly seed: number;
}

export interface WorkloadHooks {
  /** A phase begins: 'preload' (not measured) or a measured phase's name. */
  readonly onPhase?: (name: string, totalOperations: number | undefined) => void;
  readonly onOperation?: (kind: string, bytes: number, failed: boolean) => void;
  readonly clock?: BenchClock;
}

export function validateWorkload(options: WorkloadOptions): void {
  assert(workloadNames.includes(options.workload), 'known workload');
  assertInteger(options.keys, 'keys', 1, limits.benchKeysMax);
  assertInteger(options.valueSizeBytes, 'value size', 0, limits.benchValueBytesMax);
  assert(options.readRatio >= 0 && options.readRatio <= 1, 'read ratio in [0, 1]');
  assertInteger(options.seed, 'seed', 0, 0xffff_ffff);
}

function keyName(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(9, '0')}`;
}

class WorkloadState {
  readonly values: ValueSource;
  readonly prng: Prng;
  sequence = 0;

  constructor(
    readonly target: BenchTarget,
    readonly options: WorkloadOptions,
    readonly hooks: WorkloadHooks,
  ) {
    this.values = new ValueSource(options.seed);
    this.prng = new Prng(options.seed);
  }

  putOperation(key: string, sizeBytes: number): PlannedOperation {
    const body = this.values.body(sizeBytes, this.sequence++);
    return {
      kind: 'put',
      run: async () => {
        await this.target.put(key, body, sizeBytes);
        return sizeBytes;
      },
    };
  }

  getOperation(key: string): PlannedOperation {
    return { kind: 'get', run: () => this.target.get(key, this.options.consistency) };
  }

  measured(name: string, plan: (ticket: number) => PlannedOperation): Promise<PhaseResult> {
    const { clients, durationMilliseconds, operations, rateOperationsPerSecond } = this.options;
    this.hooks.onPhase?.(name, operations);
    return runPhase({
      name,
      clients,
      plan,
      ...(durationMilliseconds === undefined ? {} : { durationMilliseconds }),
      ...(operations === undefined ? {} : { operations }),
      ...(rateOperationsPerSecond === undefined ? {} : { rateOperationsPerSecond }),
      ...(this.hooks.clock === undefined ? {} : { clock: this.hooks.clock }),
      ...(this.hooks.onOperation === undefined ? {} : { onOperation: this.hooks.onOperation }),
    });
  }

  /** Writes every key once so reads find them; fails the run if any write failed. */
  async preload(): Promise<void> {
    if (!this.options.preload) return;
    this.hooks.onPhase?.('preload', this.options.keys);
    const result = await runPhase({
      name: 'preload',
      clients: this.options.clients,
      operations: this.options.keys,
      plan: (ticket) =>
        this.putOperation(keyName(this.options.keyPrefix, ticket), this.options.valueSizeBytes),
      ...(this.hooks.clock === undefined ? {} : { clock: this.hooks.clock }),
      ...(this.hooks.onOperation === undefined ? {} : { onOperation: this.hooks.onOperation }),
    });
    const failed = result.operations.reduce((sum, stats) => sum + stats.failures, 0);
    if (failed > 0) {
      const codes = result.operations.map((stats) => JSON.stringify(stats.errorsByCode)).join(' ');
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        `preloading ${this.options.keys} keys failed for ${failed} of them (${codes}); is the cluster healthy?`,
      );
    }
  }
}

/** Runs the workload's phases in order; the preload is not part of the result. */
export async function runWorkload(
  target: BenchTarget,
  options: WorkloadOptions,
  hooks: WorkloadHooks = {},
): Promise<PhaseResult[]> {
  validateWorkload(options);
  const state = new WorkloadState(target, options, hooks);
  const chooser = makeKeyChooser(options.keyDistribution, options.keys, state.prng.fork());
  const nextKey = (): string => keyName(options.keyPrefix, chooser.next());
  switch (options.workload) {
    case 'put':
      return [
        await state.measured('put', () => state.putOperation(nextKey(), options.valueSizeBytes)),
      ];
    case 'get':
      await state.preload();
      return [await state.measured('get', () => state.getOperation(nextKey()))];
    case 'mixed':
      await state.preload();
      return [
        await state.measured('mixed', () =>
          state.prng.chance(options.readRatio)
            ? state.getOperation(nextKey())
            : state.putOperation(nextKey(), options.valueSizeBytes),
        ),
      ];
    case 'objects':
      return runObjects(state, nextKey);
  }
}

async function runObjects(state: WorkloadState, nextKey: () => string): Promise<PhaseResult[]> {
  const written = new Set<string>();
  const putPhase = await state.measured('put', () => {
    const key = nextKey();
    const sizeBytes = logUniformSizeBytes(state.options.sizes, state.prng);
    const operation = state.putOperation(key, sizeBytes);
    return {
      kind: operation.kind,
      run: async () => {
        const bytes = await operation.run();
        written.add(key);
        return bytes;
      },
    };
  });
  if (written.size === 0) return [putPhase];
  const keys = [...written];
  const getPhase = await state.measured('get', () => state.getOperation(state.prng.pick(keys)));
  return [putPhase, getPhase];
}
