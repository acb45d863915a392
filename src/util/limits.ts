// Every bound of cairn in one place, named with its unit last. A request beyond a
// limit gets a clear 4xx naming the limit (see errors.ts, LimitExceededError).

const KiB = 1024;
const MiB = 1024 * KiB;

// The chaos disks (issue 13 item 7): sized from the workload's bounds, so only the disk
// fault can fill them. Every byte a node stores for objects is a file of one chunk some
// put sent (content-addressed: at most one live file per chunk per node, whatever R, the
// number of nodes, hinted copies, repair or rebalance), plus at most one quarantined file
// per chunk per node (the corruption fault damages each node's copy at most once), so
//   chunk bytes on a node <= 2 x chunked bytes the objects workload puts in the run,
// and the rest (WAL segments between snapshots, two snapshot files, the LMDB state, inline
// values of every workload) fits the metadata allowance. This holds with no garbage
// collected at all; collection only keeps the real use far below it.
const chaosObjectChunkedBytesPerRunMax = 1024 * MiB;
const chaosNodeMetadataBytesAllowance = 256 * MiB;
const chaosTmpfsBytes = 2 * chaosObjectChunkedBytesPerRunMax + chaosNodeMetadataBytesAllowance;

export const limits = {
  // Data model (DESIGN.md section 5 and 8).
  keyLengthBytesMax: 1024,
  objectInlineBytesMax: 64 * KiB,
  chunkSizeBytes: 4 * MiB,
  chunkBuffersPerNodeMax: 16, // chunk buffers of all puts on one node together (16 x 4 MiB)
  replicationFactorDefault: 3,
  replicationFactorMax: 7,
  // Write quorum and hinted copies (DESIGN.md section 6a).
  placementPreferenceListLengthMax: 16, // members a chunk write or read may try, home nodes first
  chunkCopyHedgeDelayMillisecondsDefault: 3_000, // a copy unanswered this long gets a stand-in on the next node
  chunkCopyStragglerWaitMillisecondsDefault: 8_000, // once W copies are durable, the longest wait for the rest (above the hedge delay, so a stand-in has time)
  memberSuspectMillisecondsDefault: 15_000, // a chunk peer that failed this recently gets a stand-in at once
  memberSuspectsMax: 1_024, // members a node remembers as failed lately
  chunkReadHeadersTimeoutMilliseconds: 2_000, // a chunk peer that has not begun to answer a read by then: the next copy is tried
  peerConnectTimeoutMilliseconds: 3_000, // a chunk peer that does not accept a connection in this time is skipped
  hintsStoredMax: 100_000, // hinted copies one node records, kept in memory too (a write beyond it goes to another node)
  hintedHandoffHintsPerRunMax: 1_000, // hints one hand-off run examines
  hintedHandoffBytesPerRunMax: 256 * MiB, // chunk bytes one hand-off run sends home
  hintedHandoffIntervalMillisecondsDefault: 10_000, // how often a node runs its hand-off
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
  // A snapshot is a file, written, sent (one piece per request, CRC32C each) and installed
  // in pieces of at most this size; nothing holds it whole (src/storage/snapshot-*.ts).
  raftSnapshotPieceBytesMax: 1 * MiB,
  // Only without snapshot files (the simulator) is a snapshot held in memory, up to this.
  raftSnapshotInMemoryBytesMax: 512 * MiB,

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

  // Transactions and staged uploads (src/meta/txn, POST /v1/txn, POST /v1/staging).
  txnComparesMax: 1024, // compares in one txn
  txnOperationsMax: 1024, // operations of one branch (success or failure) of a txn
  txnBytesMax: 960 * KiB, // one txn is one Raft entry: its encoded command stays under raftEntryBytesMax
  txnRequestBodyBytesMax: 2 * MiB, // the JSON body of POST /v1/txn (base64 values grow by 4/3)
  txnDeletePrefixKeysMax: 1000, // keys all deletePrefix operations of one txn may delete together
  txnReadKeysMax: 10_000, // keys the gets and list pages of one txn may return together
  txnOutcomesRetainedRevisions: 3_000_000, // outcomes kept by request id: the last this many revisions...
  txnOutcomesRetainedMilliseconds: 15 * 60 * 1000, // ...or this long, whichever keeps more...
  txnOutcomesBytesMax: 256 * MiB, // ...but never more than this many bytes (records and keys; a simulator snapshot must fit raftSnapshotInMemoryBytesMax)
  txnExpiriesPerApplyMax: 16, // outcomes and staged handles one entry may expire
  stagingLifetimeMillisecondsDefault: 60 * 60 * 1000, // a staged upload not committed by then is dropped
  stagingLifetimeMillisecondsMax: 24 * 60 * 60 * 1000,
  stagingExpiryIntervalMilliseconds: 30_000, // the leader's check for expired staged uploads
  // History and watch (src/meta/events, src/node/watch-hub.ts).
  historyRetentionRevisionsDefault: 10_000, // revisions whose events the meta group keeps
  historyRetentionBytesDefault: 64 * MiB, // bytes of retained events (records they replaced included)
  historyCompactionEventsPerApplyMax: 256, // events one entry may drop (the next entries drop the rest)
  historyCompactionStepRevisions: 64, // revisions beyond the retention before a compaction runs
  historyEventsPerRevisionMax: 100_000, // events one revision may hold (one read of a revision)
  watchersPerNodeMax: 10_000,
  watchBufferBytesMax: 1 * MiB, // unsent bytes per watcher before it waits for its consumer
  watchSlowConsumerMillisecondsMax: 10_000, // a watcher stuck on a full buffer this long is canceled
  watchProgressIntervalMilliseconds: 1_000, // an idle watch sends its current revision this often
  watchEventsPerReadMax: 1_000, // events a watcher reads from the history at once
  watchReadsPerPumpMax: 64, // history reads per wake-up of one watcher (the next wake-up goes on)

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
  clientWatchStreamsMax: 1_000_000, // streams one watch may open (each resume opens one)
  clientWatchReconnectAttemptsMax: 100, // failed opens in a row before a watch gives up
  clientWatchLineBytesMax: 64 * KiB,

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
  // bytes the objects workload puts in chunked objects per run (then only inline sizes)
  chaosObjectChunkedBytesPerRunMax,
  chaosNodeMetadataBytesAllowance, // WAL, snapshots, state and inline values of one node
  chaosDiskFillBytesMax: chaosTmpfsBytes, // the filler file of the disk-full fault: the whole disk
  // a run fails when writes of a size class stayed unavailable this long with a healthy majority
  chaosWriteOutageMillisecondsMax: 10_000,
  chaosTmpfsBytes, // each node's data file system when the disk fault is on (formula above)
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
  maintenanceRetryMillisecondsMin: 2_000, // first retry of a pass that left copies undone
  maintenanceRetryMillisecondsMax: 60_000, // its backoff doubles up to this
  scrubRateBytesPerSecondDefault: 16 * MiB, // background scrub re-hash rate per node
  scrubIntervalMilliseconds: 60 * 60 * 1000, // a node starts a background scrub pass this long after the last one
  // Garbage (src/meta/garbage, src/node/chunk-reclaimer.ts): reclaimed on evidence, no clock.
  garbageIntervalMilliseconds: 10_000, // leader's background pass: inventories, then collectChunks entries
  garbageCollectChunksPerEntryMax: 500, // chunks one collectChunks entry takes (one node's removal page)
  garbageCollectionsRetainedMax: 256, // collections whose tombstones meta keeps; a write begun before them is refused
  garbageReclaimIntervalMilliseconds: 1_000, // every node deletes the chunks of collections it applied
  garbageInFlightChunksReportedMax: 100_000, // chunks of puts in flight a node reports; beyond, the leader skips the pass
  garbageChunkWriteWaitMillisecondsMax: 5_000, // a chunk write waits this long for the node to apply and reclaim the collections its writer saw

  // Certificates (src/net/certificates.ts, cairn cert).
  certificateNameBytesMax: 64, // a CN, node name or user (X.509's upper bound for a CN)
  certificateHostsMax: 64, // IP addresses and DNS names of one node certificate
  certificateHostBytesMax: 253, // one DNS name
  certificateValidityDaysMax: 10_950, // 30 years
  certificateFileBytesMax: 64 * KiB, // a certificate or key file read from disk
  certificateDirectoryEntriesMax: 10_000, // entries of a certificate directory cairn cert list reads
  // Connections of both ports (src/net/listen.ts) and TLS (cairn serve --tls-dir).
  requestHeaderBytesMax: 16 * KiB, // the request line and headers of one request (431 beyond)
  requestHeadersTimeoutMilliseconds: 10_000, // headers not complete by then: the connection closes
  connectionsCheckIntervalMilliseconds: 1_000, // how often the header timeout is checked
  tlsHandshakeTimeoutMilliseconds: 10_000, // a TLS handshake (or its first byte) not done by then
  tlsReloadDebounceMilliseconds: 500, // changed TLS files are re-read once they are quiet this long

  // Encryption at rest (src/storage/sealing.ts, --encryption-key-file).
  encryptionSegmentPlaintextBytes: 64 * KiB, // plaintext of one sealed segment (own nonce and tag)
  encryptionSegmentPlaintextBytesMax: 4 * MiB, // the largest segment size a sealed header may name
  encryptionKeysMax: 1_000, // keys one key file may hold (rotation appends one)
  encryptionKeyFileBytesMax: 256 * KiB, // a key file read from disk
  encryptionRememberedValuesMax: 2_048, // small state values kept opened in memory (state-value-sealing.ts)
  encryptionRememberedValueBytesMax: 4 * KiB, // larger values are opened at every read

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
  lockListPageMax: 100, // locks one page of GET /v1/locks lists (cairn lock list)
  // Elections (cairn elect, src/cli/election.ts): the leader's value is a small object.
  electionValueBytesMax: 4 * KiB,

  // Users, roles and tokens (src/meta/auth, src/node/auth-service.ts, src/server/access.ts).
  authNameBytesMax: 64, // a user or role name
  authUsersMax: 1_000,
  authRolesMax: 1_000,
  authRolesPerUserMax: 32,
  authPermissionsPerRoleMax: 64,
  authScopePermissionsMax: 16, // permissions of one token's own scope
  authTokensMax: 10_000, // tokens that may exist at once (removing a user scans them)
  authTokenDescriptionBytesMax: 128,
  authTokenLifetimeMillisecondsMax: 10 * 365 * 24 * 3_600_000, // --expires-in at most ten years
  authTokenTextBytesMax: 128, // an authorization header's token (ours are 70 characters)
} as const;

export type Limits = typeof limits;
