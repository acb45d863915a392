// The replicated state machine of the meta group (DESIGN.md sections 1, 5, 6), by
// families: cluster/ (identity and settings, members, rings and epochs) and objects/
// (object index, manifests, chunk references, request-id bookkeeping). This file is
// the public face: other layers import from here only.

export type {
  AddMemberCommand,
  BootstrapClusterCommand,
  ClusterCommand,
  ClusterIdentity,
  MemberRecord,
  MemberRole,
  MemberSpec,
  MembershipCommand,
  RemoveMemberCommand,
  RingState,
  SettleEpochCommand,
  UpdateMemberCommand,
} from './cluster/index.js';
export type {
  ClusterSettings,
  DownMember,
  SetClusterSettingsCommand,
  SetMemberDownCommand,
} from './cluster/index.js';
export {
  defaultSettings,
  majorityOf,
  readClusterSettings,
  readDownMembers,
  writeQuorumProblem,
} from './cluster/index.js';
export {
  currentRing,
  memberRoles,
  members,
  readIdentity,
  readMembers,
  readRingState,
  ringAt,
  settledRing,
} from './cluster/index.js';
export type {
  DeleteObjectCommand,
  ListObjectsOptions,
  ListObjectsPage,
  ManifestChunk,
  ObjectCommand,
  ObjectInfo,
  ObjectRecord,
  ObjectStatistics,
  ObjectSummary,
  ObjectValue,
  PutObjectCommand,
  WriteCondition,
} from './objects/index.js';
export {
  chunkReferenceCount,
  getObject,
  listObjects,
  readObject,
  readObjectStatistics,
  requestApplied,
} from './objects/index.js';
export type {
  AttachObjectCommand,
  DeleteLeaseObjectsCommand,
  CheckpointLeasesCommand,
  ExpireLeaseCommand,
  GrantLeaseCommand,
  KeepaliveLeaseCommand,
  LeaseCheckpoint,
  LeaseCommand,
  LeaseDeadline,
  LeaseInfo,
  LeaseRecord,
  RevokeLeaseCommand,
} from './leases/index.js';
export {
  LeaseDeadlines,
  leaseIdOfKey,
  leaseObjectPrefix,
  listLeases,
  readLease,
} from './leases/index.js';
export type {
  AcquireLockCommand,
  CheckFenceCommand,
  LockCommand,
  LockEntry,
  LockMode,
  LockRecord,
  ReleaseLockCommand,
} from './locks/index.js';
export {
  fencedMessagePrefix,
  listLocks,
  lockNameProblem,
  lockStanding,
  readLock,
} from './locks/index.js';
export {
  commandChangesMembership,
  commandProblem,
  decodeCommand,
  encodeCommand,
} from './commands.js';
export type { BatchCommand, FamilyCommand, MetaCommand, MetaCommandType } from './commands.js';
export type { ConfChangeInEntry, FamilyName, MetaChange } from './family.js';
export {
  compareUtf8,
  InvalidKeyError,
  objectKeyProblem,
  validateObjectKey,
} from './keys.js';
export type { GroupProgress, MetaProgress } from './progress.js';
export { readProgress } from './progress.js';
export { chunkRetainedReferenceCount, clusterInfo } from './queries.js';
export {
  defaultRetentionPolicy,
  historyChunkReferenceCount,
  historyRange,
  listObjectsAtRevision,
  readEvents,
  readRetention,
} from './events/index.js';
export type {
  EventsRead,
  HistoryRange,
  HistoryRetention,
  ListAtRevisionOptions,
  ListAtRevisionPage,
  RetentionPolicy,
  RevisionEvents,
  StoredEvent,
} from './events/index.js';
export type { ClusterInfo } from './queries.js';
export { families, metaKeys, ownerOfKey } from './registry.js';
export type { MetaResult } from './results.js';
export {
  applyCommand,
  applyCommandReporting,
  applyEntryData,
  applyEntryDataReporting,
  previewCommand,
} from './state-machine.js';
export type { AppliedCommand, ApplyOptions } from './state-machine.js';
export { BufferedTransaction, MemoryMetaStore, rangeEntriesMax } from './store.js';
export type { MetaEntry, MetaReader, MetaTransaction } from './store.js';
export { MetaSnapshotRestorer, restoreSnapshot, snapshotPieces } from './snapshot.js';
export type {
  CompareOperator,
  CompareTarget,
  CompareValue,
  StagedRecord,
  TransactionCommand,
  TxnCompare,
  TxnFence,
  TxnFailedCompare,
  TxnKeyState,
  TxnObjectSummary,
  TxnOperation,
  TxnOperationResult,
  TxnOutcome,
  TxnOutcomeLookup,
  TxnRetention,
} from './txn/index.js';
export {
  compareOperators,
  compareTargets,
  deletePrefixLimitMessage,
  firstStagedExpiry,
  listStagedUploads,
  lookUpTxnOutcome,
  readStagedUpload,
  transactionProblem,
  txnRetention,
} from './txn/index.js';
// Issue 13: garbage reclaimed on evidence (src/meta/garbage).
export {
  chunksCollectedMessagePrefix,
  chunksCollectedProblem,
  chunkTombstoneIndex,
  nextCollection,
  readGarbageState,
} from './garbage/index.js';
export type {
  CollectChunksCommand,
  Collection,
  GarbageCommand,
  GarbageState,
} from './garbage/index.js';
// Users, roles, tokens and the enabled flag (issue 14).
export * as auth from './auth/index.js';
