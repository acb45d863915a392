// The design's import rules (DESIGN.md section 2), checked on the sources: no file
// import cycle, no folder import cycle (src/<folder>), no import against the layer
// order (commands -> cli | client | bench | chaos | check -> server -> node ->
// data | meta -> raft | storage | placement -> api | net -> util); src/raft,
// src/placement and src/api import nothing but src/util and use no timers, clock or
// Math.random; nothing imports commands/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cyclesOf,
  type ImportGraph,
  importSpecifiers,
  importViolations,
  pureFolders,
  readImportGraph,
  sourceFiles,
} from './import-graph.js';

/**
 * Violations the tree may have, each with the change that will remove it; any other
 * violation fails the test. Empty since the node reshape (issue 12): keep it so.
 */
const knownViolations: readonly string[] = [];

const root = new URL('../..', import.meta.url).pathname;

test('no file or folder import cycle and no import against the layer order', () => {
  const violations = importViolations(readImportGraph(root, ['src', 'commands']));
  const unexpected = violations.filter((violation) => !knownViolations.includes(violation));
  assert.equal(unexpected, [], 'violations of DESIGN.md section 2');
  const gone = knownViolations.filter((violation) => !violations.includes(violation));
  assert.equal(gone, [], 'fixed: remove these from knownViolations');
});

const forbiddenInPureCode: readonly [RegExp, string][] = [
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b/, 'a timer'],
  [/\bDate\.now\b|\bnew Date\b|\bperformance\.now\b|\bprocess\.hrtime\b/, 'a clock'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bprocess\./, 'the process object'],
];

for (const folder of pureFolders.map((name) => `src/${name}`)) {
  test(`${folder} imports no package or node module (the layer test keeps it to src/util)`, () => {
    for (const file of sourceFiles(root, [folder])) {
      for (const specifier of importSpecifiers(readFileSync(join(root, file), 'utf8'))) {
        assert.ok(
          specifier.startsWith('.'),
          `${file} imports the package or node module "${specifier}"`,
        );
      }
    }
  });

  test(`${folder} uses no timers, clock or Math.random`, () => {
    for (const file of sourceFiles(root, [folder])) {
      const code = readFileSync(join(root, file), 'utf8')
        .replace(/\/\/.*$/gm, '')
        .replace(/\/\*[\s\S]*?\*\//g, '');
      for (const [pattern, what] of forbiddenInPureCode) {
        assert.not.ok(pattern.test(code), `${file} uses ${what}`);
      }
    }
  });
}

test('the parser sees static, multi-line, re-exported, side-effect and dynamic imports', () => {
  const sample = [
    "import { x } from 'node:fs';",
    'import {',
    '  a,',
    '  type B,',
    "} from './multi-line.js';",
    "export * from './re-export.js';",
    "import './side-effect.js';",
    "const y = await import('node:net');",
    "// import { gone } from './commented-out.js';",
    "const text = 'import nothing from here';",
  ].join('\n');
  assert.equal(importSpecifiers(sample), [
    'node:fs',
    './multi-line.js',
    './re-export.js',
    './side-effect.js',
    'node:net',
  ]);
});

function fakeGraph(edges: Record<string, string[]>): ImportGraph {
  return new Map(Object.entries(edges));
}

test('the checker catches a planted file cycle, folder cycle and layer inversions', () => {
  const graph = fakeGraph({
    'src/data/a.ts': ['src/data/b.ts'],
    'src/data/b.ts': ['src/data/c.ts', 'src/util/x.ts'],
    'src/data/c.ts': ['src/data/a.ts'], // a -> b -> c -> a
    'src/meta/m.ts': ['src/data/a.ts'], // same level: allowed on its own ...
    'src/data/d.ts': ['src/meta/m.ts'], // ... but data <-> meta is a folder cycle
    'src/raft/r.ts': ['src/storage/s.ts'], // raft imports only util
    'src/util/x.ts': ['src/node/n.ts'], // util is the bottom
    'src/node/n.ts': [],
    'src/storage/s.ts': [],
    'src/cli/c.ts': ['commands/get.ts'],
    'commands/get.ts': ['src/cli/c.ts', 'src/util/x.ts'],
    'src/util/self.ts': ['src/util/self.ts'],
  });
  assert.equal(importViolations(graph).sort(), [
    'file cycle: commands/get.ts, src/cli/c.ts',
    'file cycle: src/data/a.ts, src/data/b.ts, src/data/c.ts',
    'file cycle: src/util/self.ts',
    'folder cycle: cli, commands',
    'folder cycle: data, meta',
    'layer: src/cli/c.ts -> commands/get.ts (nothing imports commands/)',
    'layer: src/raft/r.ts -> src/storage/s.ts (raft imports only util)',
    'layer: src/util/x.ts -> src/node/n.ts (node is above util)',
  ]);
});

test('a clean graph has no violation; the cycle search is bounded on a long chain', () => {
  const chain: Record<string, string[]> = {};
  const length = 3000;
  for (let step = 0; step < length; step++)
    chain[`src/util/f${step}.ts`] = step + 1 < length ? [`src/util/f${step + 1}.ts`] : [];
  assert.equal(importViolations(fakeGraph(chain)), []);
  // Closing the chain makes one cycle of every file: found without recursion.
  chain[`src/util/f${length - 1}.ts`] = ['src/util/f0.ts'];
  const cycles = cyclesOf(fakeGraph(chain));
  assert.is(cycles.length, 1);
  assert.is(cycles[0]?.length, length);
});

test('the checker reads a planted cycle from files on disk', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'cairn-imports-'));
  try {
    const files: Record<string, string> = {
      'src/node/a.ts': "import { b } from '../server/b.js';\nexport const a = b;\n",
      'src/server/b.ts': "import type { A } from '../node/index.js';\nexport const b = 1;\n",
      'src/node/index.ts': "export { a } from './a.js';\nexport type A = number;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), text);
    }
    assert.equal(importViolations(readImportGraph(fixture, ['src', 'commands'])), [
      'file cycle: src/node/a.ts, src/node/index.ts, src/server/b.ts',
      'folder cycle: node, server',
      'layer: src/node/a.ts -> src/server/b.ts (server is above node)',
    ]);
  } finally {
    rmSync(fixture, { recursive: true, force: true });
  }
});

test.run();
