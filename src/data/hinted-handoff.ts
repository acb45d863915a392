// Hinted hand-off (DESIGN.md section 6a): a node holding stand-in copies (hints in its
// HintsStore) copies each one to the home node it stands in for once that node
// answers, then drops the hint. The away copy itself is deleted only once every one of
// the chunk's R home nodes holds it (and this node is no home of any ring still in
// use), so a chunk never has fewer copies because of a hand-off.
//
// One call is one bounded run (at most hintsPerRunMax hints and bytesPerRunMax bytes);
// a node's scheduler calls it periodically. A home node that does not answer is skipped
// for the rest of the run, so a node still down costs one attempt per run.

import type { Ring } from '../placement/index.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import type { Hint, HintsStore } from '../storage/hints-store.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { ChunkTransport } from './chunk-transfer.js';

export interface HintedHandoffContext {
  readonly selfId: string;
  readonly store: Pick<ChunkStore, 'has' | 'read' | 'remove'>;
  readonly hints: HintsStore;
  readonly transport: Pick<ChunkTransport, 'put' | 'has'>;
  /** Rings in use, newest first (as the placement context's). */
  readonly rings: () => readonly Ring[];
  readonly peerAddressOf: (memberId: string) => string | undefined;
}

export interface HintedHandoffOptions {
  /** Hints examined in this run (default hintedHandoffHintsPerRunMax). */
  readonly hintsPerRunMax?: number;
  /** Chunk bytes sent in this run (default hintedHandoffBytesPerRunMax). */
  readonly bytesPerRunMax?: number;
  /** Delete away copies once R home copies exist (default true). */
  readonly deleteAwayCopies?: boolean;
}

export interface HintedHandoffReport {
  readonly hintsExamined: number;
  /** Copies now on their home node; their hints dropped. */
  readonly handedOff: number;
  readonly bytesSent: number;
  readonly awayCopiesDeleted: number;
  /** Hints dropped because this node no longer holds the chunk (deleted, quarantined). */
  readonly droppedWithoutCopy: number;
  /** Hints dropped because the member is no home of the chunk any more (the ring changed). */
  readonly droppedNotHome: number;
  /** Homes that did not answer in this run; their hints wait for the next run. */
  readonly unreachableHomes: readonly string[];
  /** Other failures, at most maintenanceFailuresKeptMax. */
  readonly failures: readonly string[];
  readonly hintsLeft: number;
}

interface RunState {
  handedOff: number;
  bytesSent: number;
  awayCopiesDeleted: number;
  droppedWithoutCopy: number;
  droppedNotHome: number;
  readonly unreachable: Set<string>;
  readonly failures: string[];
}

/** One bounded hand-off run over this node's hints. */
export async function runHintedHandoff(
  context: HintedHandoffContext,
  options: HintedHandoffOptions = {},
): Promise<HintedHandoffReport> {
  const hintsPerRunMax = options.hintsPerRunMax ?? limits.hintedHandoffHintsPerRunMax;
  const bytesPerRunMax = options.bytesPerRunMax ?? limits.hintedHandoffBytesPerRunMax;
  assert(hintsPerRunMax >= 1 && bytesPerRunMax >= 1, 'positive run bounds');
  const state: RunState = {
    handedOff: 0,
    bytesSent: 0,
    awayCopiesDeleted: 0,
    droppedWithoutCopy: 0,
    droppedNotHome: 0,
    unreachable: new Set(),
    failures: [],
  };
  const hints = context.hints.list(hintsPerRunMax);
  let examined = 0;
  for (const hint of hints) {
    if (state.bytesSent >= bytesPerRunMax) break;
    examined++;
    if (state.unreachable.has(hint.homeMemberId)) continue;
    try {
      await handOff(context, hint, state, options.deleteAwayCopies ?? true);
    } catch (error) {
      if (state.failures.length < limits.maintenanceFailuresKeptMax)
        state.failures.push(
          `${hint.sha256.slice(0, 12)}… for ${hint.homeMemberId}: ${describe(error)}`,
        );
    }
  }
  return {
    hintsExamined: examined,
    handedOff: state.handedOff,
    bytesSent: state.bytesSent,
    awayCopiesDeleted: state.awayCopiesDeleted,
    droppedWithoutCopy: state.droppedWithoutCopy,
    droppedNotHome: state.droppedNotHome,
    unreachableHomes: [...state.unreachable].sort(),
    failures: state.failures,
    hintsLeft: context.hints.size,
  };
}

async function handOff(
  context: HintedHandoffContext,
  hint: Hint,
  state: RunState,
  deleteAwayCopies: boolean,
): Promise<void> {
  const ring = context.rings()[0];
  if (ring === undefined) return; // no placement known yet: nothing can be decided
  const homes = ring.replicasFor(hint.sha256);
  if (!homes.includes(hint.homeMemberId) || hint.homeMemberId === context.selfId) {
    // The ring changed: the copy is an ordinary one now; rebalance and repair place it.
    await context.hints.remove(hint);
    state.droppedNotHome++;
    return;
  }
  if (!(await context.store.has(hint.sha256))) {
    await context.hints.remove(hint);
    state.droppedWithoutCopy++;
    return;
  }
  const address = context.peerAddressOf(hint.homeMemberId);
  if (address === undefined) {
    state.unreachable.add(hint.homeMemberId);
    return;
  }
  // Verified on the way out (a bad local copy is quarantined and throws) and on the way
  // in (the home stores it only if it hashes to its name, then fsyncs).
  const bytes = await context.store.read(hint.sha256);
  try {
    await context.transport.put(address, hint.sha256, bytes);
  } catch (error) {
    if (isUnreachable(error)) {
      state.unreachable.add(hint.homeMemberId);
      return;
    }
    throw error;
  }
  state.bytesSent += bytes.length;
  await context.hints.remove(hint);
  state.handedOff++;
  if (deleteAwayCopies && (await awayCopyIsSurplus(context, hint.sha256, homes))) {
    if (await context.store.remove(hint.sha256)) state.awayCopiesDeleted++;
  }
}

/**
 * Whether this node's copy may go: no ring in use places the chunk here, no other hint
 * names it, and each of the R home nodes answers that it holds the chunk.
 */
async function awayCopyIsSurplus(
  context: HintedHandoffContext,
  sha256: string,
  homes: readonly string[],
): Promise<boolean> {
  if (context.hints.hasChunk(sha256)) return false;
  for (const ring of context.rings())
    if (ring.replicasFor(sha256).includes(context.selfId)) return false;
  for (const home of homes) {
    const address = context.peerAddressOf(home);
    if (address === undefined) return false;
    try {
      if (!(await context.transport.has(address, sha256))) return false;
    } catch {
      return false; // not known to hold it: keep this copy
    }
  }
  return true;
}

function isUnreachable(error: unknown): boolean {
  return error instanceof CairnError && error.code === 'CAIRN_ERR_UNAVAILABLE';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
