// cairn elect: leader election on top of locks, fences, leases and watch.
//
// An election NAME is the exclusive lock `election/NAME` plus the object
// `.cairn/elections/NAME` that its holder writes right after the grant: its value,
// token and lease, written with the holder's fence (so only the current holder can
// write it) and attached to the holder's lease (so the lease's end, by resignation or
// expiry, deletes it). Campaigning is waiting in the lock's FIFO queue. Observers
// watch that one key: each put is a new leader (read back for its value), each delete
// a vacancy. Why this and not a new meta family: the lock already gives ordering,
// fencing tokens and lease-bound loss; the object store already gives durability and
// a gap-free history to watch; a reader needs nothing but `GET` and `watch`.

import type { CairnClient } from '../client/index.js';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { LockGrant } from './lock-runner.js';

export const electionLockName = (name: string): string => `election/${name}`;
export const electionKey = (name: string): string => `.cairn/elections/${name}`;

/** What the leader's object holds, and what an observer prints. */
export interface ElectionLeader {
  readonly event: 'leader';
  readonly name: string;
  readonly value: string;
  readonly token: number;
  readonly leaseId: number;
  /** The revision that committed the leader's value. */
  readonly revision: number;
}

export type ElectionObservation =
  | ElectionLeader
  | { readonly event: 'vacant'; readonly name: string; readonly revision: number };

export function checkElectionValue(value: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limits.electionValueBytesMax)
    throw new InvalidArgumentError(
      `--value is ${bytes} bytes; at most ${limits.electionValueBytesMax} (electionValueBytesMax)`,
    );
}

/**
 * Writes the new leader's value (fenced, attached to its lease), asking again until
 * the lease may be gone; resolves to a reason when it could not.
 */
export async function announceLeader(
  client: CairnClient,
  name: string,
  value: string,
  grant: LockGrant,
  deadline: () => number,
): Promise<string | undefined> {
  const body = JSON.stringify({ value, token: grant.token, leaseId: grant.leaseId });
  let lastError = '';
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const left = Math.floor(deadline() - performance.now());
    if (left <= 0) break;
    try {
      await client.putObject(electionKey(name), Buffer.from(body), {
        fence: grant.fence,
        lease: grant.leaseId,
        signal: AbortSignal.timeout(Math.max(50, left)),
      });
      return undefined;
    } catch (error) {
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_FENCED')
        return `the lock was lost before the leader's value was written: ${error.message}`;
      if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND')
        return `the lease ended before the leader's value was written: ${error.message}`;
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return `the leader's value could not be written before the lease could expire: ${lastError}`;
}

/** The current leader (a linearizable read), or undefined when there is none. */
export async function readLeader(
  client: CairnClient,
  name: string,
  signal?: AbortSignal,
): Promise<ElectionLeader | undefined> {
  try {
    const result = await client.getObject(
      electionKey(name),
      signal === undefined ? {} : { signal },
    );
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    const record = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<ElectionLeader>;
    if (typeof record.value !== 'string' || !Number.isSafeInteger(record.token))
      throw new CairnError('CAIRN_ERR_BAD_RESPONSE', `${electionKey(name)} is not a leader record`);
    return {
      event: 'leader',
      name,
      value: record.value,
      token: record.token as number,
      leaseId: Number(record.leaseId),
      revision: result.metadata.version,
    };
  } catch (error) {
    if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * Prints the current leader, then each new leader and each vacancy, from a watch of
 * the election's key, until `signal` aborts. A leader whose term ended before its
 * value could be read back is skipped (the next one is printed).
 */
export async function observeElection(
  client: CairnClient,
  name: string,
  print: (observation: ElectionObservation) => void,
  signal: AbortSignal,
): Promise<void> {
  const key = electionKey(name);
  let lastRevision = 0;
  let vacant: boolean | undefined;
  const show = (leader: ElectionLeader | undefined, revision: number): void => {
    if (leader !== undefined && leader.revision > lastRevision) {
      lastRevision = leader.revision;
      vacant = false;
      print(leader);
    } else if (leader === undefined && vacant !== true && revision > lastRevision) {
      lastRevision = revision;
      vacant = true;
      print({ event: 'vacant', name, revision });
    }
  };
  try {
    for await (const item of client.watch(key, { signal })) {
      if (item.kind === 'progress') {
        // The first line: from here on the watch misses nothing; read where it starts.
        if (vacant === undefined) show(await readLeader(client, name, signal), item.revision);
        continue;
      }
      for (const event of item.events) {
        if (event.key !== key) continue;
        if (event.type === 'delete') show(undefined, event.revision);
        else show(await readLeader(client, name, signal), event.revision);
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
}
