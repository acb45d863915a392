// Raft's safety properties, checked as the simulation runs. A violation throws a
// SafetyViolation naming the property; the simulator reports it with the seed.
//
// The ledger holds, per index, the entry known to be committed there (first seen
// committed on any node). Every later sighting of a committed entry at that index,
// on any node, in its log or in what it applies, must be the same entry: this is
// log matching on committed prefixes, state machine safety, and "no committed
// entry is ever lost" at once. A new leader's log must hold every ledger entry
// whose commit happened in an earlier term (leader completeness). When an entry
// was committed is known only up to a bound: the lowest current term of the
// nodes seen holding it committed (the commit happened no later than that term),
// so the check covers the entries whose bound is below the leader's term.

import type { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { Entry, NodeId } from '../../src/raft/types.js';

export class SafetyViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'SafetyViolation';
  }
}

interface LedgerEntry {
  readonly term: number;
  readonly fingerprint: string;
  readonly firstSeenOn: NodeId;
  /** The lowest term a node was in when it knew this entry committed: it was committed in this term or earlier. */
  committedByTerm: number;
}

export function entryFingerprint(entry: Entry): string {
  return `${entry.term}/${entry.type}/${Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString('base64')}`;
}

export class SafetyMonitor {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly ledger = new Map<number, LedgerEntry>();
  private ledgerIndexMax = 0;
  checks = 0;
  leadersObserved = 0;

  committedIndexMax(): number {
    return this.ledgerIndexMax;
  }

  /** `nodeId` is leader in `term`: no one else may be; its log must hold every committed entry. */
  observeLeader(nodeId: NodeId, term: number, log: MemoryLogStorage): void {
    this.checks++;
    const known = this.leaderOfTerm.get(term);
    if (known !== undefined && known !== nodeId) {
      throw new SafetyViolation(
        'election safety',
        `${known} and ${nodeId} are both leader of term ${term}`,
      );
    }
    if (known !== undefined) return;
    this.leaderOfTerm.set(term, nodeId);
    this.leadersObserved++;
    const snapshotIndex = log.snapshot().metadata.index;
    for (let index = Math.max(1, snapshotIndex + 1); index <= this.ledgerIndexMax; index++) {
      const committed = this.ledger.get(index);
      if (committed === undefined || committed.committedByTerm >= term) continue;
      const held = log.term(index);
      if (held !== committed.term) {
        throw new SafetyViolation(
          'leader completeness',
          `new leader ${nodeId} of term ${term} has ${held === undefined ? 'nothing' : `term ${held}`} at ${index}; the entry committed there by term ${committed.committedByTerm} has term ${committed.term}`,
        );
      }
    }
  }

  /**
   * A leader advances its commit index only to an entry of its own term: counting
   * replicas of an older entry is not enough (Raft paper 5.4.2, figure 8). Earlier
   * entries become committed only as the prefix of such an entry.
   */
  observeLeaderCommit(nodeId: NodeId, term: number, commit: number, log: MemoryLogStorage): void {
    this.checks++;
    const commitTerm = log.term(commit);
    if (commitTerm !== undefined && commitTerm !== term) {
      throw new SafetyViolation(
        'leader commits only entries of its term',
        `${nodeId}, leader of term ${term}, advanced commit to ${commit}, an entry of term ${commitTerm}`,
      );
    }
  }

  /** `entry` is committed according to `nodeId` (in its log below its commit index, or applied). */
  observeCommitted(nodeId: NodeId, nodeTerm: number, entry: Entry, how: string): void {
    this.checks++;
    const fingerprint = entryFingerprint(entry);
    const known = this.ledger.get(entry.index);
    if (known === undefined) {
      this.ledger.set(entry.index, {
        term: entry.term,
        fingerprint,
        firstSeenOn: nodeId,
        committedByTerm: nodeTerm,
      });
      if (entry.index > this.ledgerIndexMax) this.ledgerIndexMax = entry.index;
      return;
    }
    if (known.fingerprint !== fingerprint) {
      throw new SafetyViolation(
        'committed entry changed (log matching / state machine safety)',
        `${nodeId} ${how} at index ${entry.index} an entry of term ${entry.term}, but ${known.firstSeenOn} had committed one of term ${known.term} there (${short(known.fingerprint)} vs ${short(fingerprint)})`,
      );
    }
    if (nodeTerm < known.committedByTerm) known.committedByTerm = nodeTerm;
  }

  /** The entries of `log` in (fromIndex, toIndex] that it still holds are committed. */
  observeCommittedRange(
    nodeId: NodeId,
    log: MemoryLogStorage,
    fromIndex: number,
    toIndex: number,
  ): void {
    const low = Math.max(fromIndex + 1, log.firstIndex());
    const high = Math.min(toIndex, log.lastIndex());
    if (low > high) return;
    const nodeTerm = log.hardStateValue().term;
    for (const entry of log.entries(low, high + 1, Number.MAX_SAFE_INTEGER))
      this.observeCommitted(nodeId, nodeTerm, entry, 'holds committed');
  }
}

function short(fingerprint: string): string {
  return fingerprint.length > 60 ? `${fingerprint.slice(0, 60)}...` : fingerprint;
}
