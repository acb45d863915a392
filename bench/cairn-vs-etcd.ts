// cairn and etcd 3.4 side by side on this machine: a 3-member etcd cluster and a 3-node
// cairn cluster on 127.0.0.1, driven in the same run by the same load generator (the
// `cairn bench` runner over undici; etcd through its v3 JSON gateway), with the machine's
// limits measured first. Prints every figure, the cairn/etcd ratios and the issue-8
// targets. Installs nothing: without etcd it says how to install it.
// Run: npm run build && npx tsx bench/cairn-vs-etcd.ts [--seconds 10] [--cases ...] [--skip-limits] [--json]
import { tmpdir } from 'node:os';
import { etcdInstallHint, etcdVersion } from './etcd.js';
import { parseArguments, printSideBySide, runSideBySide } from './side-by-side.js';

if (etcdVersion() === undefined) {
  console.error(etcdInstallHint);
  process.exit(1);
}
const argumentsGiven = parseArguments(process.argv.slice(2));
const result = await runSideBySide({
  withEtcd: true,
  seconds: argumentsGiven.seconds,
  skipLimits: argumentsGiven.skipLimits,
  directory: argumentsGiven.directory ?? tmpdir(),
  ...(argumentsGiven.cases === undefined ? {} : { cases: argumentsGiven.cases }),
  log: (line) => process.stderr.write(`${line}\n`),
});
if (argumentsGiven.json) console.log(JSON.stringify(result, null, 2));
else printSideBySide(result);
