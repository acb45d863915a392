// Transactions and staged uploads (issue 16): POST /v1/txn proposes one `transaction`
// entry (compares, then one branch, exactly once by request id); GET /v1/txn/{id}
// answers a kept outcome, NOT_APPLIED or EXPIRED; POST /v1/staging stores a large
// object's chunks through the object write path and records a handle with a lifetime.

import { randomBytes } from 'node:crypto';
import type {
  ReadConsistency,
  StagedUpload,
  TxnAnswer,
  TxnOperationAnswer,
  TxnRequest,
} from '../api/index.js';
import {
  chunksCollectedMessagePrefix,
  deletePrefixLimitMessage,
  encodeCommand,
  firstStagedExpiry,
  lookUpTxnOutcome,
  readProgress,
  readStagedUpload,
  transactionProblem,
  type MetaCommand,
  type MetaReader,
  type MetaResult,
  type ObjectValue,
  type TransactionCommand,
  type TxnOperationResult,
  type TxnOutcome,
} from '../meta/index.js';
import { CairnError, InvalidArgumentError, LimitExceededError } from '../util/errors.js';
import { fencedMessagePrefix, type TxnFence } from '../meta/index.js';
import { fencedError } from './lock-service.js';
import { limits } from '../util/limits.js';

/** What the txn service needs of the meta group. */
export interface TxnGroup {
  propose(command: MetaCommand): Promise<MetaResult>;
  readBarrier(consistency: ReadConsistency): Promise<void>;
  reader(): MetaReader;
  requireMember(): void;
  isLeader(): boolean;
}

/** What it needs of the object service: the chunk write path, nothing committed. */
export interface ChunkWriter {
  writeChunkedValue(body: AsyncIterable<Uint8Array>): Promise<{
    value: Extract<ObjectValue, { kind: 'manifest' }>;
    size: number;
    sha256: string;
    /** The Raft index applied before the first chunk (the garbage rule, src/meta/garbage). */
    writeStartIndex: number;
    /** Ends the in-flight hold of the chunks (after the commit or its failure). */
    release?: () => void;
  }>;
}

export interface TxnServiceOptions {
  readonly group: TxnGroup;
  readonly chunks: ChunkWriter;
  readonly now?: () => number;
  /** Throws FENCED when a fence's lease is past its deadline here (lock service). */
  readonly checkFenceUsable?: (fence: TxnFence) => void;
  readonly log?: (event: string, fields?: Record<string, unknown>) => void;
}

const pathPattern = /^((?:compare|success|failure)\[\d+\](?:\.\w+)?)/;

export class TxnService {
  private readonly now: () => number;

  constructor(private readonly options: TxnServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** `fence` (x-cairn-fence): applied only while its token holds the lock, else FENCED. */
  async txn(request: TxnRequest, fence?: TxnFence): Promise<TxnAnswer> {
    this.options.group.requireMember();
    const command: TransactionCommand = {
      type: 'transaction',
      requestId: request.requestId,
      proposedAtMilliseconds: this.now(),
      compare: request.compare,
      success: request.success,
      failure: request.failure,
      ...(fence === undefined ? {} : { fence }),
    };
    const problem = transactionProblem(command);
    if (problem !== undefined) {
      const path = pathPattern.exec(problem)?.[1];
      throw new InvalidArgumentError(problem, path === undefined ? {} : { path });
    }
    const encodedBytes = encodedSizeBytes(command);
    if (encodedBytes > limits.txnBytesMax)
      throw new LimitExceededError('txnBytesMax', limits.txnBytesMax, encodedBytes, 'bytes');
    if (fence !== undefined) this.options.checkFenceUsable?.(fence);
    const result = await this.options.group.propose(command);
    if (fence !== undefined && result.type === 'rejected')
      if (result.message.startsWith(fencedMessagePrefix)) throw fencedError(fence);
    return txnAnswer(outcomeOrThrow(result));
  }

  async outcome(requestId: string, sentAfterRevision: number): Promise<TxnAnswer> {
    this.options.group.requireMember();
    await this.options.group.readBarrier('linearizable');
    const reader = this.options.group.reader();
    const lookup = lookUpTxnOutcome(reader, requestId, sentAfterRevision);
    if (lookup.state === 'found') return txnAnswer(lookup.outcome);
    const revision = readProgress(reader).revision;
    if (lookup.state === 'expired')
      throw new CairnError(
        'CAIRN_ERR_EXPIRED',
        `the outcome of request id "${requestId}" is past the retained window (outcomes up to revision ${lookup.droppedThroughRevision} were dropped): it may or may not have applied`,
        { details: { requestId, droppedThroughRevision: lookup.droppedThroughRevision } },
      );
    throw new CairnError(
      'CAIRN_ERR_NOT_APPLIED',
      `no txn with request id "${requestId}" applied after revision ${sentAfterRevision} (now ${revision}); one still in flight may apply later: resend it with the same request id to settle it`,
      { details: { requestId, revision, outcome: 'failed' } },
    );
  }

  async stage(
    body: AsyncIterable<Uint8Array>,
    input: { sizeBytes?: number; lifetimeMilliseconds: number },
  ): Promise<StagedUpload> {
    this.options.group.requireMember();
    const written = await this.options.chunks.writeChunkedValue(body);
    try {
      return await this.recordStaged(written, input);
    } finally {
      written.release?.();
    }
  }

  private async recordStaged(
    written: Awaited<ReturnType<ChunkWriter['writeChunkedValue']>>,
    input: { sizeBytes?: number; lifetimeMilliseconds: number },
  ): Promise<StagedUpload> {
    if (written.size === 0)
      throw new InvalidArgumentError('a staged upload holds at least 1 byte (put it inline)');
    if (input.sizeBytes !== undefined && input.sizeBytes !== written.size)
      throw new InvalidArgumentError(
        `the body had ${written.size} bytes but content-length said ${input.sizeBytes}`,
      );
    const handle = randomBytes(16).toString('hex');
    const proposedAtMilliseconds = this.now();
    const result = await this.options.group.propose({
      type: 'stageObject',
      handle,
      proposedAtMilliseconds,
      lifetimeMilliseconds: input.lifetimeMilliseconds,
      value: written.value,
      writeStartIndex: written.writeStartIndex,
    });
    if (result.type === 'rejected' && result.message.includes(chunksCollectedMessagePrefix))
      throw new CairnError('CAIRN_ERR_CHUNKS_COLLECTED', result.message);
    if (result.type !== 'ok')
      throw new CairnError(
        'CAIRN_ERR_INVALID_ARGUMENT',
        result.type === 'rejected' ? result.message : `staging answered ${result.type}`,
      );
    const recorded = readStagedUpload(this.options.group.reader(), handle);
    return {
      handle,
      size: written.size,
      sha256: written.sha256,
      chunks: written.value.chunks.length,
      expiresAtMilliseconds:
        recorded?.expiresAtMilliseconds ?? proposedAtMilliseconds + input.lifetimeMilliseconds,
    };
  }

  /** Leader duty: commit the expiry of staged uploads past their lifetime. */
  async expireStagingDuty(): Promise<void> {
    const { group } = this.options;
    if (!group.isLeader()) return;
    const first = firstStagedExpiry(group.reader());
    const now = this.now();
    if (first === undefined || first > now) return;
    const result = await group.propose({ type: 'expireStaging', nowMilliseconds: now });
    this.options.log?.('staging-expired', { result: result.type });
  }
}

/** The encoded size; past raftEntryBytesMax the encoder stops, still over txnBytesMax. */
function encodedSizeBytes(command: TransactionCommand): number {
  try {
    return encodeCommand(command).length;
  } catch (error) {
    if (error instanceof LimitExceededError && typeof error.details['actualValue'] === 'number')
      return error.details['actualValue'];
    throw error;
  }
}

function outcomeOrThrow(result: MetaResult): TxnOutcome {
  if (result.type === 'transaction') return result.outcome;
  const message = result.type === 'rejected' ? result.message : `the txn answered ${result.type}`;
  if (message.includes(deletePrefixLimitMessage))
    throw new CairnError('CAIRN_ERR_LIMIT_EXCEEDED', message, {
      details: { limit: 'txnDeletePrefixKeysMax', limitValue: limits.txnDeletePrefixKeysMax },
    });
  throw new CairnError('CAIRN_ERR_INVALID_ARGUMENT', message);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function txnAnswer(outcome: TxnOutcome): TxnAnswer {
  return {
    requestId: outcome.requestId,
    succeeded: outcome.succeeded,
    revision: outcome.revision,
    replayed: outcome.replayed === true,
    results: outcome.results.map(resultAnswer),
    failedCompares: outcome.failedCompares,
  };
}

function resultAnswer(result: TxnOperationResult): TxnOperationAnswer {
  if (result.type !== 'get' || result.object?.value === undefined) return result;
  const { value, ...object } = result.object;
  let valueText: string | undefined;
  try {
    valueText = utf8.decode(value);
  } catch {
    valueText = undefined;
  }
  const encoded = Buffer.from(value).toString('base64');
  const withValue = valueText === undefined ? { value: encoded } : { value: encoded, valueText };
  return { ...result, object: { ...object, ...withValue } };
}
