// cairn cert, run as the built CLI (dist/, npm run build) in a temporary directory: the
// files and their modes, inspect and list output, --json, refusal to overwrite, the
// missing-CA error and the exit codes. A private key is never printed.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const entry = new URL('../../bin/run.js', import.meta.url).pathname;
const workDirectory = mkdtempSync(join(tmpdir(), 'cairn-cert-cli-'));
const certificates = join(workDirectory, 'cairn-certs'); // the default --dir
const printed: string[] = []; // everything any command printed, checked for key material

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cairn(...args: string[]): Run {
  const result = spawnSync(process.execPath, [entry, 'cert', ...args], {
    cwd: workDirectory,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  printed.push(result.stdout, result.stderr);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function errorOf(run: Run): { code: string; message: string } {
  return (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
}

test.after(() => rmSync(workDirectory, { recursive: true, force: true }));

test('create-ca writes ca.crt (0644) and ca.key (0600) in ./cairn-certs, under umask 0', () => {
  const previous = process.umask(0); // the child inherits it: modes come from the open call
  let run: Run;
  try {
    run = cairn('create-ca', '--name', 'cli test CA');
  } finally {
    process.umask(previous);
  }
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /created the CA "cli test CA"/);
  assert.is(mode(join(certificates, 'ca.key')), 0o600);
  assert.is(mode(join(certificates, 'ca.crt')), 0o644);
  assert.is(mode(certificates), 0o700);
  const certificate = new X509Certificate(readFileSync(join(certificates, 'ca.crt')));
  assert.ok(certificate.ca);
  assert.match(run.stdout, new RegExp(certificate.fingerprint256));
});

test('create-node and create-client write their pairs, signed by the CA', () => {
  const node = cairn('create-node', 'n1', '127.0.0.1', 'Node1.Example', '--valid-days', '5');
  assert.is(node.code, 0, node.stderr);
  assert.match(node.stdout, /ip:127\.0\.0\.1, dns:node1\.example, uri:cairn-node:\/\/n1/);
  const client = cairn('create-client', 'alice', '--json');
  assert.is(client.code, 0, client.stderr);
  const created = JSON.parse(client.stdout) as {
    files: { path: string; contents: string; mode: string }[];
    certificate: { kind: string; user: string; subject: string };
  };
  assert.equal(
    created.files.map((file) => [file.path, file.contents, file.mode]),
    [
      ['cairn-certs/client-alice.crt', 'certificate', '0644'],
      ['cairn-certs/client-alice.key', 'private key', '0600'],
    ],
  );
  assert.equal([created.certificate.kind, created.certificate.user], ['client', 'alice']);
  const authority = new X509Certificate(readFileSync(join(certificates, 'ca.crt')));
  for (const name of ['node-n1', 'client-alice']) {
    assert.is(mode(join(certificates, `${name}.key`)), 0o600, name);
    assert.is(mode(join(certificates, `${name}.crt`)), 0o644, name);
    const certificate = new X509Certificate(readFileSync(join(certificates, `${name}.crt`)));
    assert.ok(certificate.verify(authority.publicKey), `${name} is signed by the CA`);
  }
});

test('inspect shows subject, SANs, expiry and fingerprint; --json the same as data', () => {
  const path = join(certificates, 'node-n1.crt');
  const certificate = new X509Certificate(readFileSync(path));
  const text = cairn('inspect', path);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^kind\s+node$/m);
  assert.match(text.stdout, /^subject\s+CN=n1, O=cairn$/m);
  assert.match(
    text.stdout,
    /^names \(SANs\)\s+ip:127\.0\.0\.1, dns:node1\.example, uri:cairn-node:\/\/n1$/m,
  );
  assert.match(
    text.stdout,
    new RegExp(`^fingerprint \\(SHA-256\\)\\s+${certificate.fingerprint256}$`, 'm'),
  );
  const notAfter = new Date(certificate.validTo).toISOString();
  assert.match(text.stdout, new RegExp(`^not after\\s+${notAfter.replace(/\./g, '\\.')}$`, 'm'));
  const json = cairn('inspect', path, '--json');
  assert.is(json.code, 0, json.stderr);
  const summary = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.is(summary['kind'], 'node');
  assert.is(summary['nodeName'], 'n1');
  assert.is(summary['fingerprintSha256'], certificate.fingerprint256);
  assert.is(summary['notAfter'], notAfter);
  assert.is(summary['expired'], false);
});

test('list shows every certificate of the directory, a table or --json', () => {
  const table = cairn('list');
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /ca\.crt\s+│\s+ca\s+│\s+CN=cli test CA, O=cairn/);
  assert.match(table.stdout, /client-alice\.crt\s+│\s+client\s+│\s+CN=alice, O=cairn/);
  assert.match(table.stdout, /node-n1\.crt\s+│\s+node\s+│\s+CN=n1, O=cairn/);
  assert.not.match(table.stdout, /\.key/);
  const json = cairn('list', '--json');
  assert.is(json.code, 0, json.stderr);
  const entries = JSON.parse(json.stdout) as {
    file: string;
    kind: string;
    fingerprintSha256: string;
  }[];
  assert.equal(
    entries.map((item) => [item.file, item.kind]),
    [
      ['ca.crt', 'ca'],
      ['client-alice.crt', 'client'],
      ['node-n1.crt', 'node'],
    ],
  );
  const authority = new X509Certificate(readFileSync(join(certificates, 'ca.crt')));
  assert.is(entries[0]?.fingerprintSha256, authority.fingerprint256);
});

test('an existing file is kept: exit 1, CAIRN_ERR_ALREADY_EXISTS, nothing changed', () => {
  const before = readFileSync(join(certificates, 'ca.key'), 'utf8');
  const again = cairn('create-ca', '--json');
  assert.is(again.code, 1);
  assert.is(errorOf(again).code, 'CAIRN_ERR_ALREADY_EXISTS');
  assert.match(errorOf(again).message, /--force/);
  assert.is(readFileSync(join(certificates, 'ca.key'), 'utf8'), before);
  const node = cairn('create-node', 'n1', '127.0.0.1');
  assert.is(node.code, 1);
  assert.match(node.stderr, /^cairn: error \[CAIRN_ERR_ALREADY_EXISTS\]: .*node-n1\.crt/);
});

test('--force replaces a key with a fresh one of mode 0600, even over a loose old file', () => {
  const keyPath = join(certificates, 'client-bob.key');
  writeFileSync(keyPath, 'old\n', { mode: 0o644 });
  assert.is(cairn('create-client', 'bob').code, 1, 'refused without --force');
  const forced = cairn('create-client', 'bob', '--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.is(mode(keyPath), 0o600);
  assert.match(readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
});

test('no CA: exit 1, CAIRN_ERR_NOT_FOUND naming create-ca', () => {
  for (const args of [
    ['create-node', 'n2', '10.0.0.2'],
    ['create-client', 'carol'],
  ]) {
    const run = cairn(...args, '--dir', 'empty', '--json');
    assert.is(run.code, 1, args.join(' '));
    const error = errorOf(run);
    assert.is(error.code, 'CAIRN_ERR_NOT_FOUND');
    assert.match(error.message, /cairn cert create-ca --dir empty/);
    assert.is(run.stderr.trim().split('\n').length, 1);
  }
  assert.is(cairn('list', '--dir', 'empty').code, 1);
});

test('bad arguments: exit 2 with a one-line message', () => {
  const cases: [string[], string][] = [
    [['create-node', 'n 2', '10.0.0.2'], 'CAIRN_ERR_INVALID_ARGUMENT'],
    [['create-node', 'n2'], 'CAIRN_ERR_INVALID_ARGUMENT'],
    [['create-node', 'n2', 'not_a_host'], 'CAIRN_ERR_INVALID_ARGUMENT'],
    [['create-client', 'a/b'], 'CAIRN_ERR_INVALID_ARGUMENT'],
    [['create-client', 'dave', '--valid-days', '0'], 'CAIRN_ERR_USAGE'],
    // 4000 days outlive the CA (3650 days)
    [['create-client', 'dave', '--valid-days', '4000'], 'CAIRN_ERR_INVALID_ARGUMENT'],
    [['inspect', join(certificates, 'ca.key')], 'CAIRN_ERR_INVALID_ARGUMENT'],
  ];
  for (const [args, code] of cases) {
    const run = cairn(...args);
    assert.is(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`^cairn: error \\[${code}\\]`), args.join(' '));
    assert.is(run.stderr.trim().split('\n').length, 1, args.join(' '));
  }
  const missing = cairn('inspect', 'no-such.crt');
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /CAIRN_ERR_NOT_FOUND/);
});

test('loading every command loads no certificate library; making a certificate does', () => {
  // reflect-metadata installs Reflect.getMetadata; @peculiar/x509 cannot load without it.
  const probe = (code: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
  const commandsOnly = probe(
    "await import('./dist/commands/index.js'); console.log(typeof Reflect.getMetadata);",
  );
  assert.is(commandsOnly.stdout.trim(), 'undefined', commandsOnly.stderr);
  const loaded = probe(
    "const m = await import('./dist/src/net/certificates.js'); await m.loadX509Library(); " +
      'console.log(typeof Reflect.getMetadata);',
  );
  assert.is(loaded.stdout.trim(), 'function', loaded.stderr);
});

test('no command printed any private key', () => {
  const keys = ['ca.key', 'node-n1.key', 'client-alice.key'].map((name) =>
    readFileSync(join(certificates, name), 'utf8'),
  );
  const output = printed.join('\n');
  assert.not.match(output, /PRIVATE KEY/);
  for (const key of keys) {
    const body = key.split('\n')[1] ?? '';
    assert.ok(body.length > 20);
    assert.not.ok(output.includes(body), 'a line of a private key was printed');
  }
});

test.run();
