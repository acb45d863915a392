// The garbage family (issue 13): collections of unreferenced chunks, committed by the
// leader, and the tombstones that refuse a write whose chunks a later collection took.

import { defineCommand, type MetaFamily } from '../family.js';
import { applyCollect } from './apply.js';
import {
  type CollectChunksCommand,
  collectProblem,
  readCollect,
  writeCollect,
} from './commands.js';

export const garbageFamily: MetaFamily = {
  name: 'garbage',
  ownedKeys: ['g/'],
  commands: [
    defineCommand<CollectChunksCommand>({
      type: 'collectChunks',
      tag: 92,
      changesMembership: false,
      encode: writeCollect,
      decode: readCollect,
      problem: collectProblem,
      apply: applyCollect,
      sizeEstimateBytes: (command) => 8 + command.sha256s.length * 33,
    }),
  ],
};

export type { CollectChunksCommand, GarbageCommand } from './commands.js';
export { garbageKeys } from './keys.js';
export {
  chunksCollectedMessagePrefix,
  chunksCollectedProblem,
  chunkTombstoneIndex,
  type Collection,
  nextCollection,
  readGarbageState,
} from './queries.js';
export type { GarbageState } from './records.js';
