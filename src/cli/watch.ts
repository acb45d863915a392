// cairn watch: prints every change under a prefix (a line each, or JSON lines) and,
// given a command, runs it once per event with the event in its environment. The
// client's watch resumes by itself from the last whole revision it delivered.

import { spawn } from 'node:child_process';
import type { WatchEventLine } from '../api/index.js';
import type { CairnClient, WatchItem } from '../client/index.js';
import { assert } from '../util/assert.js';

export interface WatchRunOptions {
  readonly prefix: string;
  readonly fromRevision?: number;
  readonly json: boolean;
  /** Put events of inline objects carry their bytes (printed with --json). */
  readonly values?: boolean;
  /** The command to run per event (program and arguments); empty: none. */
  readonly command: readonly string[];
  /** Stop after the revision holding this many events (undefined: never). */
  readonly maxEvents?: number;
  readonly signal?: AbortSignal;
  readonly write: (line: string) => void;
  readonly warn: (line: string) => void;
}

export interface WatchRunReport {
  readonly events: number;
  /** The last revision delivered whole (resume from here + 1). */
  readonly lastRevision: number;
}

export async function runWatch(
  client: CairnClient,
  options: WatchRunOptions,
): Promise<WatchRunReport> {
  let events = 0;
  let lastRevision = (options.fromRevision ?? 1) - 1;
  const items: AsyncGenerator<WatchItem> = client.watch(options.prefix, {
    ...(options.fromRevision === undefined ? {} : { fromRevision: options.fromRevision }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.values === true ? { values: true } : {}),
    onResume: (from, reason) => options.warn(`watch resumed from revision ${from}: ${reason}`),
  });
  try {
    for await (const item of items) {
      lastRevision = item.revision;
      if (item.kind === 'progress') continue;
      for (const event of item.events) {
        options.write(options.json ? JSON.stringify(event) : eventText(event));
        if (options.command.length > 0) await runPerEvent(options.command, event, options.warn);
        events++;
      }
      if (options.maxEvents !== undefined && events >= options.maxEvents) break;
    }
  } catch (error) {
    if (options.signal?.aborted === true) return { events, lastRevision };
    throw error;
  }
  return { events, lastRevision };
}

function eventText(event: WatchEventLine): string {
  const size = event.type === 'put' ? String(event.size) : '-';
  const sha = event.type === 'put' ? event.sha256.slice(0, 12) : '-';
  return `${event.revision}\t${event.type}\t${size}\t${sha}\t${event.key}`;
}

/** Runs the command once for the event; a failing command is reported, the watch goes on. */
function runPerEvent(
  command: readonly string[],
  event: WatchEventLine,
  warn: (line: string) => void,
): Promise<void> {
  const [program, ...args] = command;
  assert(program !== undefined, 'a command to run');
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      stdio: 'inherit',
      env: {
        ...process.env,
        CAIRN_WATCH_REVISION: String(event.revision),
        CAIRN_WATCH_TYPE: event.type,
        CAIRN_WATCH_KEY: event.key,
      },
    });
    child.on('error', (error) => {
      warn(`could not run ${program}: ${error.message}`);
      resolve();
    });
    child.on('exit', (code, signal) => {
      if (code !== 0)
        warn(
          `${program} exited with ${signal ?? code} for revision ${event.revision} ${event.key}`,
        );
      resolve();
    });
  });
}
