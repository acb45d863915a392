// Backup and restore on real processes (issue 18): a backup taken while writes go on
// holds the listing at its revision exactly; a second backup copies only new chunks; an
// interrupted backup copies nothing twice when run again; verify finds a corrupt chunk
// (--level data) and a missing one (--level meta), naming the object; restore into a
// new 3-node cluster gives every object byte for byte, with revisions above the
// backup's; a cluster with data is refused; --prefix brings deleted keys back.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CairnClient } from '../../src/client/index.js';
import { deterministicBytes, TestCluster } from './harness.js';

const entry = new URL('../../bin/run.js', import.meta.url).pathname;
const test = suite<{ source?: TestCluster; target?: TestCluster; dest?: string }>('backup');

/** Sizes: inline, one chunk, several chunks (4 MiB chunks). */
const objects = [
  ...Array.from({ length: 12 }, (_, i) => ({ key: `docs/${i}`, size: 700 + i })),
  ...Array.from({ length: 6 }, (_, i) => ({ key: `media/${i}`, size: 150_000 + i * 1000 })),
  { key: 'media/big', size: 9 * 1024 * 1024 + 17 },
];

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The CLI, without blocking this process (a write load runs beside it). */
function cli(
  args: readonly string[],
  endpoints: string,
  killAfterMilliseconds?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, NO_COLOR: '1', CAIRN_ENDPOINTS: endpoints },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (piece) => {
      stdout += String(piece);
    });
    child.stderr.on('data', (piece) => {
      stderr += String(piece);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMilliseconds ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function readAll(client: CairnClient, key: string): Promise<Buffer> {
  const { body } = await client.getObject(key);
  const parts: Buffer[] = [];
  for await (const piece of body) parts.push(piece as Buffer);
  return Buffer.concat(parts);
}

function chunkFiles(dest: string): string[] {
  const root = join(dest, 'chunks');
  return readdirSync(root).flatMap((folder) => readdirSync(join(root, folder)));
}

test.before(async (context) => {
  context.source = await TestCluster.start('backup-source', 3);
  context.dest = mkdtempSync(join(tmpdir(), 'cairn-backup-dest-'));
  const client = context.source.client();
  try {
    for (const [index, object] of objects.entries())
      await client.putObject(object.key, deterministicBytes(index + 1, object.size));
  } finally {
    await client.close();
  }
});

test.after(async (context) => {
  await context.source?.destroy();
  await context.target?.destroy();
  if (context.dest !== undefined) rmSync(context.dest, { recursive: true, force: true });
});

test('an interrupted backup resumes and copies nothing twice', async (context) => {
  const { source, dest } = context as Required<typeof context>;
  const endpoints = source.endpoints();
  // At 1 MiB/s the 10 MiB of chunks take about ten seconds: stop it after three.
  const cut = await cli(['backup', 'create', dest, '--rate', '1MiB', '--json'], endpoints, 3_000);
  assert.is.not(cut.code, 0, 'the first run was cut');
  const copiedBefore = chunkFiles(dest).length;
  assert.ok(copiedBefore >= 1, `the cut run copied some chunks (${copiedBefore})`);
  const again = await cli(['backup', 'create', dest, '--json'], endpoints);
  assert.is(again.code, 0, again.stderr);
  const summary = JSON.parse(again.stdout) as { chunksCopied: number; chunksSkipped: number };
  assert.is(summary.chunksSkipped, copiedBefore, 'what the cut run copied is skipped');
  assert.is(summary.chunksCopied + summary.chunksSkipped, chunkFiles(dest).length);
});

test('a backup during writes holds the listing at its revision; a second copies only new chunks', async (context) => {
  const { source, dest } = context as Required<typeof context>;
  const client = source.client();
  let writing = true;
  const load = (async () => {
    for (let i = 0; writing && i < 100_000; i++)
      await client.putObject(`load/${i % 50}`, deterministicBytes(1000 + i, 500));
  })();
  const made = await cli(['backup', 'create', dest, '--json'], source.endpoints());
  writing = false;
  await load;
  try {
    assert.is(made.code, 0, made.stderr);
    const backup = JSON.parse(made.stdout) as { id: string; revision: number; objects: number };
    const listed: string[] = [];
    for await (const page of client.listAllObjects('', { atRevision: backup.revision }))
      for (const item of page.items) listed.push(`${item.key} ${item.sha256}`);
    const exported = (await import('node:fs'))
      .readFileSync(join(dest, 'backups', backup.id, 'objects.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .slice(1, -1)
      .map((line) => JSON.parse(line) as { key: string; sha256: string })
      .map((object) => `${object.key} ${object.sha256}`);
    assert.equal(exported, listed, 'the backup is the listing at its revision');
    assert.ok(
      exported.some((line) => line.startsWith('load/')),
      'writes went on during it',
    );
    const verified = await cli(['backup', 'verify', dest, '--level', 'data'], source.endpoints());
    assert.is(verified.code, 0, verified.stdout + verified.stderr);
    await client.putObject('media/new', deterministicBytes(77, 200_000));
    const second = await cli(['backup', 'create', dest, '--json'], source.endpoints());
    assert.is(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as { chunksCopied: number; bytesCopied: number };
    assert.is(summary.chunksCopied, 1, 'only the new object chunk is copied');
    assert.is(summary.bytesCopied, 200_000);
    const list = await cli(['backup', 'list', dest, '--json'], source.endpoints());
    // The resumed one of the first test, and these two.
    assert.is((JSON.parse(list.stdout) as unknown[]).length, 3, 'three finished backups');
  } finally {
    await client.close();
  }
});

test('restore into a new cluster: every object byte for byte, revisions above the backup', async (context) => {
  const { source, dest } = context as Required<typeof context>;
  const target = await TestCluster.start('backup-target', 3);
  context.target = target;
  const restored = await cli(['backup', 'restore', dest, '--json'], target.endpoints());
  assert.is(restored.code, 0, restored.stderr);
  const summary = JSON.parse(restored.stdout) as {
    backupRevision: number;
    revisionBase: number;
    objectsWritten: number;
    objectsVerified: number;
  };
  assert.is(summary.revisionBase, summary.backupRevision);
  assert.is(summary.objectsVerified, summary.objectsWritten);
  const from = source.client();
  const to = target.client();
  try {
    for (const object of [...objects, { key: 'media/new', size: 200_000 }]) {
      const [original, copy] = [await readAll(from, object.key), await readAll(to, object.key)];
      assert.is(sha256(copy), sha256(original), object.key);
      const head = await to.headObject(object.key);
      assert.ok(head.version > summary.backupRevision, `${object.key} version above the backup`);
    }
    const again = await cli(['backup', 'restore', dest], target.endpoints());
    assert.is(again.code, 1, 'a cluster with data is refused');
    assert.match(again.stderr, /CONFLICT|has objects/);
    for (let i = 0; i < 12; i++) await to.deleteObject(`docs/${i}`);
    const prefixed = await cli(
      ['backup', 'restore', dest, '--prefix', 'docs/', '--json'],
      target.endpoints(),
    );
    assert.is(prefixed.code, 0, prefixed.stderr);
    assert.is((JSON.parse(prefixed.stdout) as { objectsWritten: number }).objectsWritten, 12);
    assert.is(sha256(await readAll(to, 'docs/3')), sha256(await readAll(from, 'docs/3')));
  } finally {
    await from.close();
    await to.close();
  }
});

test('verify names the object of a corrupt chunk (data) and of a missing one (meta)', async (context) => {
  const { dest } = context as Required<typeof context>;
  const big = deterministicBytes(objects.length, 9 * 1024 * 1024 + 17);
  const firstChunk = sha256(big.subarray(0, 4 * 1024 * 1024));
  const path = join(dest, 'chunks', firstChunk.slice(0, 2), firstChunk);
  assert.ok(statSync(path).size === 4 * 1024 * 1024, 'the big object first chunk is in DEST');
  const damaged = Buffer.from(big.subarray(0, 4 * 1024 * 1024));
  damaged[1000] = (damaged[1000] as number) ^ 1;
  writeFileSync(path, damaged);
  const meta = await cli(['backup', 'verify', dest, '--level', 'meta'], '');
  assert.is(meta.code, 0, 'a same-size corruption is not a meta problem');
  const data = await cli(['backup', 'verify', dest, '--level', 'data'], '');
  assert.is(data.code, 1, data.stdout + data.stderr);
  assert.match(data.stderr, /object "media\/big": chunk [0-9a-f]+ is corrupt/);
  rmSync(path);
  const missing = await cli(['backup', 'verify', dest, '--level', 'meta'], '');
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /object "media\/big": chunk [0-9a-f]+ is missing/);
});

test.run();
