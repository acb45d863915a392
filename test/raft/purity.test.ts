// src/raft is a pure state machine: no I/O, no clock, no timers, no ambient
// randomness, and imports only from itself and src/util.

import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const directory = new URL('../../src/raft/', import.meta.url);
const forbidden: [string, RegExp][] = [
  ['node: import', /from\s+['"]node:/],
  ['require', /\brequire\s*\(/],
  ['dynamic import', /\bimport\s*\(/],
  ['setTimeout', /\bsetTimeout\b/],
  ['setInterval', /\bsetInterval\b/],
  ['setImmediate', /\bsetImmediate\b/],
  ['Date', /\bDate\b/],
  ['Math.random', /Math\.random/],
  ['performance.now', /performance\.now/],
  ['process', /\bprocess\./],
];

function sources(): string[] {
  const files = readdirSync(directory).filter((name) => name.endsWith('.ts'));
  assert.ok(files.length >= 8, 'found the raft sources');
  return files;
}

test('no I/O, clock, timers or ambient randomness in src/raft', () => {
  for (const file of sources()) {
    const code = readFileSync(new URL(file, directory), 'utf8');
    for (const [what, pattern] of forbidden)
      assert.not.ok(pattern.test(code), `${file} uses ${what}`);
  }
});

test('src/raft imports only itself and src/util', () => {
  for (const file of sources()) {
    const code = readFileSync(new URL(file, directory), 'utf8');
    for (const match of code.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      const target = match[1] ?? '';
      assert.ok(
        /^\.\/[a-z-]+\.js$/.test(target) || /^\.\.\/util\/[a-z-]+\.js$/.test(target),
        `${file} imports ${target}`,
      );
    }
  }
});

test.run();
