// `cairn backup verify` on a hand-made destination (no cluster): the three levels and
// what each finds, each problem naming its file or object; an export cut before its
// trailer is refused.
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBackup } from '../../src/cli/backup.js';
import { pruneBackups } from '../../src/cli/backup-prune.js';
import { BackupDestination, chunkPath, rootHashOf } from '../../src/cli/backup-store.js';
import { temporaryDirectory } from '../storage/helpers.js';

const sha256 = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** A destination with one backup of two chunked objects sharing a chunk, and one inline. */
async function destination(exportText?: string): Promise<{
  root: string;
  remove: () => void;
  chunks: string[];
}> {
  const directory = temporaryDirectory('backup-verify');
  const store = new BackupDestination(directory.path);
  await store.prepare();
  const pieces = [Buffer.alloc(3000, 1), Buffer.alloc(2000, 2)];
  const chunks = pieces.map((piece) => sha256(piece));
  const files = [];
  for (const [index, piece] of pieces.entries())
    files.push(await store.writeFile(chunkPath(chunks[index] as string), [piece]));
  const lines = [
    { format: 'cairn-backup-objects', version: 1, clusterId: 'c', revision: 9, appliedIndex: 12 },
    { key: 'a', version: 3, size: 3000, sha256: 'x', chunks: [[chunks[0], 3000]] },
    {
      key: 'b',
      version: 4,
      size: 5000,
      sha256: 'y',
      chunks: [
        [chunks[0], 3000],
        [chunks[1], 2000],
      ],
    },
    { key: 'c', version: 5, size: 2, sha256: 'z', inline: 'aGk=' },
    { end: true, objects: 3, bytes: 8002 },
  ];
  const text = exportText ?? `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
  const exported = await store.writeFile('backups/b1/objects.ndjson', [text]);
  const all = [exported, ...files];
  const manifest = { format: 'cairn-backup', version: 1, id: 'b1', clusterId: 'c', revision: 9 };
  const full = { ...manifest, createdAt: '', objects: 3, bytes: 8002, files: all };
  writeFileSync(
    join(directory.path, 'backups/b1/manifest.json'),
    JSON.stringify({ ...full, rootSha256: rootHashOf(all) }),
  );
  return { root: directory.path, remove: directory.remove, chunks };
}

test('an intact backup passes every level', async () => {
  const dest = await destination();
  try {
    for (const level of ['files', 'meta', 'data'] as const) {
      const report = await verifyBackup(dest.root, level);
      assert.equal(report.problems, [], level);
      assert.ok(report.ok);
    }
    const data = await verifyBackup(dest.root, 'data');
    assert.is(data.objectsChecked, 3);
    assert.is(data.chunksHashed, 2, 'a shared chunk is hashed once');
  } finally {
    dest.remove();
  }
});

test('a corrupt chunk is found by data only, a missing one by meta, naming each object', async () => {
  const dest = await destination();
  try {
    const path = join(dest.root, chunkPath(dest.chunks[0] as string));
    writeFileSync(path, Buffer.alloc(3000, 9));
    assert.ok((await verifyBackup(dest.root, 'meta')).ok, 'same size: meta does not read bytes');
    const data = await verifyBackup(dest.root, 'data');
    assert.not.ok(data.ok);
    assert.equal(data.problems, [
      `object "a": chunk ${dest.chunks[0]} is corrupt (SHA-256)`,
      `object "b": chunk ${dest.chunks[0]} is corrupt (SHA-256)`,
    ]);
    rmSync(join(dest.root, chunkPath(dest.chunks[1] as string)));
    const meta = await verifyBackup(dest.root, 'meta');
    assert.ok(meta.problems.includes(`object "b": chunk ${dest.chunks[1]} is missing`));
    assert.ok(meta.problems.some((problem) => problem.startsWith('file chunks/')));
  } finally {
    dest.remove();
  }
});

test('a changed export fails files; a cut one is refused', async () => {
  const dest = await destination();
  try {
    const exported = join(dest.root, 'backups/b1/objects.ndjson');
    const text = (await import('node:fs')).readFileSync(exported, 'utf8');
    writeFileSync(exported, text.replace('"key":"a"', '"key":"A"'));
    const files = await verifyBackup(dest.root, 'files');
    assert.equal(files.problems, [
      'file backups/b1/objects.ndjson: its SHA-256 does not match the manifest',
    ]);
  } finally {
    dest.remove();
  }
  const cut = await destination('{"format":"cairn-backup-objects","revision":9}\n{"key":"a"}\n');
  try {
    await verifyBackup(cut.root, 'meta').then(
      () => assert.unreachable('a cut export is refused'),
      (error: Error) => assert.match(error.message, /ends early/),
    );
  } finally {
    cut.remove();
  }
});

test('prune keeps the newest backups and the chunks they reference, nothing else', async () => {
  const dest = await destination();
  try {
    const store = new BackupDestination(dest.root);
    const lines = [
      {
        format: 'cairn-backup-objects',
        version: 1,
        clusterId: 'c',
        revision: 20,
        appliedIndex: 30,
      },
      { key: 'b', version: 4, size: 2000, sha256: 'y', chunks: [[dest.chunks[1], 2000]] },
      { end: true, objects: 1, bytes: 2000 },
    ];
    const text = `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
    const exported = await store.writeFile('backups/b2/objects.ndjson', [text]);
    const files = [
      exported,
      { path: chunkPath(dest.chunks[1] as string), bytes: 2000, sha256: dest.chunks[1] as string },
    ];
    const manifest = { format: 'cairn-backup', version: 1, id: 'b2', clusterId: 'c', revision: 20 };
    writeFileSync(
      join(dest.root, 'backups/b2/manifest.json'),
      JSON.stringify({
        ...manifest,
        createdAt: '',
        objects: 1,
        bytes: 2000,
        files,
        rootSha256: rootHashOf(files),
      }),
    );
    const summary = await pruneBackups(dest.root, 1);
    assert.equal(summary, { kept: ['b2'], removed: ['b1'], chunksRemoved: 1 });
    assert.is(await store.sizeOf(chunkPath(dest.chunks[0] as string)), null);
    assert.ok((await verifyBackup(dest.root, 'data')).ok, 'the kept backup is whole');
    assert.equal(
      (await store.manifests()).map((kept) => kept.id),
      ['b2'],
    );
  } finally {
    dest.remove();
  }
});

test.run();
