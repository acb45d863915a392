// The watches one node serves (DESIGN.md section 6c), from its applied state: each
// watcher reads the retained history (src/meta/events) from its own cursor, so what it
// sends is in revision order with no gap, whole revisions, whatever the node applied
// meanwhile. The hub only wakes watchers (an applied entry, a drained socket, a tick).
// A watcher whose consumer keeps its bounded buffer full past the limit, or falls
// below the retained history, is canceled with a final line; nothing is dropped
// silently. A node that knows no leader ends its watches (etcd's require-leader).
// Watchers at the same cursor (all the caught-up ones, usually) share one read of the
// history per wake-up and each takes its prefix's events from it: the history is
// decoded once per wake-up, not once per watcher (1,000 watchers: BENCHMARKS.md).

import type { WatchEventLine, WatchLine } from '../api/index.js';
import {
  getObject,
  type HistoryRange,
  historyRange,
  type ObjectInfo,
  type MetaReader,
  type RevisionEvents,
  readEvents,
  type StoredEvent,
} from '../meta/index.js';
import { assert } from '../util/assert.js';
import { CairnError, CompactedError } from '../util/errors.js';
import { limits } from '../util/limits.js';

/** Where a watcher's lines go: an HTTP response in the server, an array in tests. */
export interface WatchSink {
  /** Writes one line (the hub adds the newline). */
  write(line: string): void;
  /** Bytes written but not yet taken by the consumer. */
  bufferedBytes(): number;
  /** Ends the stream (after the final line). */
  end(): void;
}

export interface WatchHubOptions {
  readonly reader: () => MetaReader;
  /** Whether this node knows a leader of the meta group. */
  readonly leaderKnown: () => boolean;
  readonly now?: () => number;
  readonly bufferBytesMax?: number;
  readonly slowConsumerMillisecondsMax?: number;
  readonly progressIntervalMilliseconds?: number;
}

export interface WatchRequest {
  readonly prefix: string;
  /** Undefined: the next revision; 1: the oldest retained; else that revision. */
  readonly fromRevision?: number;
}

export type WatchEndReason = 'slow' | 'noLeader' | 'shutdown' | 'closed';

interface Watcher {
  readonly id: number;
  readonly prefix: string;
  /** Put events of inline objects carry their bytes (values=true). */
  readonly values: boolean;
  readonly sink: WatchSink;
  /** The next revision to send: every revision below it has been sent whole. */
  cursor: number;
  lastWriteAt: number;
  /** When the buffer was first seen full with revisions pending (undefined: not stuck). */
  stuckSince: number | undefined;
}

export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 1;
  private readonly now: () => number;
  private readonly bufferBytesMax: number;
  private readonly slowMilliseconds: number;
  private readonly progressMilliseconds: number;

  constructor(private readonly options: WatchHubOptions) {
    this.now = options.now ?? Date.now;
    this.bufferBytesMax = options.bufferBytesMax ?? limits.watchBufferBytesMax;
    this.slowMilliseconds =
      options.slowConsumerMillisecondsMax ?? limits.watchSlowConsumerMillisecondsMax;
    this.progressMilliseconds =
      options.progressIntervalMilliseconds ?? limits.watchProgressIntervalMilliseconds;
  }

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Checks the request against the retained history and returns the first revision
   * the watch sends (throws COMPACTED below the history, UNAVAILABLE without a leader).
   */
  startRevision(request: WatchRequest): number {
    if (!this.options.leaderKnown())
      throw new CairnError('CAIRN_ERR_UNAVAILABLE', 'this node knows no leader: watch elsewhere');
    if (this.watchers.size >= limits.watchersPerNodeMax)
      throw new CairnError(
        'CAIRN_ERR_UNAVAILABLE',
        `this node serves watchersPerNodeMax (${limits.watchersPerNodeMax}) watches`,
      );
    const range = historyRange(this.options.reader());
    const from = request.fromRevision;
    if (from === undefined) return range.revision + 1;
    assert(Number.isSafeInteger(from) && from >= 1, 'fromRevision is a positive integer');
    if (from === 1) return range.oldestRevision;
    if (from < range.oldestRevision)
      throw new CompactedError('fromRevision', from, range.oldestRevision);
    return from;
  }

  /** Adds a watcher from `cursor` (startRevision's answer); returns its id. */
  add(prefix: string, cursor: number, sink: WatchSink, options: { values?: boolean } = {}): number {
    const id = this.nextId++;
    const watcher: Watcher = {
      id,
      prefix,
      values: options.values === true,
      sink,
      cursor,
      lastWriteAt: this.now(),
      stuckSince: undefined,
    };
    this.watchers.set(id, watcher);
    this.send(watcher, { type: 'progress', revision: cursor - 1 });
    this.pump([watcher]);
    return id;
  }

  /** The consumer went away: forget the watcher (no final line, nobody reads it). */
  remove(id: number): void {
    this.watchers.delete(id);
  }

  /** Something was applied, or a consumer drained: send what is pending. */
  notify(id?: number): void {
    if (id !== undefined) {
      const watcher = this.watchers.get(id);
      if (watcher !== undefined) this.pump([watcher]);
      return;
    }
    this.pumpAll();
  }

  /** Pumps every watcher, those at one cursor together. */
  private pumpAll(): void {
    const byCursor = new Map<number, Watcher[]>();
    for (const watcher of this.watchers.values()) {
      const group = byCursor.get(watcher.cursor);
      if (group === undefined) byCursor.set(watcher.cursor, [watcher]);
      else group.push(watcher);
    }
    for (const group of byCursor.values()) this.pump(group);
  }

  /** Periodic: leader check, slow consumers, progress lines of idle watches. */
  tick(): void {
    if (!this.options.leaderKnown()) {
      for (const watcher of [...this.watchers.values()]) this.end(watcher, 'noLeader');
      return;
    }
    this.pumpAll();
    const now = this.now();
    for (const watcher of [...this.watchers.values()]) {
      if (watcher.stuckSince !== undefined && now - watcher.stuckSince >= this.slowMilliseconds) {
        this.end(watcher, 'slow');
        continue;
      }
      const idle = now - watcher.lastWriteAt >= this.progressMilliseconds;
      if (idle && watcher.sink.bufferedBytes() < this.bufferBytesMax)
        this.send(watcher, { type: 'progress', revision: watcher.cursor - 1 });
    }
  }

  /** Ends every watch with a final line (the node stops). */
  stopAll(reason: WatchEndReason = 'shutdown'): void {
    for (const watcher of [...this.watchers.values()]) this.end(watcher, reason);
  }

  private end(watcher: Watcher, reason: WatchEndReason): void {
    this.watchers.delete(watcher.id);
    if (reason !== 'closed')
      this.send(watcher, { type: 'canceled', reason, lastRevision: watcher.cursor - 1 });
    watcher.sink.end();
  }

  private send(watcher: Watcher, line: WatchLine): void {
    watcher.sink.write(JSON.stringify(line));
    watcher.lastWriteAt = this.now();
  }

  /**
   * Sends whole revisions to watchers that share one cursor, while their buffers have
   * room: one read of the history per round for all of them, each taking its prefix.
   */
  private pump(group: readonly Watcher[]): void {
    const reader = this.options.reader();
    const range = historyRange(reader);
    let ready = group;
    for (let read = 0; read < limits.watchReadsPerPumpMax && ready.length > 0; read++) {
      ready = ready.filter((watcher) => this.mayRead(watcher, range));
      const first = ready[0];
      if (first === undefined) return;
      const cursor = first.cursor;
      assert(
        ready.every((watcher) => watcher.cursor === cursor),
        'a group shares its cursor',
      );
      const answer = readEvents(reader, '', cursor, range.revision, limits.watchEventsPerReadMax);
      const values = new InlineValues(reader);
      for (const watcher of ready) {
        for (const revision of answer.revisions) this.sendRevision(watcher, revision, values);
        watcher.cursor = answer.nextRevision;
      }
    }
  }

  /** Whether the watcher is owed revisions it has room for (else it is ended or marked). */
  private mayRead(watcher: Watcher, range: HistoryRange): boolean {
    if (!this.watchers.has(watcher.id) || watcher.cursor > range.revision) {
      watcher.stuckSince = undefined;
      return false;
    }
    if (watcher.cursor < range.oldestRevision) {
      // It fell below the history while its consumer kept the buffer full.
      this.end(watcher, 'slow');
      return false;
    }
    if (watcher.sink.bufferedBytes() >= this.bufferBytesMax) {
      watcher.stuckSince ??= this.now();
      return false;
    }
    watcher.stuckSince = undefined;
    return true;
  }

  /** Sends the revision's events under the watcher's prefix (nothing when none). */
  private sendRevision(watcher: Watcher, revision: RevisionEvents, values: InlineValues): void {
    const events =
      watcher.prefix === ''
        ? revision.events
        : revision.events.filter((event) => event.key.startsWith(watcher.prefix));
    const count = events.length;
    if (count === 0) return;
    for (const event of events) {
      const line = eventLine(revision.revision, event, count);
      this.send(watcher, watcher.values ? values.withValue(line) : line);
    }
    if (count > 1) this.send(watcher, { type: 'end', revision: revision.revision, events: count });
  }
}

function eventLine(revision: number, event: StoredEvent, count: number): WatchEventLine {
  const previous =
    event.previous === undefined
      ? null
      : {
          version: event.previous.version,
          size: event.previous.size,
          sha256: event.previous.sha256,
        };
  if (event.kind === 'delete')
    return { type: 'delete', revision, key: event.key, events: count, previous };
  const current = event.current;
  assert(current !== undefined, 'a put event carries its record');
  return {
    type: 'put',
    revision,
    key: event.key,
    events: count,
    version: current.version,
    createdRevision: current.createdRevision,
    size: current.size,
    sha256: current.sha256,
    previous,
  };
}

/**
 * The bytes of inline objects for values=true, read once per key and round. The history
 * keeps no bytes: a put event gets them while the object still holds that version (a
 * live watch: nearly always); an event of a version since overwritten or deleted gets none.
 */
class InlineValues {
  private readonly byKey = new Map<string, ObjectInfo | undefined>();

  constructor(private readonly reader: MetaReader) {}

  withValue(line: WatchEventLine): WatchEventLine {
    if (line.type !== 'put' || line.size > limits.objectInlineBytesMax) return line;
    let object = this.byKey.get(line.key);
    if (!this.byKey.has(line.key)) {
      object = getObject(this.reader, line.key);
      this.byKey.set(line.key, object);
    }
    if (object === undefined || object.version !== line.version) return line;
    if (object.body.kind !== 'inline') return line;
    const value = Buffer.from(object.body.bytes).toString('base64');
    let valueText: string | undefined;
    try {
      valueText = utf8.decode(object.body.bytes);
    } catch {
      valueText = undefined;
    }
    return valueText === undefined ? { ...line, value } : { ...line, value, valueText };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
