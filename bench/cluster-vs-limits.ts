// cairn next to the limits of this machine: measures the limits (bench/machine-limits.ts),
// starts a local 3-node cluster, runs the issue-8 workloads and prints each figure with
// its limit and the ratio. About 2 minutes with the default 10 s per workload.
// Run: npm run build && npx tsx bench/cluster-vs-limits.ts [--seconds 10] [--cases put-256-64,get-lin-64] [--skip-limits] [--json]
import { tmpdir } from 'node:os';
import { parseArguments, printSideBySide, runSideBySide } from './side-by-side.js';

const argumentsGiven = parseArguments(process.argv.slice(2));
const result = await runSideBySide({
  withEtcd: false,
  seconds: argumentsGiven.seconds,
  skipLimits: argumentsGiven.skipLimits,
  directory: argumentsGiven.directory ?? tmpdir(),
  ...(argumentsGiven.cases === undefined ? {} : { cases: argumentsGiven.cases }),
  log: (line) => process.stderr.write(`${line}\n`),
});
if (argumentsGiven.json) console.log(JSON.stringify(result, null, 2));
else printSideBySide(result);
