export { TokenBucket } from './token-bucket.js';
export { planReconcile } from './reconcile.js';
export type {
  ChunkReference,
  CopyTask,
  MemberInventory,
  ReconcileInput,
  ReconcilePlan,
  RefusedTarget,
  SurplusCopy,
} from './reconcile.js';
export { runCopies } from './copy-runner.js';
export type { CopyFailure, CopyRunOptions, CopyRunResult } from './copy-runner.js';
export { planRebalance } from './rebalance-plan.js';
export type { MemberPlan, RebalancePlan, RebalancePlanInput } from './rebalance-plan.js';
export { scrubChunks } from './scrub.js';
export type { ScrubIo, ScrubOptions, ScrubReport } from './scrub.js';
export { referencedChunks } from './referenced-chunks.js';
export {
  collectGarbage,
  configureRebalance,
  drainMember,
  rebalancePlan,
  rebalanceStatus,
  repairCluster,
  scrubNode,
  waitForSettled,
} from './admin-calls.js';
export type { JsonRequester, RebalanceStatusView, WaitOptions } from './admin-calls.js';
