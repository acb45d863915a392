// The placement ring (pure): see README.md in this folder.
export { Ring } from './ring.js';
export {
  createRingDescription,
  memberStates,
  parseRingDescription,
  ringDescriptionFormatVersion,
  ringDescriptionToJson,
  virtualNodeCountFor,
  virtualNodeCountOf,
} from './description.js';
export type { MemberState, RingDescription, RingMember, RingSettings } from './description.js';
export { encodeUtf8, finalMix, murmurHash3Bytes, murmurHash3String } from './hash.js';
export { diffChunk, diffRings, RingDiffAccumulator } from './diff.js';
export type {
  ChunkPlacementChange,
  ChunkReference,
  MemberTransferTotals,
  RingDiff,
} from './diff.js';
export { calibrateVirtualNodes, targetCopyShares } from './calibrate.js';
export type { CalibrationResult } from './calibrate.js';
export { applyRingChange } from './changes.js';
export type { RingChange } from './changes.js';
