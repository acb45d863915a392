// Naming the word a user typed for an unknown command, and the typo it may be.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closestCommand, editDistance, unknownWords } from '../../src/cli/command-suggestion.js';
import { errorReport } from '../../src/cli/error-report.js';
import { Errors } from '@oclif/core';

const known = ['get', 'put', 'ls', 'rm', 'stat', 'status', 'rebalance', 'bench', 'lock:acquire'];

test('edit distance counts insertions, deletions, substitutions and swaps', () => {
  const table: [string, string, number][] = [
    ['get', 'get', 0],
    ['gte', 'get', 1],
    ['stauts', 'status', 1],
    ['stat', 'status', 2],
    ['rebalanse', 'rebalance', 1],
    ['', 'ls', 2],
    ['kitten', 'sitting', 3],
  ];
  for (const [left, right, distance] of table)
    assert.is(editDistance(left, right), distance, `${left} ${right}`);
});

test('the unknown word is the first that names no command and starts none', () => {
  assert.is(unknownWords('lock:deploy', ['get', 'put']), 'lock');
  assert.is(unknownWords('lock:deploy', known), 'lock deploy');
  assert.is(unknownWords('no-such-command', known), 'no-such-command');
});

test('a suggestion only within a typo; none for an unrelated word', () => {
  assert.is(closestCommand('gte', known), 'get');
  assert.is(closestCommand('stauts', known), 'status');
  assert.is(closestCommand('rebalanse', known), 'rebalance');
  assert.is(closestCommand('lock', known), undefined);
  assert.is(closestCommand('deploy', known), undefined);
});

test('the report names the typed word, suggests, and exits 2', () => {
  const report = errorReport(new Errors.CLIError('command gte:foo not found'), known);
  assert.is(report.code, 'CAIRN_ERR_USAGE');
  assert.is(report.message, 'unknown command "gte"');
  assert.is(report.exitCode, 2);
  assert.match(report.hint ?? '', /did you mean "cairn get"\?/);
  assert.equal(report.details, { command: 'gte', suggestion: 'get' });
});

test.run();
