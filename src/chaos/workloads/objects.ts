// The objects workload: concurrent clients put objects of 1 KiB to 8 MiB (bytes
// generated from a recorded seed, so their SHA-256 is known), read them back and
// delete them. Reads during the run must return bytes some put wrote; after the run
// checkObjects (objects-check.ts) decides, per key, whether the final state is one
// the acknowledged writes allow.

import { createHash } from 'node:crypto';
import type { CairnClient } from '../../client/index.js';
import { assert } from '../../util/assert.js';
import { CairnError } from '../../util/errors.js';
import { limits } from '../../util/limits.js';
import { Prng } from '../../util/prng.js';
import { errorCodeOf, errorText, writeOutcomeOf, type HistoryRecorder } from '../history.js';

export interface ObjectsWorkloadOptions {
  readonly clients: readonly CairnClient[];
  /** Distinct keys at most; once all exist, puts overwrite. */
  readonly keys: number;
  readonly seed: number;
  readonly objectBytesMin: number;
  readonly objectBytesMax: number;
  readonly recorder: HistoryRecorder;
  readonly stopped: () => boolean;
  readonly operationsPerClientMax: number;
  /**
   * Bytes of chunked objects (above the inline size) the run may put, attempts included;
   * past it puts are inline-sized. What the chaos disks are sized from (limits.ts).
   */
  readonly chunkedBytesMax?: number;
}

/** The run's chunked bytes so far, shared by its clients. */
export interface ChunkedBudget {
  readonly max: number;
  used: number;
}

const objectPrefix = 'chaos/objects/';

export function objectKey(index: number): string {
  return `${objectPrefix}${index}`;
}

/** The bytes of a put: a function of (seed, size) only. */
export function objectContent(contentSeed: number, size: number): Buffer {
  assert(
    Number.isSafeInteger(size) && size >= 0 && size <= limits.chaosObjectBytesMax,
    'object size is bounded',
  );
  const prng = new Prng(contentSeed);
  const bytes = Buffer.allocUnsafe(Math.ceil(size / 4) * 4);
  for (let offset = 0; offset < bytes.length; offset += 4)
    bytes.writeUInt32LE(prng.nextUint32(), offset);
  return bytes.subarray(0, size);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A size between min and max, log-uniform, so small and large objects both occur often. */
export function objectSize(prng: Prng, bytesMin: number, bytesMax: number): number {
  assert(
    bytesMin >= 1 && bytesMin <= bytesMax && bytesMax <= limits.chaosObjectBytesMax,
    'object sizes are bounded',
  );
  const logMin = Math.log(bytesMin);
  const logMax = Math.log(bytesMax);
  return Math.min(
    bytesMax,
    Math.max(bytesMin, Math.round(Math.exp(logMin + (logMax - logMin) * prng.nextFloat()))),
  );
}

/** Runs the clients until stopped; returns how many keys were used (objectKey(0) .. objectKey(n - 1)). */
export async function runObjectsWorkload(options: ObjectsWorkloadOptions): Promise<number> {
  const root = new Prng(options.seed ^ 0x5eed);
  const keys = { created: 0 };
  const budget: ChunkedBudget = {
    max: options.chunkedBytesMax ?? limits.chaosObjectChunkedBytesPerRunMax,
    used: 0,
  };
  await Promise.all(
    options.clients.map((client, clientId) =>
      runClient(client, clientId, root.fork(), keys, budget, options),
    ),
  );
  return keys.created;
}

// Most puts create a new key (as Jepsen's set workload adds new elements): every
// acknowledged put then has to survive to the end, so a lost copy anywhere is seen,
// not hidden by a later overwrite. Some puts overwrite, some deletes delete.
async function runClient(
  client: CairnClient,
  clientId: number,
  prng: Prng,
  keys: { created: number },
  budget: ChunkedBudget,
  options: ObjectsWorkloadOptions,
): Promise<void> {
  const sized = (): number =>
    withinBudget(budget, objectSize(prng, options.objectBytesMin, options.objectBytesMax));
  for (
    let count = 0;
    count < options.operationsPerClientMax && !options.stopped() && !options.recorder.full;
    count++
  ) {
    const roll = prng.nextFloat();
    const existing =
      keys.created === 0 ? null : objectKey(prng.nextIntegerInclusive(0, keys.created - 1));
    if (existing === null || roll < 0.55) {
      const key = keys.created < options.keys ? objectKey(keys.created++) : (existing as string);
      await putObject(client, clientId, key, prng.nextUint32(), sized(), options.recorder);
    } else if (roll < 0.65)
      await putObject(client, clientId, existing, prng.nextUint32(), sized(), options.recorder);
    else if (roll < 0.92) await getObject(client, clientId, existing, options.recorder);
    else await deleteObject(client, clientId, existing, options.recorder);
  }
}

/** The size itself while the run's chunked bytes allow it, else an inline size. */
export function withinBudget(budget: ChunkedBudget, size: number): number {
  if (size <= limits.objectInlineBytesMax) return size;
  if (budget.used + size > budget.max) return limits.objectInlineBytesMax;
  budget.used += size;
  assert(budget.used <= budget.max, 'chunked bytes stay within the run budget');
  return size;
}

async function putObject(
  client: CairnClient,
  clientId: number,
  key: string,
  contentSeed: number,
  size: number,
  recorder: HistoryRecorder,
): Promise<void> {
  const content = objectContent(contentSeed, size);
  const sha256 = sha256Hex(content);
  const invokedAt = recorder.now();
  try {
    const metadata = await client.putObject(key, content);
    const error =
      metadata.sha256 === sha256
        ? undefined
        : `the put answered sha256 ${metadata.sha256}, expected ${sha256}`;
    recorder.recordObject({
      clientId,
      kind: 'put',
      key,
      invokedAt,
      completedAt: recorder.now(),
      outcome: 'ok',
      sha256,
      size,
      contentSeed,
      ...(error === undefined ? {} : { error }),
    });
  } catch (error) {
    recorder.recordObject({
      clientId,
      kind: 'put',
      key,
      invokedAt,
      completedAt: recorder.now(),
      outcome: writeOutcomeOf(error),
      sha256,
      size,
      contentSeed,
      error: errorText(error),
      errorCode: errorCodeOf(error),
    });
  }
}

export interface ObjectRead {
  /** SHA-256 of the bytes received; null when the key is absent. */
  readonly sha256: string | null;
  readonly size: number;
}

/** Streams an object and hashes what arrived (the client also checks it against the metadata). */
export async function readObject(client: CairnClient, key: string): Promise<ObjectRead> {
  try {
    const result = await client.getObject(key);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of result.body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  } catch (error) {
    if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND')
      return { sha256: null, size: 0 };
    throw error;
  }
}

async function getObject(
  client: CairnClient,
  clientId: number,
  key: string,
  recorder: HistoryRecorder,
): Promise<void> {
  const invokedAt = recorder.now();
  try {
    const read = await readObject(client, key);
    recorder.recordObject({
      clientId,
      kind: 'get',
      key,
      invokedAt,
      completedAt: recorder.now(),
      outcome: 'ok',
      sha256: read.sha256,
      size: read.size,
    });
  } catch (error) {
    recorder.recordObject({
      clientId,
      kind: 'get',
      key,
      invokedAt,
      completedAt: recorder.now(),
      outcome: 'failed',
      error: errorText(error),
      errorCode: errorCodeOf(error),
    });
  }
}

async function deleteObject(
  client: CairnClient,
  clientId: number,
  key: string,
  recorder: HistoryRecorder,
): Promise<void> {
  const invokedAt = recorder.now();
  try {
    await client.deleteObject(key);
    recorder.recordObject({
      clientId,
      kind: 'delete',
      key,
      invokedAt,
      completedAt: recorder.now(),
      outcome: 'ok',
    });
  } catch (error) {
    const absent = error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND';
    recorder.recordObject({
      clientId,
      kind: 'delete',
      key,
      invokedAt,
      completedAt: recorder.now(),
      outcome: absent ? 'failed' : writeOutcomeOf(error),
      error: errorText(error),
      errorCode: errorCodeOf(error),
    });
  }
}
