// The CLI contract, tested on the built CLI (dist/, built by npm test): help,
// version, --json, and exit codes 0 success / 2 usage error with a one-line message.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const entry = new URL('../../bin/run.js', import.meta.url).pathname;

function cairn(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [entry, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('--version prints the name and version', () => {
  const result = cairn('--version');
  assert.is(result.code, 0);
  assert.match(result.stdout, /^cairn\/\d+\.\d+\.\d+ /);
});

test('--help lists every command with its summary', () => {
  const result = cairn('--help');
  assert.is(result.code, 0);
  assert.match(result.stdout, /limits\s+Show every limit/);
});

test('every command has examples in its help', async () => {
  const { COMMANDS } = await import('../../commands/index.js');
  for (const [id, command] of Object.entries(COMMANDS)) {
    assert.ok((command.examples ?? []).length > 0, `${id} has no examples`);
    assert.ok(command.summary, `${id} has no summary`);
    const help = cairn(id, '--help');
    assert.is(help.code, 0, `${id} --help`);
    assert.match(help.stdout, /EXAMPLES/, `${id} --help shows examples`);
  }
});

test('an unknown command prints one line and exits 2', () => {
  const result = cairn('no-such-command');
  assert.is(result.code, 2);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /CAIRN_ERR_USAGE.*unknown command "no-such-command"/);
  assert.not.match(result.stderr, /\s+at\s/); // no stack trace
});

test('an unknown command names the word typed, not the joined id, and exits 2', () => {
  const result = cairn('frobnicate', 'deploy', '--', 'make', 'release');
  assert.is(result.code, 2);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /CAIRN_ERR_USAGE.*unknown command "frobnicate"/);
  assert.not.match(result.stderr, /frobnicate:deploy/);
});

test('a mistyped command suggests the closest one', () => {
  const result = cairn('stauts');
  assert.is(result.code, 2);
  assert.match(result.stderr, /unknown command "stauts" \(did you mean "cairn status"\?/);
  const json = cairn('gte', 'some-key', '--json');
  assert.is(json.code, 2);
  const parsed = JSON.parse(json.stdout) as { error: { details: { suggestion?: string } } };
  assert.is(parsed.error.details.suggestion, 'get');
});

test('a duration or size flag takes units; a bad one names the flag and exits 2', () => {
  const bad = cairn('join', '--node', '127.0.0.1:1', '--timeout', 'soon');
  assert.is(bad.code, 2);
  assert.is(bad.stderr.trim().split('\n').length, 1);
  assert.match(
    bad.stderr,
    /CAIRN_ERR_INVALID_ARGUMENT.*--timeout must be a duration like 30s, 500ms, 2m, 1h/,
  );
  const rate = cairn('scrub', '--rate', 'fast', '--endpoints', '127.0.0.1:1');
  assert.is(rate.code, 2);
  assert.match(rate.stderr, /--rate must be a size like 50MiB, 1GiB, 512KiB, 100MB/);
  const help = cairn('rebalance', '--help');
  assert.match(help.stdout, /--timeout=DURATION\s+\[default: 1h\]/);
});

test('a bad flag prints one line and exits 2', () => {
  const result = cairn('limits', '--no-such-flag');
  assert.is(result.code, 2);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /no-such-flag/);
});

test('a bad flag with --json also prints a JSON error on stdout', () => {
  const result = cairn('limits', '--json', '--no-such-flag');
  assert.is(result.code, 2);
  const parsed = JSON.parse(result.stdout) as { error: { code: string } };
  assert.is(parsed.error.code, 'CAIRN_ERR_USAGE');
});

test('limits prints a table, and --json a parseable list', () => {
  const table = cairn('limits');
  assert.is(table.code, 0);
  assert.match(table.stdout, /keyLengthBytesMax\s+│\s+1024/);
  assert.not.match(table.stdout, /\u001b\[/); // no colour codes when piped
  const json = cairn('limits', '--json');
  assert.is(json.code, 0);
  const entries = JSON.parse(json.stdout) as { name: string; value: number; unit: string }[];
  const chunk = entries.find((entry) => entry.name === 'chunkSizeBytes');
  assert.equal(chunk, {
    name: 'chunkSizeBytes',
    value: 4 * 1024 * 1024,
    unit: 'bytes',
    display: '4194304 (4.00 MiB)',
  });
});

test.run();
