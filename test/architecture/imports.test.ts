// The design's import rules (DESIGN.md section 2), checked on the sources:
// src/raft and src/placement are pure (no node:* modules, no timers, no clock, no
// Math.random) and import nothing but src/util; nothing imports commands/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;

function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  const pending = [join(root, folder)];
  for (let visited = 0; pending.length > 0 && visited < 10_000; visited++) {
    const current = pending.pop() as string;
    let entries: string[];
    try {
      entries = readdirSync(current);
    } catch {
      continue; // the folder does not exist (yet)
    }
    for (const name of entries) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) pending.push(path);
      else if (name.endsWith('.ts')) files.push(path);
    }
  }
  return files;
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importPattern)].map((match) => match[1] ?? match[2] ?? '');
}

const forbiddenInPureCode: readonly [RegExp, string][] = [
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b/, 'a timer'],
  [/\bDate\.now\b|\bnew Date\b|\bperformance\.now\b|\bprocess\.hrtime\b/, 'a clock'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bprocess\./, 'the process object'],
];

for (const folder of ['src/raft', 'src/placement']) {
  test(`${folder} is pure: imports only src/util and its own folder`, () => {
    for (const file of sourceFiles(folder)) {
      for (const specifier of importsOf(file)) {
        const where = relative(root, file);
        assert.ok(
          specifier.startsWith('.'),
          `${where} imports the package or node module "${specifier}"`,
        );
        const target = relative(root, join(file, '..', specifier));
        assert.ok(
          target.startsWith(folder) || target.startsWith('src/util'),
          `${where} imports ${target}`,
        );
      }
    }
  });

  test(`${folder} uses no timers, clock or Math.random`, () => {
    for (const file of sourceFiles(folder)) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\/.*$/gm, '')
        .replace(/\/\*[\s\S]*?\*\//g, '');
      for (const [pattern, what] of forbiddenInPureCode) {
        assert.not.ok(pattern.test(code), `${relative(root, file)} uses ${what}`);
      }
    }
  });
}

test('nothing under src/ imports commands/', () => {
  for (const file of sourceFiles('src')) {
    for (const specifier of importsOf(file)) {
      const target = relative(root, join(file, '..', specifier));
      assert.not.ok(target.startsWith('commands'), `${relative(root, file)} imports ${target}`);
    }
  }
});

test('the checker finds a forbidden import when one is there', () => {
  // Guards the guard: the pattern must see both static and dynamic imports.
  const sample = "import { x } from 'node:fs';\nconst y = await import('node:net');";
  assert.equal(
    [...sample.matchAll(importPattern)].map((match) => match[1] ?? match[2]),
    ['node:fs', 'node:net'],
  );
});

test.run();
