// The register workload: concurrent clients put, get, compare-and-set and delete a
// few small keys, every written value unique ("c<client>.<sequence>"), and the
// history is checked for linearizability with src/check.
//
// Compare-and-set is a get (recorded on its own) followed by a put with
// --if-version of the version read (or --if-absent): since every value is written
// once, "the version is still N" is exactly "the value is still the one read", which
// is the value comparison the checker's model makes.

import type { CairnClient } from '../../client/index.js';
import type { Operation } from '../../check/index.js';
import { CairnError } from '../../util/errors.js';
import { Prng } from '../../util/prng.js';
import { errorCodeOf, writeOutcomeOf, type HistoryRecorder } from '../history.js';

export interface RegisterWorkloadOptions {
  readonly clients: readonly CairnClient[];
  readonly keys: number;
  readonly seed: number;
  readonly recorder: HistoryRecorder;
  /** Clients stop starting operations once this returns true. */
  readonly stopped: () => boolean;
  /** Upper bound on operations per client, whatever the duration. */
  readonly operationsPerClientMax: number;
}

const registerPrefix = 'chaos/register/';

export function registerKey(index: number): string {
  return `${registerPrefix}${index}`;
}

export async function runRegisterWorkload(options: RegisterWorkloadOptions): Promise<void> {
  const root = new Prng(options.seed);
  await Promise.all(
    options.clients.map((client, clientId) => runClient(client, clientId, root.fork(), options)),
  );
}

async function runClient(
  client: CairnClient,
  clientId: number,
  prng: Prng,
  options: RegisterWorkloadOptions,
): Promise<void> {
  let sequence = 0;
  for (
    let count = 0;
    count < options.operationsPerClientMax && !options.stopped() && !options.recorder.full;
    count++
  ) {
    const key = registerKey(prng.nextIntegerInclusive(0, options.keys - 1));
    const roll = prng.nextFloat();
    const value = `c${clientId}.${sequence++}`;
    if (roll < 0.4) await get(client, clientId, key, options.recorder);
    else if (roll < 0.65) await put(client, clientId, key, value, options.recorder);
    else if (roll < 0.95) await compareAndSet(client, clientId, key, value, options.recorder);
    else await remove(client, clientId, key, options.recorder);
  }
}

export interface RegisterRead {
  readonly value: string | null;
  readonly version: number | null;
}

/** A linearizable read of a register; null when it failed. Recorded. */
export async function get(
  client: CairnClient,
  clientId: number,
  key: string,
  recorder: HistoryRecorder,
): Promise<RegisterRead | null> {
  const invokedAt = recorder.now();
  try {
    const read = await readRegister(client, key);
    recorder.recordRegister({
      clientId,
      kind: 'get',
      key,
      input: {},
      invokedAt,
      completedAt: recorder.now(),
      outcome: 'ok',
      output: { value: read.value },
    });
    return read;
  } catch (error) {
    // A failed read observed nothing; the checker drops it.
    recorder.recordRegister(
      {
        clientId,
        kind: 'get',
        key,
        input: {},
        invokedAt,
        completedAt: recorder.now(),
        outcome: 'failed',
      },
      errorCodeOf(error),
    );
    return null;
  }
}

export async function readRegister(client: CairnClient, key: string): Promise<RegisterRead> {
  try {
    const result = await client.getObject(key);
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    return { value: Buffer.concat(chunks).toString('utf8'), version: result.metadata.version };
  } catch (error) {
    if (error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND')
      return { value: null, version: null };
    throw error;
  }
}

async function put(
  client: CairnClient,
  clientId: number,
  key: string,
  value: string,
  recorder: HistoryRecorder,
): Promise<void> {
  const invokedAt = recorder.now();
  let outcome: Operation['outcome'] = 'ok';
  let errorCode: string | undefined;
  try {
    await client.putObject(key, Buffer.from(value, 'utf8'));
  } catch (error) {
    outcome = writeOutcomeOf(error);
    errorCode = errorCodeOf(error);
  }
  recorder.recordRegister(
    {
      clientId,
      kind: 'put',
      key,
      input: { value },
      invokedAt,
      completedAt: recorder.now(),
      outcome,
    },
    errorCode,
  );
}

async function compareAndSet(
  client: CairnClient,
  clientId: number,
  key: string,
  value: string,
  recorder: HistoryRecorder,
): Promise<void> {
  const read = await get(client, clientId, key, recorder);
  if (read === null) return;
  const invokedAt = recorder.now();
  let outcome: Operation['outcome'] = 'ok';
  let success = true;
  let errorCode: string | undefined;
  try {
    await client.putObject(
      key,
      Buffer.from(value, 'utf8'),
      read.version === null ? { ifAbsent: true } : { ifVersion: read.version },
    );
  } catch (error) {
    if (error instanceof CairnError && error.code === 'CAIRN_ERR_PRECONDITION_FAILED')
      success = false;
    else {
      outcome = writeOutcomeOf(error);
      errorCode = errorCodeOf(error);
    }
  }
  recorder.recordRegister(
    {
      clientId,
      kind: 'cas',
      key,
      input: { value, expected: read.value },
      invokedAt,
      completedAt: recorder.now(),
      outcome,
      ...(outcome === 'ok' ? { output: { success } } : {}),
    },
    errorCode,
  );
}

async function remove(
  client: CairnClient,
  clientId: number,
  key: string,
  recorder: HistoryRecorder,
): Promise<void> {
  const invokedAt = recorder.now();
  let outcome: Operation['outcome'] = 'ok';
  let errorCode: string | undefined;
  try {
    await client.deleteObject(key);
  } catch (error) {
    // Deleting an absent key changes nothing: as good as not applied.
    outcome =
      error instanceof CairnError && error.code === 'CAIRN_ERR_NOT_FOUND'
        ? 'failed'
        : writeOutcomeOf(error);
    errorCode = errorCodeOf(error);
  }
  recorder.recordRegister(
    {
      clientId,
      kind: 'delete',
      key,
      input: {},
      invokedAt,
      completedAt: recorder.now(),
      outcome,
    },
    errorCode,
  );
}
