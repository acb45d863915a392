// Opening the meta group's Raft state from disk: the durable log (WAL) and the state
// store are reconciled into the in-memory log the Raft core reads. The state store's
// applied index A is the truth about the state machine; the in-memory log starts with
// a snapshot of the state at A and holds the WAL's entries after A.

import { randomInt } from 'node:crypto';
import { MemoryLogStorage, RaftNode, type ConfState } from '../raft/index.js';
import type { RaftLog, ReplayedLog } from '../storage/raft-log.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { Prng } from '../util/prng.js';
import type { MetaStateMachine } from './meta-state-machine.js';

export const metaGroupId = 'meta';

export async function writeFoundingState(
  stateMachine: MetaStateMachine,
  durableLog: RaftLog,
  confState: ConfState,
): Promise<void> {
  await stateMachine.writeFoundingState(confState);
  durableLog.installSnapshot({ index: 1, term: 1 });
  durableLog.setHardState({ term: 1, vote: null, commit: 1 });
  await durableLog.sync();
}

export async function buildMemoryLog(
  replayed: ReplayedLog,
  stateMachine: MetaStateMachine,
  appliedIndex: number,
): Promise<MemoryLogStorage> {
  const memory = new MemoryLogStorage();
  if (replayed.snapshot.index > appliedIndex) {
    throw new CairnError(
      'CAIRN_ERR_CORRUPTION',
      `the state store is at index ${appliedIndex}, behind the log's snapshot at ${replayed.snapshot.index}; the data directory is damaged`,
    );
  }
  if (appliedIndex > 0) {
    const captured = await stateMachine.capture();
    memory.applySnapshot({
      metadata: { index: captured.index, term: captured.term, confState: captured.confState },
      data: captured.data,
    });
  }
  const after = replayed.entries.filter((entry) => entry.index > appliedIndex);
  const first = after[0];
  if (first !== undefined && first.index !== appliedIndex + 1) {
    throw new CairnError(
      'CAIRN_ERR_CORRUPTION',
      `the log resumes at index ${first.index} but the state store is at ${appliedIndex}; the data directory is damaged`,
    );
  }
  memory.append(
    after.map((entry) => ({
      term: entry.term,
      index: entry.index,
      type: entry.type,
      data: entry.data,
    })),
  );
  const hardState = replayed.hardState;
  // The commit index may be ahead of the last synced hard state: applying proved it.
  memory.setHardState({
    term: hardState.term,
    vote: hardState.vote,
    commit: Math.min(Math.max(hardState.commit, appliedIndex), memory.lastIndex()),
  });
  return memory;
}

export function createRaftNode(
  nodeId: string,
  memory: MemoryLogStorage,
  appliedIndex: number,
): RaftNode {
  return new RaftNode({
    id: nodeId,
    groupId: metaGroupId,
    electionTimeoutTicks: limits.raftElectionTimeoutTicks,
    heartbeatTicks: limits.raftHeartbeatTicks,
    // Election jitter only; each process draws its own seed.
    prng: new Prng(randomInt(0, 2 ** 32)),
    storage: memory,
    appliedIndex,
    maxSizePerMessageBytes: limits.raftEntryBytesMax,
    inflightMessagesMax: limits.raftInflightAppendsPerFollowerMax,
    inflightBytesMax: limits.raftInflightBytesPerFollowerMax,
    preVote: true,
    checkQuorum: true,
  });
}
