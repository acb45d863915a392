// Watch (src/node/watch-hub.ts, GET /v1/watch): whole revisions in order from the
// retained history, the start rules (next, oldest, 410 below the history), progress
// lines, the slow-consumer cancel and the end of watches on a node without a leader.
import type { Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import type { WatchLine } from '../../src/api/index.js';
import type { MetaCommand } from '../../src/meta/commands.js';
import { applyCommandReporting } from '../../src/meta/state-machine.js';
import type { MemoryMetaStore } from '../../src/meta/store.js';
import { WatchHub, type WatchSink } from '../../src/node/watch-hub.js';
import { serveWatch } from '../../src/node/watch-service.js';
import { createClientServer } from '../../src/server/client-server.js';
import { CompactedError } from '../../src/util/errors.js';
import { bootstrappedStore, inline } from '../meta/helpers.js';
import { closeServer, listenOn, waitFor } from '../helpers/wait.js';
import { standInClientHandlers, standInLeadership } from './stand-in-ports.js';

interface Fixture {
  readonly store: MemoryMetaStore;
  readonly hub: WatchHub;
  clock: number;
  leader: boolean;
  index: number;
  apply(command: MetaCommand): number;
}

function fixture(options: { bufferBytesMax?: number; revisionsMax?: number } = {}): Fixture {
  const store = bootstrappedStore();
  const state = { clock: 1_000, leader: true };
  const hub = new WatchHub({
    reader: () => store,
    leaderKnown: () => state.leader,
    now: () => state.clock,
    bufferBytesMax: options.bufferBytesMax ?? 1 << 20,
    slowConsumerMillisecondsMax: 5_000,
    progressIntervalMilliseconds: 1_000,
  });
  const result: Fixture = {
    store,
    hub,
    get clock() {
      return state.clock;
    },
    set clock(value: number) {
      state.clock = value;
    },
    get leader() {
      return state.leader;
    },
    set leader(value: boolean) {
      state.leader = value;
    },
    index: 1,
    apply(command) {
      const retention = { revisionsMax: options.revisionsMax ?? 10_000, bytesMax: 1 << 30 };
      const applied = applyCommandReporting(command, ++result.index, store, { retention });
      hub.notify();
      return applied.revision;
    },
  };
  return result;
}

class ArraySink implements WatchSink {
  readonly lines: WatchLine[] = [];
  ended = false;
  pending = 0;
  /** When set, written bytes stay pending (a consumer that reads nothing). */
  stalled = false;
  write(line: string): void {
    this.lines.push(JSON.parse(line) as WatchLine);
    if (this.stalled) this.pending += line.length + 1;
  }
  bufferedBytes(): number {
    return this.pending;
  }
  end(): void {
    this.ended = true;
  }
}

const put = (key: string, text = 'v'): MetaCommand => ({
  type: 'putObject',
  key,
  value: inline(text),
  requestId: '',
});

const putObject = (key: string) =>
  ({ type: 'putObject', key, value: inline('v'), requestId: '' }) as const;

function eventsOf(lines: readonly WatchLine[]): string[] {
  return lines
    .filter((line) => line.type === 'put' || line.type === 'delete')
    .map((line) => `${line.revision} ${line.type} ${'key' in line ? line.key : ''}`);
}

test('a watch sends whole revisions in order, filtered by prefix, from the next revision', () => {
  const f = fixture();
  f.apply(put('a/0'));
  const sink = new ArraySink();
  const start = f.hub.startRevision({ prefix: 'a/' });
  f.hub.add('a/', start, sink);
  assert.equal(sink.lines[0], { type: 'progress', revision: start - 1 });
  const first = f.apply(put('a/1'));
  f.apply(put('b/1'));
  const batch = f.apply({ type: 'batch', commands: [put('a/2'), put('a/3'), put('b/2')] as never });
  f.apply({ type: 'deleteObject', key: 'a/1', requestId: '' });
  assert.equal(eventsOf(sink.lines), [
    `${first} put a/1`,
    `${batch} put a/2`,
    `${batch} put a/3`,
    `${batch + 1} delete a/1`,
  ]);
  const end = sink.lines.find((line) => line.type === 'end');
  assert.equal(end, { type: 'end', revision: batch, events: 2 });
  const deleted = sink.lines.find((line) => line.type === 'delete');
  assert.is(deleted?.type === 'delete' && deleted.previous?.version, first);
});

test('fromRevision=1 starts at the oldest retained; below the history is COMPACTED', () => {
  const f = fixture({ revisionsMax: 5 });
  for (let step = 0; step < 100; step++) f.apply(put(`k/${step % 7}`, `${step}`));
  const oldest = f.hub.startRevision({ prefix: '', fromRevision: 1 });
  assert.ok(oldest > 20, `history compacted to ${oldest}`);
  assert.throws(
    () => f.hub.startRevision({ prefix: '', fromRevision: oldest - 1 }),
    (error: unknown) =>
      error instanceof CompactedError && error.details['oldestRevision'] === oldest,
  );
  const sink = new ArraySink();
  f.hub.add('', oldest, sink);
  const revisions = eventsOf(sink.lines).map((line) => Number(line.split(' ')[0]));
  assert.is(revisions[0], oldest);
  assert.is(revisions.length, 101 - oldest + 1, 'every retained revision, once');
});

test('an idle watch sends progress every interval; a node without leader ends it', () => {
  const f = fixture();
  const sink = new ArraySink();
  f.hub.add('', f.hub.startRevision({ prefix: '' }), sink);
  const revision = f.apply(put('x'));
  f.clock += 1_000;
  f.hub.tick();
  assert.equal(sink.lines.at(-1), { type: 'progress', revision });
  f.leader = false;
  f.hub.tick();
  assert.equal(sink.lines.at(-1), { type: 'canceled', reason: 'noLeader', lastRevision: revision });
  assert.ok(sink.ended);
  assert.is(f.hub.size, 0);
  assert.throws(() => f.hub.startRevision({ prefix: '' }), /no leader/);
});

test('a consumer that keeps its buffer full is canceled with its last whole revision', () => {
  const f = fixture({ bufferBytesMax: 2_000 });
  const sink = new ArraySink();
  f.hub.add('', f.hub.startRevision({ prefix: '' }), sink);
  sink.stalled = true;
  let last = 0;
  for (let step = 0; step < 200; step++) last = f.apply(put(`k/${step}`));
  const sent = eventsOf(sink.lines);
  assert.ok(sent.length > 0 && sent.length < 200, `${sent.length} events sent before full`);
  f.clock += 4_999;
  f.hub.tick();
  assert.not.ok(sink.ended, 'not before the limit');
  f.clock += 1;
  f.hub.tick();
  const final = sink.lines.at(-1);
  assert.ok(final?.type === 'canceled' && final.reason === 'slow');
  const lastSent = Number((sent.at(-1) as string).split(' ')[0]);
  assert.is(final?.type === 'canceled' && final.lastRevision, lastSent);
  assert.ok(lastSent < last, 'the consumer was behind');
  assert.is(eventsOf(sink.lines).length, sent.length, 'nothing after the cancel but the line');
});

test('GET /v1/watch streams NDJSON and answers 410 COMPACTED below the history', async () => {
  const f = fixture({ revisionsMax: 3 });
  for (let step = 0; step < 80; step++) f.apply(put(`k/${step}`));
  const server: Server = createClientServer({
    handlers: standInClientHandlers({
      watch: ({ query, request: incoming, response }) =>
        serveWatch(f.hub, query, incoming, response),
    }),
    leadership: standInLeadership(),
  });
  const address = await listenOn(server);
  try {
    const gone = await request(`http://${address}/v1/watch?prefix=k%2F&fromRevision=2`);
    assert.is(gone.statusCode, 410);
    const body = (await gone.body.json()) as { error: { code: string; details: object } };
    assert.is(body.error.code, 'COMPACTED');
    const answer = await request(`http://${address}/v1/watch?prefix=k%2F`);
    assert.is(answer.statusCode, 200);
    assert.is(answer.headers['content-type'], 'application/x-ndjson');
    const lines: WatchLine[] = [];
    let text = '';
    const revision = f.apply(put('k/new'));
    for await (const piece of answer.body) {
      text += piece.toString();
      const parts = text.split('\n');
      text = parts.pop() ?? '';
      for (const part of parts) lines.push(JSON.parse(part) as WatchLine);
      if (lines.some((line) => line.type === 'put')) break;
    }
    assert.equal(eventsOf(lines), [`${revision} put k/new`]);
    answer.body.destroy();
    await waitFor('the hub to forget a consumer that went away', () => f.hub.size === 0);
  } finally {
    await closeServer(server);
  }
});

test('watchers at one cursor share each read of the history; each gets its prefix, whole', () => {
  const f = fixture({ bufferBytesMax: 4_000 });
  let eventReads = 0;
  const reader = f.store;
  const counting = new Proxy(reader, {
    get(target, name, receiver) {
      if (name !== 'rangeEntries') return Reflect.get(target, name, receiver);
      return (...args: Parameters<MemoryMetaStore['rangeEntries']>) => {
        if (args[0] === 'e/') eventReads++;
        return target.rangeEntries(...args);
      };
    },
  });
  const hub = new WatchHub({
    reader: () => counting,
    leaderKnown: () => true,
    now: () => f.clock,
    bufferBytesMax: 4_000,
  });
  const sinks = Array.from({ length: 50 }, () => new ArraySink());
  const everything = new ArraySink();
  const slow = new ArraySink();
  sinks.forEach((sink, index) => hub.add(`p${index}/`, hub.startRevision({ prefix: '' }), sink));
  hub.add('', hub.startRevision({ prefix: '' }), everything);
  hub.add('p7/', hub.startRevision({ prefix: '' }), slow);
  slow.stalled = true;
  slow.pending = 4_000; // full from the start: it falls behind the others
  const written: string[] = [];
  for (let round = 0; round < 20; round++) {
    const revision = f.apply({
      type: 'batch',
      commands: [
        putObject(`p${round % 50}/a${round}`),
        putObject(`p${(round * 7) % 50}/b${round}`),
      ],
    });
    written.push(
      `${revision} p${round % 50}/a${round}`,
      `${revision} p${(round * 7) % 50}/b${round}`,
    );
    eventReads = 0;
    hub.notify();
    assert.ok(
      eventReads <= 2,
      `one read of the history per wake-up, not per watcher: ${eventReads}`,
    );
  }
  for (let index = 0; index < sinks.length; index++) {
    const want = written
      .filter((line) => line.split(' ')[1]?.startsWith(`p${index}/`))
      .map((line) => `${line.split(' ')[0]} put ${line.split(' ')[1]}`);
    assert.equal(eventsOf((sinks[index] as ArraySink).lines), want, `p${index}/`);
    // A revision with two events under one prefix carries its end marker.
    for (const line of (sinks[index] as ArraySink).lines)
      if (line.type === 'put')
        assert.is(line.events, want.filter((w) => w.startsWith(`${line.revision} `)).length);
  }
  assert.is(eventsOf(everything.lines).length, 40);
  assert.is(eventsOf(slow.lines).length, 0, 'the full one got nothing yet');
  slow.stalled = false;
  slow.pending = 0;
  hub.notify();
  const wantSlow = written
    .filter((line) => line.split(' ')[1]?.startsWith('p7/'))
    .map((line) => `${line.split(' ')[0]} put ${line.split(' ')[1]}`);
  assert.equal(eventsOf(slow.lines), wantSlow, 'the slow one catches up, no gap');
});

test('values=true: put events of inline objects carry their bytes while still current', () => {
  const f = fixture();
  const withValues = new ArraySink();
  const without = new ArraySink();
  const late = new ArraySink();
  f.hub.add('c/', f.hub.startRevision({ prefix: 'c/' }), withValues, { values: true });
  f.hub.add('c/', f.hub.startRevision({ prefix: 'c/' }), without);
  const first = f.apply(put('c/a', 'hello'));
  f.apply({
    type: 'putObject',
    key: 'c/bin',
    value: { kind: 'inline', bytes: new Uint8Array([0xff, 0xfe]) },
    requestId: '',
  });
  f.apply(put('c/a', 'again'));
  const puts = (sink: ArraySink) => sink.lines.filter((line) => line.type === 'put');
  assert.equal(
    puts(withValues).map((line) => [line.key, line.value, line.valueText]),
    [
      ['c/a', Buffer.from('hello').toString('base64'), 'hello'],
      ['c/bin', Buffer.from([0xff, 0xfe]).toString('base64'), undefined],
      ['c/a', Buffer.from('again').toString('base64'), 'again'],
    ],
  );
  assert.ok(
    puts(without).every((line) => line.value === undefined && line.valueText === undefined),
  );
  // A watch replaying an overwritten version gets no bytes for it (the history keeps none).
  f.hub.add('c/', first, late, { values: true });
  const replayed = puts(late).map((line) => [line.revision, line.valueText]);
  assert.is(replayed[0]?.[0], first);
  assert.is(replayed[0]?.[1], undefined, 'version since overwritten: no value');
  assert.is(replayed.at(-1)?.[1], 'again');
});

test.run();
