// Memory and time of a streamed snapshot (issue 18). Not a test: a bounded benchmark run
// outside CI. Fills a state store with N records of 2,000 bytes, captures it to a
// snapshot file through the real MetaStateMachine (1 MiB pieces), installs the file
// into a second store, and reports the file size, the peak of heapUsed + arrayBuffers
// (JavaScript memory; LMDB's memory map is not in it) during each step, and the times.
//
// Run: npx tsx bench/snapshot-memory.ts [--records N]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MetaStateMachine } from '../src/node/meta-state-machine.js';
import { RealDisk } from '../src/storage/real-disk.js';
import { SnapshotFiles } from '../src/storage/snapshot-files.js';
import { StateStore } from '../src/storage/state-store.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' } } });
const records = Number(values.records);
const root = mkdtempSync(join(tmpdir(), 'cairn-snapshot-memory-'));
const mebibytes = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const javascriptBytes = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};
try {
  const source = StateStore.open(join(root, 'source'));
  const target = StateStore.open(join(root, 'target'));
  const value = new Uint8Array(2000).fill(5);
  for (let index = 0; index < records; index += 1000) {
    const entries = Array.from({ length: Math.min(1000, records - index) }, (_, offset) => ({
      index: index + offset + 1,
      term: 1,
    }));
    await source.applyBatch(entries, (entry, writer) => writer.put(`o/${entry.index}`, value));
  }
  await source.flush();
  const files = await SnapshotFiles.open(new RealDisk(), join(root, 'snapshots'));
  const snapshots = { files, pieceBytes: 1024 * 1024 };
  const leader = new MetaStateMachine(source, { snapshots });
  const follower = new MetaStateMachine(target, { snapshots });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, javascriptBytes());
  }, 2);
  const base = javascriptBytes();
  let started = performance.now();
  const captured = await leader.capture();
  const capture = { seconds: (performance.now() - started) / 1000, peakMiB: mebibytes(peak) };
  peak = 0;
  started = performance.now();
  const metadata = { index: captured.index, term: 1, confState: captured.confState };
  await follower.installSnapshot({ metadata, data: captured.data });
  const install = { seconds: (performance.now() - started) / 1000, peakMiB: mebibytes(peak) };
  clearInterval(sampler);
  const latest = await files.latest();
  const fileMiB = latest === null ? 0 : mebibytes(statSync(latest.path).size);
  console.log(JSON.stringify({ records, fileMiB, baseMiB: mebibytes(base), capture, install }));
  await source.close();
  await target.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
