// The watch workload: writers put and delete keys under a few prefixes while watchers,
// each on one prefix, watch through the faults; every watcher is "killed" (its stream
// dropped) after a random while and resumed from the last revision it saw, sometimes on
// a new client. After the run, checkWatchers compares each watcher's events, joined
// across its resumptions, with the committed history of its prefix read in one stream
// after recovery: no gap, no duplicate, whole revisions, in order; and every
// acknowledged write must be in that history.

import { CairnClient, type WatchItem } from '../../client/index.js';
import { Prng } from '../../util/prng.js';
import { errorText, type HistoryRecorder } from '../history.js';

export const watchPrefix = 'chaos/watch/';
const prefixCount = 2;
const keysPerPrefix = 20;
const sessionMillisecondsMin = 300;
const sessionMillisecondsMax = 3_000;
const sessionsPerWatcherMax = 100_000;
const writesPerClientMax = 1_000_000;

export interface WatchWorkloadOptions {
  readonly writers: readonly CairnClient[];
  readonly endpoints: string;
  readonly watchers: number;
  readonly seed: number;
  readonly recorder: HistoryRecorder;
  readonly stopped: () => boolean;
  /** TEST ONLY: a watcher drops the first event after each resumption (must be caught). */
  readonly dropOnResume?: boolean;
}

export interface WatcherRecord {
  readonly id: number;
  readonly prefix: string;
  readonly fromRevision: number;
  /** "revision type key", in the order received, across sessions. */
  readonly events: string[];
  /** Every revision up to this one was received. */
  lastRevision: number;
  sessions: number;
  readonly errors: string[];
}

export interface WatchWorkloadResult {
  readonly startRevision: number;
  readonly watchers: readonly WatcherRecord[];
  /** Acknowledged writes: "revision type key". */
  readonly acknowledged: readonly string[];
}

const prefixOf = (index: number): string => `${watchPrefix}p${index}/`;

export async function runWatchWorkload(
  options: WatchWorkloadOptions,
): Promise<WatchWorkloadResult> {
  const root = new Prng(options.seed ^ 0x3a7c);
  const first = options.writers[0];
  if (first === undefined) throw new Error('the watch workload needs a writer');
  const listed = await first.listObjects({ prefix: watchPrefix, limit: 1 });
  const startRevision = (listed.revision ?? 0) + 1;
  const acknowledged: string[] = [];
  const watchers: WatcherRecord[] = Array.from({ length: options.watchers }, (_, id) => ({
    id,
    prefix: prefixOf(id % prefixCount),
    fromRevision: startRevision,
    events: [],
    lastRevision: startRevision - 1,
    sessions: 0,
    errors: [],
  }));
  await Promise.all([
    ...options.writers.map((client) => runWriter(client, root.fork(), acknowledged, options)),
    ...watchers.map((watcher) => runWatcher(watcher, root.fork(), options)),
  ]);
  options.recorder.note('watch-workload', {
    startRevision,
    acknowledged: acknowledged.length,
    sessions: watchers.map((watcher) => watcher.sessions),
  });
  return { startRevision, watchers, acknowledged };
}

async function runWriter(
  client: CairnClient,
  prng: Prng,
  acknowledged: string[],
  options: WatchWorkloadOptions,
): Promise<void> {
  for (let write = 0; write < writesPerClientMax && !options.stopped(); write++) {
    const key = `${prefixOf(prng.nextIntegerInclusive(0, prefixCount - 1))}${prng.nextIntegerInclusive(0, keysPerPrefix - 1)}`;
    try {
      if (prng.chance(0.2)) {
        const deleted = await client.deleteObject(key);
        acknowledged.push(`${deleted.version} delete ${key}`);
      } else {
        const put = await client.putObject(key, Buffer.from(`w${write}`));
        acknowledged.push(`${put.version} put ${key}`);
      }
    } catch {
      // Failed or unknown: the history after recovery says whether it applied.
    }
  }
}

async function runWatcher(
  watcher: WatcherRecord,
  prng: Prng,
  options: WatchWorkloadOptions,
): Promise<void> {
  let client = watcherClient(options.endpoints);
  try {
    for (let session = 0; session < sessionsPerWatcherMax && !options.stopped(); session++) {
      watcher.sessions++;
      const until =
        performance.now() +
        prng.nextIntegerInclusive(sessionMillisecondsMin, sessionMillisecondsMax);
      let dropped = !(options.dropOnResume === true && session > 0);
      try {
        const items = client.watch(watcher.prefix, { fromRevision: watcher.lastRevision + 1 });
        for await (const item of items as AsyncGenerator<WatchItem>) {
          if (item.kind === 'revision')
            for (const event of item.events) {
              if (!dropped) {
                dropped = true; // the planted bug: one event lost on a reconnect
                continue;
              }
              watcher.events.push(`${event.revision} ${event.type} ${event.key}`);
            }
          watcher.lastRevision = item.revision;
          if (performance.now() >= until || options.stopped()) break;
        }
      } catch (error) {
        watcher.errors.push(errorText(error));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // Sometimes the resumed watcher is a new process: a new client.
      if (prng.chance(0.3)) {
        await client.close();
        client = watcherClient(options.endpoints);
      }
    }
  } finally {
    await client.close();
  }
}

function watcherClient(endpoints: string): CairnClient {
  return new CairnClient({
    endpoints,
    retryAttemptsMax: 4,
    requestTimeoutMilliseconds: 4_000,
    policy: 'random',
  });
}

/**
 * Reads the committed history under the workload's prefix in one stream (after
 * recovery) and compares every watcher with it; returns the problems found.
 */
export async function checkWatchers(
  client: CairnClient,
  result: WatchWorkloadResult,
): Promise<string[]> {
  const listed = await client.listObjects({ prefix: watchPrefix, limit: 1 });
  const endRevision = listed.revision ?? 0;
  const history: { revision: number; line: string; key: string }[] = [];
  const items = client.watch(watchPrefix, { fromRevision: result.startRevision });
  for await (const item of items) {
    if (item.kind === 'revision')
      for (const event of item.events)
        history.push({
          revision: event.revision,
          key: event.key,
          line: `${event.revision} ${event.type} ${event.key}`,
        });
    if (item.revision >= endRevision) break;
  }
  const problems: string[] = [];
  const committed = new Set(history.map((entry) => entry.line));
  const missing = result.acknowledged.filter((write) => !committed.has(write));
  if (missing.length > 0)
    problems.push(
      `${missing.length} acknowledged writes are not in the history, first ${missing[0]}`,
    );
  for (const watcher of result.watchers) {
    const expected = history
      .filter(
        (entry) =>
          entry.key.startsWith(watcher.prefix) &&
          entry.revision >= watcher.fromRevision &&
          entry.revision <= watcher.lastRevision,
      )
      .map((entry) => entry.line);
    const problem = firstDifference(expected, watcher.events);
    if (problem !== undefined)
      problems.push(
        `watcher ${watcher.id} (${watcher.prefix}, ${watcher.sessions} sessions, revisions ${watcher.fromRevision}..${watcher.lastRevision}): ${problem}`,
      );
  }
  return problems;
}

function firstDifference(expected: readonly string[], seen: readonly string[]): string | undefined {
  const length = Math.max(expected.length, seen.length);
  for (let index = 0; index < length; index++) {
    if (expected[index] === seen[index]) continue;
    return `event ${index + 1}: expected ${expected[index] ?? '(none)'}, received ${seen[index] ?? '(none)'} (${seen.length} received, ${expected.length} committed)`;
  }
  return undefined;
}
