// Known bugs the simulator can inject, to show that it catches them. Chosen with
// CAIRN_SIM_INJECT_BUG=<name>[,<name>] (or --inject-bug). Bugs inside the Raft
// core are injected by patching a method of RaftLogView for the duration of a run;
// send-before-sync is the real driver's test-only option; the others are switches of
// the simulated node around the driver (node.ts, simulator.ts). src/raft is never
// edited.

import { RaftLogView } from '../../src/raft/log.js';
import { assert } from '../../src/util/assert.js';

export const knownBugs = {
  'vote-without-log-check':
    'grant votes without checking that the candidate log is up to date (RaftLogView.isUpToDate always true)',
  'commit-previous-term':
    'commit an entry of an earlier term by counting replicas (RaftLogView.maybeCommit without the term check)',
  'ack-before-sync':
    'the Raft log sync returns at once without writing (as if the driver ignored mustSync); written back every 5 ticks',
  'send-before-sync':
    "the real driver sends a Ready's votes and append acknowledgements before its fsync completes (RaftDriver testOnlySendBeforeSync)",
  'reply-before-commit':
    'the driver acknowledges a write once the leader has it on its own disk, before it commits',
  'stale-local-read': 'the driver answers reads from its local state without ReadIndex',
} as const;

export type BugName = keyof typeof knownBugs;

export function parseBugs(text: string | undefined): Set<BugName> {
  const bugs = new Set<BugName>();
  if (text === undefined || text.trim() === '') return bugs;
  for (const name of text.split(',').map((part) => part.trim())) {
    assert(
      name in knownBugs,
      `unknown bug ${JSON.stringify(name)}; known: ${Object.keys(knownBugs).join(', ')}`,
    );
    bugs.add(name as BugName);
  }
  return bugs;
}

/** Patch the Raft core for the bugs that live there; returns the function that undoes it. */
export function installCoreBugs(bugs: ReadonlySet<BugName>): () => void {
  const prototype = RaftLogView.prototype as unknown as Record<string, unknown>;
  const originals = { isUpToDate: prototype['isUpToDate'], maybeCommit: prototype['maybeCommit'] };
  if (bugs.has('vote-without-log-check')) {
    prototype['isUpToDate'] = function isUpToDateInjected(): boolean {
      return true;
    };
  }
  if (bugs.has('commit-previous-term')) {
    prototype['maybeCommit'] = function maybeCommitInjected(
      this: RaftLogView,
      index: number,
    ): boolean {
      if (index > this.committed && this.term(index) !== undefined) {
        this.commitTo(index);
        return true;
      }
      return false;
    };
  }
  return () => {
    prototype['isUpToDate'] = originals.isUpToDate;
    prototype['maybeCommit'] = originals.maybeCommit;
  };
}
