// cairn bench: workload generators, the open/closed-loop runner, latency histograms
// and the report. commands/bench.ts and the bench/ scripts drive clusters through it.
export {
  type KeyChooser,
  type KeyDistributionName,
  keyDistributionNames,
  makeKeyChooser,
  UniformKeyChooser,
  ZipfianKeyChooser,
  zeta,
} from './key-distribution.js';
export { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
export { findFreePortRange, type LocalCluster, startLocalCluster } from './local-cluster.js';
export { RateSchedule } from './rate-schedule.js';
export {
  type BenchReport,
  errorRows,
  errorsHead,
  formatNumber,
  type OperationRow,
  type PhaseReport,
  phaseReport,
  summaryLine,
  throughputHead,
  throughputRows,
} from './report.js';
export {
  type BenchClock,
  errorCode,
  type OperationStats,
  type PhaseOptions,
  type PhaseResult,
  type PlannedOperation,
  realClock,
  runPhase,
} from './runner.js';
export { type BenchTarget, CairnTarget, RoundRobinHttpTarget } from './target.js';
export {
  logUniformSizeBytes,
  mebibytes,
  parseDurationMilliseconds,
  parseSizeBytes,
  parseSizeRange,
  type SizeRange,
} from './units.js';
export { type BenchBody, ValueSource } from './values.js';
export {
  runWorkload,
  validateWorkload,
  type WorkloadHooks,
  type WorkloadName,
  workloadNames,
  type WorkloadOptions,
} from './workloads.js';
