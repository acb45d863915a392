// One chunk's copies under a sloppy write quorum (DESIGN.md section 6a).
//
// The chunk goes to its R home nodes (the first R of its preference list) in parallel.
// A copy that fails (connection refused, connect timeout, an error answer) is replaced
// by a stand-in on the next member of the list, recorded there as a hint for the home
// it stands in for; a copy still unanswered after the hedge delay gets a stand-in too
// (a hanging node is not waited for), the original may still finish. Each member is
// tried at most once, so a chunk makes at most `preference list length` attempts.
// A home node suspected (it failed lately, see member-suspicion.ts) gets its stand-in
// at once; with no stand-in left it is tried only when W cannot be reached without it.
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
import type { MemberSuspicion } from './member-suspicion.js';

/** What storing copies needs (a narrow part of the object-data placement context). */
export interface ChunkCopyTargets {
  readonly selfId: string;
  readonly store: Pick<ChunkStore, 'write'>;
  readonly transport: Pick<ChunkTransport, 'put'>;
  readonly peerAddressOf: (memberId: string) => string | undefined;
  /** This node's hints: a stand-in copy stored here records its hint here. */
  readonly hints?: Pick<HintsStore, 'add'>;
  /** Peers that failed lately (shared by the node's puts and gets). */
  readonly suspicion?: MemberSuspicion;
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
    const run = new ChunkCopyRun(context, preferenceList, sha256, bytes, settings, {
      resolve,
      reject,
    });
    run.start();
  });
}

/** The attempts of one chunk; every path ends in exactly one call of `finish`. */
class ChunkCopyRun {
  private readonly attempts: Attempt[] = [];
  private readonly running: Promise<void>[] = [];
  private readonly holders: string[] = [];
  private readonly failures: string[] = [];
  /** Suspected home nodes not tried: the last resort when W is out of reach. */
  private readonly skippedSuspects: string[] = [];
  private nextCandidate: number;
  private finished = false;
  private stragglerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly context: ChunkCopyTargets,
    private readonly preferenceList: readonly string[],
    private readonly sha256: string,
    private readonly bytes: Uint8Array,
    private readonly settings: ChunkQuorumSettings,
    private readonly outcome: {
      resolve: (result: ChunkCopiesResult) => void;
      reject: (error: CairnError) => void;
    },
  ) {
    this.nextCandidate = settings.replicationFactor;
  }

  start(): void {
    const suspects: string[] = [];
    for (const memberId of this.preferenceList.slice(0, this.settings.replicationFactor)) {
      if (this.context.suspicion?.isSuspect(memberId) !== true) this.launch(memberId, undefined);
      else if (this.nextCandidate < this.preferenceList.length)
        this.launch(this.preferenceList[this.nextCandidate++] as string, memberId);
      else suspects.push(memberId);
    }
    for (const memberId of suspects) {
      if (this.attempts.length < this.settings.writeQuorum) this.launch(memberId, undefined);
      else this.skippedSuspects.push(memberId);
    }
  }

  private launch(memberId: string, standInFor: string | undefined): void {
    const attempt: Attempt = {
      memberId,
      standInFor,
      abort: new AbortController(),
      done: false,
      replaced: false,
      hedgeTimer: undefined,
    };
    this.attempts.push(attempt);
    attempt.hedgeTimer = setTimeout(() => {
      attempt.hedgeTimer = undefined;
      if (!attempt.done) this.replace(attempt);
    }, this.settings.hedgeDelayMilliseconds);
    const { context, sha256, bytes } = this;
    const copy = storeOneCopy(context, memberId, sha256, bytes, standInFor, attempt.abort.signal);
    this.running.push(
      copy.then(
        () => this.settle(attempt, undefined),
        (error: unknown) => this.settle(attempt, error ?? 'failed'),
      ),
    );
  }

  /** A stand-in for `attempt` on the next member of the list, once per attempt. */
  private replace(attempt: Attempt): void {
    if (this.finished || attempt.replaced) return;
    attempt.replaced = true;
    const memberId = this.preferenceList[this.nextCandidate];
    if (memberId !== undefined) {
      this.nextCandidate++;
      this.launch(memberId, attempt.standInFor ?? attempt.memberId);
      return;
    }
    // Out of stand-ins: a suspected home node, if one was skipped, is worth a try now.
    const suspect = this.skippedSuspects.shift();
    if (suspect !== undefined) this.launch(suspect, undefined);
  }

  private settle(attempt: Attempt, error: unknown): void {
    attempt.done = true;
    if (attempt.hedgeTimer !== undefined) clearTimeout(attempt.hedgeTimer);
    attempt.hedgeTimer = undefined;
    if (this.finished) return;
    if (error === undefined) {
      this.holders.push(attempt.memberId);
      this.context.suspicion?.noteSuccess(attempt.memberId);
    } else {
      this.context.suspicion?.noteFailure(attempt.memberId);
      this.failures.push(`${attempt.memberId}: ${error instanceof Error ? error.message : error}`);
      this.replace(attempt);
    }
    this.check();
  }

  private check(): void {
    const { replicationFactor, writeQuorum } = this.settings;
    const inFlight = this.attempts.some((attempt) => !attempt.done);
    if (this.holders.length >= replicationFactor) this.finish();
    else if (this.holders.length >= writeQuorum) {
      if (!inFlight) this.finish();
      else
        this.stragglerTimer ??= setTimeout(
          () => this.finish(),
          this.settings.stragglerWaitMilliseconds,
        );
    } else if (!inFlight) this.finish(this.quorumFailure());
  }

  private quorumFailure(): CairnError {
    const { replicationFactor, writeQuorum } = this.settings;
    const made = this.holders.length;
    return new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `could make only ${made} of the ${writeQuorum} copies needed ` +
        `(write quorum ${writeQuorum} of ${replicationFactor}) of chunk ` +
        `${this.sha256.slice(0, 12)}…: ${this.failures.join('; ') || 'no member to try'}`,
      {
        details: {
          outcome: 'failed',
          copiesMade: made,
          copiesNeeded: writeQuorum,
          replicationFactor,
        },
      },
    );
  }

  /** Aborts what is still in flight (left to hand-off and repair) and answers. */
  private finish(error?: CairnError): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stragglerTimer !== undefined) clearTimeout(this.stragglerTimer);
    for (const attempt of this.attempts) {
      if (attempt.hedgeTimer !== undefined) clearTimeout(attempt.hedgeTimer);
      if (attempt.done) continue;
      attempt.abort.abort();
      // Still unanswered when the chunk was done: slow or hanging; stand-ins for a while.
      this.context.suspicion?.noteFailure(attempt.memberId);
    }
    const settled = Promise.allSettled(this.running).then(() => undefined);
    if (error === undefined) this.outcome.resolve({ holders: [...this.holders], settled });
    else void settled.then(() => this.outcome.reject(error));
  }
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
