// The objects family (object index, manifests, chunk references, request-id
// bookkeeping): its commands as the registry sees them. Public names are re-exported by
// src/meta/index.ts.

import { defineCommand, type MetaFamily } from '../family.js';
import { applyObjectCommand, replayedObjectCommand } from './apply.js';
import {
  type DeleteObjectCommand,
  deleteProblem,
  type PutObjectCommand,
  putProblem,
  putSizeEstimateBytes,
  readDelete,
  readPut,
  writeDelete,
  writePut,
} from './commands.js';
import { objectKeys } from './keys.js';

export const objectsFamily: MetaFamily = {
  name: 'objects',
  ownedKeys: Object.values(objectKeys),
  commands: [
    defineCommand<PutObjectCommand>({
      type: 'putObject',
      tag: 6,
      changesMembership: false,
      encode: writePut,
      decode: readPut,
      problem: putProblem,
      apply: applyObjectCommand,
      replayed: replayedObjectCommand,
      sizeEstimateBytes: putSizeEstimateBytes,
    }),
    defineCommand<DeleteObjectCommand>({
      type: 'deleteObject',
      tag: 7,
      changesMembership: false,
      encode: writeDelete,
      decode: readDelete,
      problem: deleteProblem,
      apply: applyObjectCommand,
      replayed: replayedObjectCommand,
    }),
  ],
};

export type {
  DeleteObjectCommand,
  ObjectCommand,
  ObjectValue,
  PutObjectCommand,
  WriteCondition,
} from './commands.js';
export { chunkReferenceKey, inlineValueKey, objectKey, objectKeys } from './keys.js';
export {
  chunkReferenceCount,
  getObject,
  listObjects,
  readObject,
  readObjectStatistics,
  requestApplied,
} from './queries.js';
export type { ListObjectsOptions, ListObjectsPage, ObjectInfo, ObjectSummary } from './queries.js';
export type { ManifestChunk, ObjectRecord, ObjectStatistics, RequestRecord } from './records.js';
export { decodeObject, decodeRequest, encodeObject, encodeRequest } from './records.js';
