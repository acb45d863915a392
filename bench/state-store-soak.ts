// A soak of the state store under the node's write pattern (issue 13 item 5, the LMDB
// freelist failure). Not a test: a bounded benchmark run outside CI.
//
// It makes the calls a meta group leader makes under a load of small puts, through the
// real MetaStateMachine: batches of 1 to 64 committed entries (one driver iteration each)
// go to apply(), each entry a putObject of a 256 B inline value with a random request id
// (about 63% of the keys new, the rest overwrites of earlier keys); a few reads between
// batches, as the client server does; and every 10,000 entries capture() (one snapshot
// read of the whole store) then flush(), as takeSnapshot does before compacting the log.
// With --objects-max M, once M objects exist each new key also deletes the oldest object
// (a deleteObject entry), which keeps the state, and so every snapshot read, bounded.
//
// Run: npx tsx bench/state-store-soak.ts [--puts N] [--seed S] [--snapshot-every E]
//        [--batch-max B] [--objects-max M] [--directory DIR]
// Prints a JSON line every 10 snapshots and a summary line; exits 1 on a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCommand, type MemberSpec, type MetaCommand } from '../src/meta/commands.js';
import { readObject } from '../src/meta/index.js';
import { MetaStateMachine } from '../src/node/meta-state-machine.js';
import type { Entry } from '../src/raft/index.js';
import { StateStore } from '../src/storage/state-store.js';
import { Prng } from '../src/util/prng.js';

const { values: flags } = parseArgs({
  options: {
    puts: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '13' },
    'snapshot-every': { type: 'string', default: '10000' },
    'batch-max': { type: 'string', default: '64' },
    'objects-max': { type: 'string', default: '0' },
    directory: { type: 'string' },
  },
});
const putsTotal = Number(flags.puts);
const seed = Number(flags.seed);
const snapshotEveryEntries = Number(flags['snapshot-every']);
const batchEntriesMax = Number(flags['batch-max']);
const objectsMax = Number(flags['objects-max']);
const valueBytes = 256;
const newKeyProbability = 0.63;
const readsPerBatch = 4;

/** Object keys in a scattered order (a load generator's keys are not sequential). */
const keyOf = (number: number): string =>
  `soak/${(Math.imul(number, 2654435761) >>> 0).toString(16).padStart(8, '0')}-${number}`;

function uuidFrom(prng: Prng): string {
  const hex = (): string => prng.nextUint32().toString(16).padStart(8, '0');
  const text = hex() + hex() + hex() + hex();
  return [
    text.slice(0, 8),
    text.slice(8, 12),
    `4${text.slice(13, 16)}`,
    text.slice(16, 20),
    text.slice(20),
  ].join('-');
}

function randomValue(prng: Prng): Uint8Array {
  const value = new Uint8Array(valueBytes);
  for (let b = 0; b < valueBytes; b += 4) {
    const word = prng.nextUint32();
    value[b] = word & 0xff;
    value[b + 1] = (word >>> 8) & 0xff;
    value[b + 2] = (word >>> 16) & 0xff;
    value[b + 3] = word >>> 24;
  }
  return value;
}

interface SoakState {
  keysCreated: number;
  keysDeleted: number;
  nextIndex: number;
}

const member = (id: string, port: number): MemberSpec => ({
  id,
  clientAddress: `127.0.0.1:${port}`,
  peerAddress: `127.0.0.1:${port + 1}`,
  zone: 'zone-a',
  weight: 1,
  role: 'voter',
});
const bootstrapCommand: MetaCommand = {
  type: 'bootstrapCluster',
  clusterId: 'soak',
  replicationFactor: 3,
  vnodesPerWeightUnit: 16,
  members: [member('n1', 7000), member('n2', 7010), member('n3', 7020)],
};

function nextEntry(state: SoakState, command: MetaCommand): Entry {
  return { term: 1, index: state.nextIndex++, type: 'normal', data: encodeCommand(command) };
}

/** One driver iteration's committed entries: `size` puts, and deletes past objects-max. */
function nextBatch(prng: Prng, state: SoakState, size: number): Entry[] {
  const entry = (command: MetaCommand): Entry => nextEntry(state, command);
  const batch: Entry[] = [];
  for (let i = 0; i < size; i++) {
    const live = state.keysCreated - state.keysDeleted;
    const fresh = live === 0 || prng.chance(newKeyProbability);
    const number = fresh
      ? state.keysCreated++
      : prng.nextIntegerInclusive(state.keysDeleted, state.keysCreated - 1);
    const value = { kind: 'inline', bytes: randomValue(prng) } as const;
    const requestId = uuidFrom(prng);
    batch.push(entry({ type: 'putObject', key: keyOf(number), value, requestId }));
    if (fresh && objectsMax > 0 && live + 1 > objectsMax) {
      const oldest = keyOf(state.keysDeleted++);
      batch.push(entry({ type: 'deleteObject', key: oldest, requestId: uuidFrom(prng) }));
    }
  }
  return batch;
}

async function main(): Promise<void> {
  const base = flags.directory ?? mkdtempSync(join(tmpdir(), 'cairn-soak-'));
  const store = StateStore.open(join(base, 'state'));
  const machine = new MetaStateMachine(store);
  const prng = new Prng(seed);
  const state: SoakState = { keysCreated: 0, keysDeleted: 0, nextIndex: store.appliedIndex() + 1 };
  const figures = { snapshots: 0, snapshotBytes: 0, snapshotMillisecondsMax: 0, rssBytesMax: 0 };
  await machine.apply([nextEntry(state, bootstrapCommand)]);
  let lastSnapshotAt = 0;
  let puts = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let failure = '';
  try {
    while (puts < putsTotal) {
      const size = Math.min(prng.nextIntegerInclusive(1, batchEntriesMax), putsTotal - puts);
      const batch = nextBatch(prng, state, size);
      const results = await machine.apply(batch);
      for (const result of results.values()) {
        const type = (result as { type?: string }).type;
        if (type !== 'ok') throw new Error(`a soak command was refused: ${JSON.stringify(result)}`);
      }
      puts += size;
      for (let r = 0; r < readsPerBatch; r++) {
        const number = prng.nextIntegerInclusive(state.keysDeleted, state.keysCreated - 1);
        readObject(machine.reader(), keyOf(number));
      }
      if (state.nextIndex - 1 - lastSnapshotAt >= snapshotEveryEntries) {
        lastSnapshotAt = state.nextIndex - 1;
        const snapshotStarted = performance.now();
        const captured = await machine.capture();
        await machine.flush();
        figures.snapshots++;
        figures.snapshotBytes = captured.data.length;
        const milliseconds = performance.now() - snapshotStarted;
        figures.snapshotMillisecondsMax = Math.max(figures.snapshotMillisecondsMax, milliseconds);
        figures.rssBytesMax = Math.max(figures.rssBytesMax, process.memoryUsage().rss);
        if (figures.snapshots % 10 === 0) console.log(JSON.stringify({ puts, ...figures }));
      }
      // The node's loop runs one iteration per event-loop turn at most.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await machine.flush();
  } catch (error) {
    failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const appliedIndex = store.appliedIndex();
  await store.close().catch(() => undefined);
  if (flags.directory === undefined) rmSync(base, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      outcome: failure === '' ? 'ok' : 'failed',
      failure,
      puts,
      appliedIndex,
      seconds: Number(seconds.toFixed(1)),
      putsPerSecond: Math.round(puts / seconds),
      // CPU time is what the speed work can compare on a shared machine.
      cpuSeconds: Number(cpuSeconds.toFixed(1)),
      putsPerCpuSecond: Math.round(puts / cpuSeconds),
      snapshots: figures.snapshots,
      lastSnapshotBytes: figures.snapshotBytes,
      snapshotMillisecondsMax: Math.round(figures.snapshotMillisecondsMax),
      rssMebibytesMax: Math.round(figures.rssBytesMax / 1024 ** 2),
    }),
  );
  if (failure !== '') process.exitCode = 1;
}

await main();
