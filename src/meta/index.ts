// The replicated state machine of the meta group (DESIGN.md sections 1, 5, 6).
export {
  commandChangesMembership,
  commandProblem,
  decodeCommand,
  encodeCommand,
  memberRoles,
} from './commands.js';
export type {
  ManifestChunk,
  MemberRole,
  MemberSpec,
  MetaCommand,
  MetaCommandType,
  ObjectValue,
  WriteCondition,
} from './commands.js';
export {
  compareUtf8,
  InvalidKeyError,
  metaKeys,
  objectKeyProblem,
  validateObjectKey,
} from './keys.js';
export type {
  ClusterIdentity,
  MemberRecord,
  MetaProgress,
  MetaResult,
  ObjectRecord,
  RingState,
} from './records.js';
export {
  applyCommand,
  applyEntryData,
  readIdentity,
  readMembers,
  readObject,
  readProgress,
  readRingState,
} from './state-machine.js';
export { MemoryMetaStore, rangeEntriesMax } from './store.js';
export type { MetaEntry, MetaReader, MetaTransaction } from './store.js';
export {
  chunkReferenceCount,
  clusterInfo,
  currentRing,
  getObject,
  listObjects,
  members,
  ringAt,
  settledRing,
  unreferencedChunks,
} from './queries.js';
export type {
  ClusterInfo,
  ListObjectsOptions,
  ListObjectsPage,
  ObjectInfo,
  ObjectSummary,
  UnreferencedChunk,
} from './queries.js';
export { MetaSnapshotRestorer, restoreSnapshot, snapshotPieces } from './snapshot.js';
