// The simulator's command line:
//   npm run sim -- --seeds N --from S     run seeds S .. S+N-1
//   npm run sim -- --seed S [--verbose]   replay one seed (with its trace)
//   --inject-bug NAME (or CAIRN_SIM_INJECT_BUG=NAME): run with a known bug, see bugs.ts
//   --stop-on-failure: stop at the first failing seed
//   --fault-ticks T: length of the fault phase (default 300)
//   --forbid-remove-leader: a leader never proposes its own removal (FINDINGS.md, F1)
//   --effects-only: no direct check that acknowledgements follow fsyncs (FINDINGS.md)
//   --scenario crash-heavy: frequent crashes, of two machines or all at once (config.ts)
// Exits 1 when a seed fails, printing the seed, the property and the replay command.

import { parseArgs } from 'node:util';
import { knownBugs, parseBugs } from './bugs.js';
import { describeConfig, scenarios } from './config.js';
import { runSimulation, type SimResult } from './simulator.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    from: { type: 'string' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'inject-bug': { type: 'string' },
    'stop-on-failure': { type: 'boolean', default: false },
    'fault-ticks': { type: 'string' },
    'forbid-remove-leader': { type: 'boolean', default: false },
    'effects-only': { type: 'boolean', default: false },
    scenario: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: npm run sim -- [--seeds N --from S | --seed S] [--verbose] [--inject-bug NAME] [--stop-on-failure] [--fault-ticks T] [--forbid-remove-leader] [--effects-only] [--scenario crash-heavy]',
  );
  console.log(
    `bugs: ${Object.entries(knownBugs)
      .map(([name, what]) => `\n  ${name}: ${what}`)
      .join('')}`,
  );
  process.exit(0);
}

function integer(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer`);
    process.exit(2);
  }
  return value;
}

const bugText = values['inject-bug'] ?? process.env['CAIRN_SIM_INJECT_BUG'];
const bugs = parseBugs(bugText);
const single = values.seed !== undefined;
const from = single ? integer(values.seed, 0, 'seed') : integer(values.from, 1, 'from');
const count = single ? 1 : integer(values.seeds, 100, 'seeds');
const faultTicks =
  values['fault-ticks'] === undefined
    ? undefined
    : integer(values['fault-ticks'], 300, 'fault-ticks');
const bugPrefix = bugs.size > 0 ? `CAIRN_SIM_INJECT_BUG=${[...bugs].join(',')} ` : '';
const forbidRemoveLeader = values['forbid-remove-leader'];
const effectsOnly = values['effects-only'];
const scenario = values.scenario;
if (scenario !== undefined && !(scenarios as readonly string[]).includes(scenario)) {
  console.error(`--scenario must be one of: ${scenarios.join(', ')}`);
  process.exit(2);
}
const ticksFlag =
  (faultTicks === undefined ? '' : ` --fault-ticks ${faultTicks}`) +
  (forbidRemoveLeader ? ' --forbid-remove-leader' : '') +
  (effectsOnly ? ' --effects-only' : '') +
  (scenario === undefined ? '' : ` --scenario ${scenario}`);
const overrides = {
  ...(faultTicks === undefined ? {} : { faultTicks }),
  ...(forbidRemoveLeader ? { removeLeaderAllowed: false } : {}),
  ...(scenario === undefined ? {} : { scenario: scenario as (typeof scenarios)[number] }),
};

const started = performance.now();
const failures: SimResult[] = [];
let unknownChecks = 0;
let totalTicks = 0;
for (let seed = from; seed < from + count; seed++) {
  const result = await runSimulation(seed, {
    bugs,
    verbose: values.verbose,
    overrides,
    checkAcknowledgements: !effectsOnly,
  });
  totalTicks += result.ticks;
  if (result.linearizability === 'unknown') unknownChecks++;
  if (single || values.verbose) {
    console.log(`seed ${seed}: ${describeConfig(result.config)}`);
    console.log(
      `  trace ${result.traceHash} (${result.traceEvents} events, ${result.ticks} ticks), stats ${JSON.stringify(result.stats)}`,
    );
  }
  if (!result.ok) {
    failures.push(result);
    console.log(
      `FAIL seed ${seed}: ${result.property}\n  ${result.message?.split('\n').join('\n  ')}`,
    );
    console.log(`  replay: ${bugPrefix}npm run sim -- --seed ${seed}${ticksFlag}`);
    if (values['stop-on-failure']) break;
  }
  const done = seed - from + 1;
  if (!single && done % 100 === 0) {
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  ${done}/${count} seeds, ${failures.length} failed, ${(done / seconds).toFixed(1)} seeds/s`,
    );
  }
}
const seconds = (performance.now() - started) / 1000;
const ran = Math.min(
  count,
  failures.length > 0 && values['stop-on-failure']
    ? (failures[failures.length - 1] as SimResult).seed - from + 1
    : count,
);
console.log(
  `${ran} seeds (${from}..${from + ran - 1}) in ${seconds.toFixed(1)} s (${(ran / seconds).toFixed(1)} seeds/s, ${totalTicks} ticks): ` +
    `${failures.length} failed, ${unknownChecks} linearizability checks inconclusive (state bound)`,
);
if (failures.length > 0) {
  console.log(`failing seeds: ${failures.map((failure) => failure.seed).join(' ')}`);
  process.exit(1);
}
