// Crash tests on the real file system: a child process appends and syncs WAL records,
// reporting each sync; it is killed with SIGKILL at random moments and restarted.
// Every reported record must be present and intact; nothing else may be half-present.
// 15 rounds by default (CAIRN_CRASH_ROUNDS to change): each starts a child through tsx,
// ~0.6 s on a quiet machine, up to ~1.7 s when the 2 shared cores are saturated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RealDisk } from '../../src/storage/real-disk.js';
import { Prng } from '../../src/util/prng.js';
import { runAndKill } from './crash-child.js';
import { crashWalOptions, walRecordPayload } from './fixtures/crash-workload.js';
import { bytesEqual, openWal, temporaryDirectory } from './helpers.js';

const rounds = Number(process.env['CAIRN_CRASH_ROUNDS'] ?? 15);
const seed = Number(process.env['CAIRN_CRASH_SEED'] ?? 20261123);
const fixture = new URL('./fixtures/wal-writer.ts', import.meta.url).pathname;

test(`WAL: SIGKILL at random moments loses no synced record (${rounds} rounds, seed ${seed})`, async () => {
  const prng = new Prng(seed);
  const directory = temporaryDirectory('wal-crash');
  try {
    let durable = 0;
    let segmentsSeen = 0;
    for (let round = 0; round < rounds; round++) {
      const { lines } = await runAndKill(
        fixture,
        [directory.path, String(prng.nextUint32())],
        prng.nextIntegerInclusive(1, 15),
      );
      const start = Number(/^start (\d+)$/.exec(lines[0] ?? '')?.[1]);
      assert.ok(
        start >= durable,
        `round ${round}: the child found ${start} records, ${durable} were reported before`,
      );
      for (const line of lines.slice(1)) {
        const match = /^synced (\d+)$/.exec(line);
        assert.ok(match !== null, `round ${round}: unexpected line ${line}`);
        durable = Math.max(durable, Number(match[1]));
      }
      const { wal, records } = await openWal(new RealDisk(), directory.path, crashWalOptions);
      assert.ok(
        records.length >= durable,
        `round ${round} (seed ${seed}): ${records.length} records after the crash, ${durable} were reported synced`,
      );
      records.forEach((record, n) => {
        if (!bytesEqual(record.payload, walRecordPayload(n)))
          assert.unreachable(`round ${round} (seed ${seed}): record ${n} is damaged`);
      });
      segmentsSeen = Math.max(segmentsSeen, wal.segments().length);
      await wal.close();
      // Records beyond the reported ones were written but unacknowledged: whole, as checked.
      durable = records.length;
    }
    assert.ok(segmentsSeen > 1, 'the workload spans several segments');
  } finally {
    directory.remove();
  }
});

test.run();
