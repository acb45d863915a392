import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// src/placement must stay pure (DESIGN.md section 2): it imports nothing but
// ../util/* and its own files, and uses no clock, timer, randomness or process state.
const folder = new URL('../../src/placement/', import.meta.url).pathname;
const sources = readdirSync(folder).filter((name) => name.endsWith('.ts'));

test('src/placement has sources to check', () => {
  assert.ok(sources.includes('ring.ts') && sources.includes('hash.ts'), sources.join(','));
});

test('src/placement imports only ../util/* and ./*', () => {
  for (const name of sources) {
    const text = readFileSync(join(folder, name), 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
      (match) => match[1] ?? '',
    );
    for (const specifier of specifiers) {
      assert.ok(
        /^\.\.\/util\/[a-z-]+\.js$/.test(specifier) || /^\.\/[a-z-]+\.js$/.test(specifier),
        `${name} imports ${specifier}`,
      );
    }
    assert.not.match(text, /\brequire\s*\(/, `${name} uses require`);
  }
});

test('src/placement uses no clock, timer, randomness or process state', () => {
  const forbidden = [
    /\bDate\b/,
    /Math\.random/,
    /\bsetTimeout\b/,
    /\bsetInterval\b/,
    /\bsetImmediate\b/,
    /\bperformance\b/,
    /\bprocess\./,
    /\bcrypto\b/,
    /['"]node:/,
  ];
  for (const name of sources) {
    const text = readFileSync(join(folder, name), 'utf8');
    for (const pattern of forbidden) assert.not.match(text, pattern, `${name} matches ${pattern}`);
  }
});

test.run();
