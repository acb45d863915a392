// Size rules of issue 12, kept by a test: no class in src/node, src/data or src/server
// is over 300 lines, and the file that assembles a node stays under 150 lines, so that
// new capabilities go into services of their own instead of growing the old ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sourceFiles } from './import-graph.js';

const root = new URL('../..', import.meta.url).pathname;
const classLinesMax = 300;
const assemblerLinesMax = 150;

/** Each top-level class with its length in lines (declaration to its closing brace). */
export function classLengths(text: string): { name: string; lines: number }[] {
  const lines = text.split('\n');
  const found: { name: string; lines: number }[] = [];
  for (let index = 0; index < lines.length; index++) {
    const match = /^(?:export )?(?:abstract )?class (\w+)/.exec(lines[index] as string);
    if (match === null) continue;
    const end = lines.findIndex((line, at) => at > index && line === '}');
    found.push({ name: match[1] as string, lines: (end === -1 ? lines.length : end) - index + 1 });
  }
  return found;
}

test('the class measure counts from the declaration to the closing brace', () => {
  const text = ['// x', 'export class A {', '  a = 1;', '}', 'class B {', '}', ''].join('\n');
  assert.equal(classLengths(text), [
    { name: 'A', lines: 3 },
    { name: 'B', lines: 2 },
  ]);
});

test(`no class in src/node, src/data or src/server is over ${classLinesMax} lines`, () => {
  const tooLong: string[] = [];
  for (const file of sourceFiles(root, ['src/node', 'src/data', 'src/server'])) {
    for (const found of classLengths(readFileSync(join(root, file), 'utf8')))
      if (found.lines > classLinesMax) tooLong.push(`${file}: ${found.name} (${found.lines})`);
  }
  assert.equal(tooLong, []);
});

test(`the node assembler is under ${assemblerLinesMax} lines`, () => {
  const text = readFileSync(join(root, 'src/server/assemble.ts'), 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  assert.ok(lines < assemblerLinesMax, `src/server/assemble.ts has ${lines} lines`);
});

test.run();
