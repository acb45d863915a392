// Encryption at rest on real processes: three nodes started with a key file made by
// `cairn encryption create-key`, an inline and a chunked object holding a known marker,
// and a fourth node that catches up from a snapshot. No file of any data directory
// (chunks, WAL, state store, snapshots, hints) holds the marker, while both objects read
// back identical from every node; a restart with a wrong key or without a key is
// refused with a clear error, and a restart with the right key serves everything.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startNodeProcess } from '../../src/cli/dev-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { TestCluster } from './harness.js';

const test = suite<{ cluster?: TestCluster; keyFile?: string }>('encryption at rest');
const inlineMarker = 'INLINE-MARKER-c41f9e';
const chunkMarker = 'CHUNKED-MARKER-7ab203';
const chunkedBytes = 9 * 1024 * 1024; // three chunks

/** Lines `MARKER NNNNNNNN`, so every chunk differs and any plaintext copy shows. */
function markerContent(marker: string, bytes: number): Buffer {
  const lines: string[] = [];
  for (let line = 0; lines.length * (marker.length + 10) < bytes; line++)
    lines.push(`${marker} ${String(line).padStart(8, '0')}\n`);
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

function filesUnder(root: string): string[] {
  const found: string[] = [];
  const pending = [root];
  for (let step = 0; step < 100_000 && pending.length > 0; step++) {
    const directory = pending.pop()!;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) found.push(path);
    }
  }
  return found;
}

function searchDataDirectories(cluster: TestCluster, markers: readonly string[]) {
  const hits: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const node of cluster.nodes) {
    for (const path of filesUnder(node.dataDirectory)) {
      const content = readFileSync(path);
      files++;
      bytes += content.length;
      for (const marker of markers) if (content.includes(marker)) hits.push(`${path}: ${marker}`);
    }
  }
  return { hits, files, bytes };
}

async function readAll(cluster: TestCluster, key: string, node: string): Promise<Buffer> {
  const client = cluster.client([cluster.node(node)]);
  try {
    const { body } = await client.getObject(key);
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(piece as Buffer);
    return Buffer.concat(pieces);
  } finally {
    await client.close();
  }
}

const entry = new URL('../../bin/run.js', import.meta.url).pathname;

function runCli(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [entry, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test.before(async (context) => {
  // The key files live apart from the data directories.
  const keys = mkdtempSync(join(tmpdir(), 'cairn-keys-'));
  context.keyFile = join(keys, 'cluster.keys');
  const made = runCli(['encryption', 'create-key', context.keyFile]);
  assert.is(made.code, 0, made.stderr);
  const stored = JSON.parse(readFileSync(context.keyFile, 'utf8')).keys[0].key as string;
  assert.not.ok(made.stdout.includes(stored), 'the key is never printed');
  assert.is(statSync(context.keyFile).mode & 0o777, 0o600);
  context.cluster = await TestCluster.start('crypt', 3, {}, [
    '--encryption-key-file',
    context.keyFile,
    '--snapshot-entries',
    '100',
  ]);
});

test.after(async (context) => {
  await context.cluster?.destroy();
});

test('no data file holds an object content; both objects read back identical', async (context) => {
  const cluster = context.cluster as TestCluster;
  const inline = markerContent(inlineMarker, 3000);
  const chunked = markerContent(chunkMarker, chunkedBytes);
  const client = cluster.client();
  try {
    await client.putObject('secret/inline', inline);
    await client.putObject('secret/chunked', chunked);
    // Enough entries for a snapshot and a log compaction on every node.
    for (let start = 0; start < 150; start += 25)
      await Promise.all(
        Array.from({ length: 25 }, (_, offset) =>
          client.putObject(`filler/${start + offset}`, Buffer.from(`${inlineMarker}-${offset}`)),
        ),
      );
  } finally {
    await client.close();
  }
  await waitFor(
    'a snapshot on every node',
    () =>
      cluster.nodes.every((node) =>
        readFileSync(node.logFile, 'utf8').includes('"event":"snapshot"'),
      ),
    { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
  );
  const fourth = await cluster.addNode();
  const joined = cluster.cli(['join', '--node', fourth.clientAddress]);
  assert.is(joined.code, 0, joined.stderr);
  await waitFor(
    'n4 to apply everything',
    async () => {
      const status = await cluster.status();
      const self = status.members.find((member) => member.id === 'n4');
      const leader = status.members.find((member) => member.id === status.leaderId);
      return self !== undefined && leader !== undefined && self.appliedIndex >= leader.commitIndex;
    },
    { timeoutMilliseconds: 30_000, intervalMilliseconds: 200 },
  );
  assert.ok(
    readFileSync(fourth.logFile, 'utf8').includes('"event":"encryption-at-rest"'),
    'n4 runs encrypted',
  );
  for (const node of ['n1', 'n2', 'n3', 'n4']) {
    assert.ok((await readAll(cluster, 'secret/inline', node)).equals(inline), `inline on ${node}`);
    assert.ok((await readAll(cluster, 'secret/chunked', node)).equals(chunked), `chunked ${node}`);
  }
  const search = searchDataDirectories(cluster, [inlineMarker, chunkMarker]);
  assert.ok(search.files > 20 && search.bytes > 3 * chunkedBytes, 'the search saw the data');
  assert.equal(search.hits, [], 'no plaintext of an object in any data file');
});

test('a wrong key or no key is refused at start; the right key serves everything', async (context) => {
  const cluster = context.cluster as TestCluster;
  const n1 = cluster.node('n1');
  await cluster.kill('n1', 'SIGTERM');
  const keys = join(context.keyFile as string, '..');
  const wrong = join(keys, 'wrong.keys');
  assert.is(runCli(['encryption', 'create-key', wrong]).code, 0);
  const attempts: [string, readonly string[], RegExp][] = [
    ['wrong key', ['--encryption-key-file', wrong], /wrong encryption key: key id 1 in/],
    ['no key', [], /is encrypted .* start the node with --encryption-key-file/],
  ];
  for (const [what, args, message] of attempts) {
    const before = readFileSync(n1.logFile, 'utf8').length;
    const child = startNodeProcess(n1, {}, args);
    assert.is(await exitOf(child), 1, `${what}: exit code 1`);
    const output = readFileSync(n1.logFile, 'utf8').slice(before);
    assert.match(output, message, `${what}: ${output}`);
    assert.match(output, /CAIRN_ERR_ENCRYPTION_KEY|encryption/i);
  }
  await cluster.restart('n1');
  await cluster.waitForLeader();
  const inline = markerContent(inlineMarker, 3000);
  assert.ok((await readAll(cluster, 'secret/inline', 'n1')).equals(inline));
  const chunked = await readAll(cluster, 'secret/chunked', 'n1');
  assert.ok(chunked.equals(markerContent(chunkMarker, chunkedBytes)));
});

test.run();
