// Every bound of cairn in one place, named with its unit last. A request beyond a
// limit gets a clear 4xx naming the limit (see errors.ts, LimitExceededError).

const KiB = 1024;
const MiB = 1024 * KiB;

export const limits = {
  // Data model (DESIGN.md section 5 and 8).
  keyLengthBytesMax: 1024,
  objectInlineBytesMax: 64 * KiB,
  chunkSizeBytes: 4 * MiB,
  chunkBuffersPerNodeMax: 16, // chunk buffers of all puts on one node together (16 x 4 MiB)
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
  // A Raft snapshot travels alone in one request (the whole meta state, held in memory).
  requestPeerSnapshotBodyBytesMax: 512 * MiB,

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
  checkMinimizeStatesTotalMax: 1_000_000,
  checkMinimizeOperationsMax: 300,
  checkInvolvedContextOperations: 5,
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
  metaBatchCommandsMax: 64, // commands in one batch entry (applied together or not at all)
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

  // cairn bench (src/bench): every knob of a benchmark run is bounded.
  benchClientsMax: 1024,
  benchKeysMax: 10_000_000,
  benchValueBytesMax: 1024 * MiB,
  benchDurationMillisecondsMax: 24 * 60 * 60 * 1000,
  benchOperationsMax: 1_000_000_000,
  benchRateOperationsPerSecondMax: 1_000_000,
  benchErrorsMax: 100_000, // a phase stops once this many operations failed
  benchLatencyMicrosecondsMax: 60 * 60 * 1_000_000, // slower operations are recorded as this
  benchLocalNodesMax: 9,

  // cairn chaos (src/chaos): fault-testing runs of real local clusters.
  chaosNodesMax: 9,
  chaosSpareNodesMax: 4, // fresh nodes a run may join for membership faults
  chaosDurationMillisecondsMax: 24 * 60 * 60 * 1000,
  chaosOperationsMax: 2_000_000, // recorded operations per run; the workloads stop beyond
  chaosFaultsMax: 100_000, // faults scheduled per run
  chaosProxyConnectionsMax: 1024, // open connections per link proxy
  chaosRecoveryMillisecondsMax: 60_000, // wait for a healed cluster to serve again
  chaosObjectBytesMax: 8 * MiB,
  chaosDiskFillBytesMax: 1024 * MiB, // the filler file of the disk-full fault
  // a run fails when writes of a size class stayed unavailable this long with a healthy majority
  chaosWriteOutageMillisecondsMax: 10_000,
  chaosTmpfsBytes: 512 * MiB, // each node's data file system when the disk fault is on
  // Maintenance (src/data/maintenance, src/node/node-maintenance.ts): rebalance, repair, scrub, gc.
  maintenanceTransfersParallelDefault: 4, // chunk copies in flight during a rebalance or repair
  maintenanceTransfersParallelMax: 64,
  maintenanceRateBytesPerSecondMax: 100 * 1024 * MiB, // 0 means unlimited; anything else at most this
  maintenanceFillPercentMax: 90, // no chunk is copied to a node whose data file system is fuller
  maintenanceChunksScanMax: 20_000_000, // referenced chunks one pass may examine
  maintenanceInventoryPageChunksMax: 20_000, // chunk ids per inventory page between nodes
  maintenanceRemoveBatchChunksMax: 500, // chunk ids per removal request (fits requestMetadataBodyBytesMax)
  maintenanceFailuresKeptMax: 100, // failures a report keeps (counts stay complete)
  maintenancePassIntervalMilliseconds: 2_000, // leader's check for an unsettled epoch
  maintenanceSettleDelayMilliseconds: 5_000, // an epoch is settled no sooner than this after the leader saw it (puts in flight under the old ring)
  maintenanceRepairIntervalMilliseconds: 10 * 60 * 1000, // the leader's background repair pass (a settled cluster too)
  scrubRateBytesPerSecondDefault: 16 * MiB, // background scrub re-hash rate per node
  scrubIntervalMilliseconds: 60 * 60 * 1000, // a node starts a background scrub pass this long after the last one
  garbageGracePeriodMillisecondsDefault: 60 * 60 * 1000, // an unreferenced chunk file younger than this is kept (a put may still commit it)
  garbageIntervalMilliseconds: 10 * 60 * 1000, // leader's background garbage collection pass

  // Certificates (src/net/certificates.ts, cairn cert).
  certificateNameBytesMax: 64, // a CN, node name or user (X.509's upper bound for a CN)
  certificateHostsMax: 64, // IP addresses and DNS names of one node certificate
  certificateHostBytesMax: 253, // one DNS name
  certificateValidityDaysMax: 10_950, // 30 years
  certificateFileBytesMax: 64 * KiB, // a certificate or key file read from disk
  certificateDirectoryEntriesMax: 10_000, // entries of a certificate directory cairn cert list reads

  // Leases (src/meta/leases, src/node/lease-service.ts; src/meta/leases/README.md).
  leaseTtlMillisecondsMin: 2_000, // the TTL floor: above one maximum election timeout (2 s)
  leaseTtlMillisecondsMax: 7 * 24 * 60 * 60 * 1000,
  leasesMax: 10_000, // leases that may exist at once (the leader's duty scans them)
  leaseCheckpointIntervalMilliseconds: 500, // the leader commits time left this often
  leaseCheckpointsPerEntryMax: 1_000, // leases one checkpoint entry carries
  leaseExpiriesPerRunMax: 64, // expiries one run of the leader's duty proposes
  leaseReconcileIntervalMilliseconds: 1_000, // a node re-reads the leases it stores
  leaseObjectsMax: 1_000, // objects put with one lease (cairn put --lease)
  leaseObjectDeletionsPerEntryMax: 64, // objects of an ended lease one entry deletes (the leader proposes more)
  // Locks (src/meta/locks, src/node/lock-service.ts).
  lockNameBytesMax: 256,
  lockHoldersMax: 64, // the largest semaphore
  lockEntriesMax: 256, // holders and waiters of one lock together
  locksPerLeaseMax: 64, // locks one lease holds or waits on (its end releases them in one entry)
  lockWaitMillisecondsMax: 25_000, // one acquire request waits at most this (the CLI asks again)
} as const;

export type Limits = typeof limits;
