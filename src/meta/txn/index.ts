// The txn family (transactions, their kept outcomes, staged uploads): its commands as
// the registry sees them. Public names are re-exported by src/meta/index.ts.

import { defineCommand, type MetaFamily } from '../family.js';
import { applyExpireStaging, applyStage, applyTransaction } from './apply.js';
import {
  type ExpireStagingCommand,
  expireStagingProblem,
  readExpireStaging,
  readStage,
  readTransaction,
  type StageObjectCommand,
  stageProblem,
  type TransactionCommand,
  transactionSizeEstimateBytes,
  writeExpireStaging,
  writeStage,
  writeTransaction,
} from './commands.js';
import { txnKeys, txnOwnedKeys } from './keys.js';
import { transactionProblem } from './validate.js';

export const txnFamily: MetaFamily = {
  name: 'txn',
  ownedKeys: txnOwnedKeys,
  commands: [
    defineCommand<TransactionCommand>({
      type: 'transaction',
      tag: 40,
      changesMembership: false,
      encode: writeTransaction,
      decode: readTransaction,
      problem: transactionProblem,
      apply: applyTransaction,
      sizeEstimateBytes: transactionSizeEstimateBytes,
    }),
    defineCommand<StageObjectCommand>({
      type: 'stageObject',
      tag: 41,
      changesMembership: false,
      encode: writeStage,
      decode: readStage,
      problem: stageProblem,
      apply: applyStage,
    }),
    defineCommand<ExpireStagingCommand>({
      type: 'expireStaging',
      tag: 42,
      changesMembership: false,
      encode: writeExpireStaging,
      decode: readExpireStaging,
      problem: expireStagingProblem,
      apply: applyExpireStaging,
    }),
  ],
};

export const txnMetaKeys = txnKeys;
export type {
  CompareOperator,
  CompareTarget,
  CompareValue,
  ExpireStagingCommand,
  StageObjectCommand,
  TransactionCommand,
  TxnCommand,
  TxnCompare,
  TxnFence,
  TxnOperation,
  TxnOperationType,
} from './commands.js';
export { compareOperators, compareTargets, transactionFingerprint } from './commands.js';
export { deletePrefixLimitMessage } from './apply.js';
export { compareHolds, keyState } from './compare.js';
export type {
  TxnFailedCompare,
  TxnKeyState,
  TxnObjectSummary,
  TxnOperationResult,
  TxnOutcome,
} from './outcome.js';
export {
  firstStagedExpiry,
  listStagedUploads,
  lookUpTxnOutcome,
  readStagedUpload,
  txnRetention,
} from './queries.js';
export type { TxnOutcomeLookup, TxnRetention } from './queries.js';
export type { StagedRecord } from './records.js';
export { transactionProblem } from './validate.js';
