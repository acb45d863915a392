// Every bound of cairn in one place, named with its unit last. A request beyond a
// limit gets a clear 4xx naming the limit (see errors.ts, LimitExceededError).

const KiB = 1024;
const MiB = 1024 * KiB;

export const limits = {
  // Data model (DESIGN.md section 5 and 8).
  keyLengthBytesMax: 1024,
  objectInlineBytesMax: 64 * KiB,
  chunkSizeBytes: 4 * MiB,
  replicationFactorDefault: 3,
  replicationFactorMax: 7,
  listPageKeysMax: 1000,

  // Raft (DESIGN.md section 3 and 8).
  raftEntryBytesMax: 1 * MiB,
  raftMessageBatchBytesMax: 4 * MiB,
  raftInflightAppendsPerFollowerMax: 256,
  raftInflightBytesPerFollowerMax: 16 * MiB,
  raftVotersMax: 5,
  raftMembersMax: 64,
  raftElectionTimeoutTicks: 10,
  raftHeartbeatTicks: 1,
  raftUncommittedEntriesMax: 4096,
  raftReadIndexPendingMax: 4096,
  raftUncommittedBytesMax: 64 * MiB,
  raftReadyCommittedBytesMax: 16 * MiB,
  raftLearnerPromotionLagEntriesMax: 256,
  raftSnapshotPieceBytesMax: 1 * MiB,

  // Request bodies per endpoint.
  requestMetadataBodyBytesMax: 64 * KiB,
  requestPeerBatchBodyBytesMax: 8 * MiB,

  // Storage (DESIGN.md section 4).
  walSegmentBytesMax: 64 * MiB,
  walRecordBytesMax: 8 * MiB,
  // State store (LMDB) keys and values, also bounds one snapshot record. LMDB's own
  // key limit in lmdb-js is 1978 bytes; object keys (1024) plus a namespace prefix fit.
  stateKeyBytesMax: 1536,
  stateValueBytesMax: 16 * MiB,

  // Linearizability checker (src/check).
  checkStatesPerKeyMax: 2_000_000,
  checkMinimizeChecksMax: 400,
  checkMinimizeStatesPerCheckMax: 100_000,
  checkExplanationCandidatesMax: 6,

  // Placement ring (src/placement).
  placementMembersMax: 1024,
  placementIdentifierBytesMax: 64,
  placementWeightMax: 1_000_000,
  placementVirtualNodesPerWeightUnitDefault: 1024,
  placementVirtualNodesPerNodeMax: 16_384,
  placementVirtualNodesTotalMax: 2_097_152,
  placementHashInputBytesMax: 1024,
  placementDiffChangesKeptMax: 100_000,
  placementCalibrationRoundsMax: 16,

  // Meta state machine (src/meta).
  metaAddressBytesMax: 256,
  metaClusterIdBytesMax: 64,
  metaRequestIdBytesMax: 64,
  metaManifestChunksMax: 16_384,
  metaRingEpochsUnsettledMax: 64,
  metaRequestDeduplicationIndexWindow: 200_000,
  metaRequestExpiriesPerApplyMax: 4,
  metaStoredValueBytesMax: 2 * MiB,
  metaRejectionMessageBytesMax: 1024,

  // Client.
  clientRetryAttemptsMax: 5,
  clientRequestTimeoutMilliseconds: 30_000,
  clientRetryAttemptsOptionMax: 100, // the largest retryAttemptsMax a caller may ask for
  clientEndpointsMax: 64,
  clientEndpointsTextBytesMax: 16 * KiB,
  clientLearnedEndpointsMax: 64, // endpoints learned from leader hints, beyond the configured ones
  clientConnectionsPerEndpointMax: 256,
  clientKeepAliveTimeoutMilliseconds: 4_000,
  clientBackoffBaseMillisecondsDefault: 50,
  clientBackoffMaxMillisecondsDefault: 2_000,
  clientBackoffMillisecondsMax: 60_000,
  clientJsonResponseBytesMax: 16 * MiB,
  clientErrorResponseBytesMax: 64 * KiB,
  clientBodySliceBytes: 64 * KiB,
  clientBodyEmptyWakeupsMax: 10_000, // wake-ups of a streamed body without data before giving up
  clientListPagesMax: 100_000,
} as const;

export type Limits = typeof limits;
