// One chunk's copies under a sloppy write quorum (DESIGN.md section 6a).
//
// The chunk goes to its R home nodes (the first R of its preference list) in parallel.
// A copy that fails (connection refused, connect timeout, an error answer) is replaced
// by a stand-in on the next member of the list, recorded there as a hint for the home
// it stands in for; a copy still unanswered after the hedge delay gets a stand-in too
// (a hanging node is not waited for), the original may still finish. Each member is
// tried at most once, so a chunk makes at most `preference list length` attempts.
//
// The chunk is done once R copies are durable, or once W are and either every attempt
// has settled or the straggler wait has passed: the copies still in flight then are
// aborted and left to repair (the result's copy count says how many were made; the
// hinted hand-off and repair bring the chunk back to R). It fails, with
// CAIRN_ERR_UNAVAILABLE naming the copies made and needed, only when the list is used
// up with fewer than W copies.

import type { ChunkStore } from '../storage/chunk-store.js';
import type { HintsStore } from '../storage/hints-store.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import type { ChunkTransport } from './chunk-transfer.js';

/** What storing copies needs (a narrow part of the object-data placement context). */
export interface ChunkCopyTargets {
  readonly selfId: string;
  readonly store: Pick<ChunkStore, 'write'>;
  readonly transport: Pick<ChunkTransport, 'put'>;
  readonly peerAddressOf: (memberId: string) => string | undefined;
  /** This node's hints: a stand-in copy stored here records its hint here. */
  readonly hints?: Pick<HintsStore, 'add'>;
}

export interface ChunkQuorumSettings {
  /** Copies wanted: the ring's R (the first R members of the list are the home nodes). */
  readonly replicationFactor: number;
  /** Durable copies before the chunk is acknowledged (1..R). */
  readonly writeQuorum: number;
  /** A copy unanswered this long gets a stand-in on the next member. */
  readonly hedgeDelayMilliseconds: number;
  /** Once W copies are durable, the longest wait for the other copies in flight. */
  readonly stragglerWaitMilliseconds: number;
}

export interface ChunkCopiesResult {
  /** Members holding a durable copy when the chunk was acknowledged. */
  readonly holders: readonly string[];
  /** Settles once no attempt can still read the chunk's bytes (the buffer may be reused). */
  readonly settled: Promise<void>;
}

interface Attempt {
  readonly memberId: string;
  /** The home node this copy stands in for; undefined for a copy on a home node. */
  readonly standInFor: string | undefined;
  readonly abort: AbortController;
  done: boolean;
  replaced: boolean;
  hedgeTimer: ReturnType<typeof setTimeout> | undefined;
}

/** Stores one chunk on W to R members of `preferenceList` (home nodes first). */
export function storeChunkCopies(
  context: ChunkCopyTargets,
  preferenceList: readonly string[],
  sha256: string,
  bytes: Uint8Array,
  settings: ChunkQuorumSettings,
): Promise<ChunkCopiesResult> {
  const { replicationFactor, writeQuorum } = settings;
  assert(replicationFactor >= 1 && replicationFactor <= preferenceList.length, 'R within list');
  assert(writeQuorum >= 1 && writeQuorum <= replicationFactor, 'W within 1..R');
  assert(new Set(preferenceList).size === preferenceList.length, 'list members distinct');
  return new Promise((resolve, reject) => {
    const attempts: Attempt[] = [];
    const running: Promise<void>[] = [];
    const holders: string[] = [];
    const failures: string[] = [];
    let nextCandidate = replicationFactor;
    let finished = false;
    let stragglerTimer: ReturnType<typeof setTimeout> | undefined;

    const finish = (error?: CairnError): void => {
      if (finished) return;
      finished = true;
      if (stragglerTimer !== undefined) clearTimeout(stragglerTimer);
      for (const attempt of attempts) {
        if (attempt.hedgeTimer !== undefined) clearTimeout(attempt.hedgeTimer);
        if (!attempt.done) attempt.abort.abort();
      }
      const settled = Promise.allSettled(running).then(() => undefined);
      if (error === undefined) resolve({ holders: [...holders], settled });
      else void settled.then(() => reject(error));
    };

    const check = (): void => {
      if (finished) return;
      const inFlight = attempts.some((attempt) => !attempt.done);
      if (holders.length >= replicationFactor) return finish();
      if (holders.length >= writeQuorum) {
        if (!inFlight) return finish();
        stragglerTimer ??= setTimeout(() => finish(), settings.stragglerWaitMilliseconds);
        return;
      }
      if (inFlight) return;
      finish(
        new CairnError(
          'CAIRN_ERR_UNAVAILABLE',
          `could make only ${holders.length} of the ${writeQuorum} copies needed ` +
            `(write quorum ${writeQuorum} of ${replicationFactor}) of chunk ` +
            `${sha256.slice(0, 12)}…: ${failures.join('; ') || 'no member to try'}`,
          {
            details: {
              outcome: 'failed',
              copiesMade: holders.length,
              copiesNeeded: writeQuorum,
              replicationFactor,
            },
          },
        ),
      );
    };

    const replace = (attempt: Attempt): void => {
      if (finished || attempt.replaced) return;
      attempt.replaced = true;
      const memberId = preferenceList[nextCandidate];
      if (memberId === undefined) return;
      nextCandidate++;
      launch(memberId, attempt.standInFor ?? attempt.memberId);
    };

    const launch = (memberId: string, standInFor: string | undefined): void => {
      const attempt: Attempt = {
        memberId,
        standInFor,
        abort: new AbortController(),
        done: false,
        replaced: false,
        hedgeTimer: undefined,
      };
      attempts.push(attempt);
      attempt.hedgeTimer = setTimeout(() => {
        attempt.hedgeTimer = undefined;
        if (!attempt.done) replace(attempt);
      }, settings.hedgeDelayMilliseconds);
      const copy = storeOneCopy(context, memberId, sha256, bytes, standInFor, attempt.abort.signal);
      running.push(
        copy.then(
          () => settle(attempt, undefined),
          (error: unknown) => settle(attempt, error),
        ),
      );
    };

    const settle = (attempt: Attempt, error: unknown): void => {
      attempt.done = true;
      if (attempt.hedgeTimer !== undefined) clearTimeout(attempt.hedgeTimer);
      attempt.hedgeTimer = undefined;
      if (finished) return;
      if (error === undefined) holders.push(attempt.memberId);
      else {
        failures.push(`${attempt.memberId}: ${error instanceof Error ? error.message : error}`);
        replace(attempt);
      }
      check();
    };

    for (const memberId of preferenceList.slice(0, replicationFactor)) launch(memberId, undefined);
  });
}

async function storeOneCopy(
  context: ChunkCopyTargets,
  memberId: string,
  sha256: string,
  bytes: Uint8Array,
  standInFor: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (memberId === context.selfId) {
    // The hint first: a stored stand-in copy always has one (hand-off drops a hint
    // whose chunk is missing).
    if (standInFor !== undefined) await context.hints?.add({ sha256, homeMemberId: standInFor });
    await context.store.write(bytes, sha256);
    return;
  }
  const address = context.peerAddressOf(memberId);
  if (address === undefined)
    throw new CairnError('CAIRN_ERR_UNAVAILABLE', `no peer address known for member ${memberId}`);
  await context.transport.put(address, sha256, bytes, {
    signal,
    ...(standInFor === undefined ? {} : { homeMemberId: standInFor }),
  });
}
