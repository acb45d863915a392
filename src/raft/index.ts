// The pure Raft consensus core (DESIGN.md section 3). See README.md for the contract.

export * from './types.js';
export { RaftNode } from './raft.js';
export { RaftError, isRaftError, type RaftErrorReason } from './raft-error.js';
export { MemoryLogStorage } from './memory-storage.js';
export {
  encodeConfChange,
  decodeConfChange,
  applyConfChange,
  confChangeProblem,
} from './conf-change.js';
export { entrySizeBytes, entriesSizeBytes } from './log.js';
export { committedIndex, voteResult, hasQuorum, majoritySize } from './quorum.js';
export type { VoteResult } from './quorum.js';
