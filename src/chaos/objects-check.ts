// Durability and integrity of the objects workload, decided from the history and
// one final read per key after the cluster healed. Pure.
//
// A write (put or delete) that was acknowledged or whose outcome is unknown may be
// the key's final state unless some acknowledged write surely came after it (was
// invoked after it completed). With no acknowledged write at all, "absent" is also
// allowed. A final read outside the allowed set lost an acknowledged write (it read
// absence or an older put) or returned bytes that differ (bytes no put wrote).
// During the run, a read must return bytes some put on that key wrote.

import type { ObjectOperation } from './history.js';

export interface FinalRead {
  readonly key: string;
  /** SHA-256 read, null for absent, undefined when the read failed. */
  readonly sha256: string | null | undefined;
  readonly error?: string | undefined;
}

export interface ObjectProblem {
  readonly key: string;
  readonly kind: 'lost' | 'bytes-differ' | 'unreadable';
  readonly detail: string;
  /** The writes that decide the key's allowed final states. */
  readonly writes: readonly ObjectOperation[];
}

export interface ObjectsCheckResult {
  readonly keysChecked: number;
  readonly problems: readonly ObjectProblem[];
}

export function checkObjects(
  operations: readonly ObjectOperation[],
  finalReads: readonly FinalRead[],
): ObjectsCheckResult {
  const byKey = new Map<string, ObjectOperation[]>();
  for (const operation of operations) {
    const list = byKey.get(operation.key);
    if (list === undefined) byKey.set(operation.key, [operation]);
    else list.push(operation);
  }
  const problems: ObjectProblem[] = [];
  for (const read of finalReads) {
    const problem = checkFinalRead(read, byKey.get(read.key) ?? []);
    if (problem !== null) problems.push(problem);
  }
  for (const [key, keyOperations] of [...byKey].sort(([left], [right]) =>
    left < right ? -1 : 1,
  )) {
    problems.push(...checkRunReads(key, keyOperations));
  }
  return { keysChecked: finalReads.length, problems };
}

function isWrite(operation: ObjectOperation): boolean {
  return (
    (operation.kind === 'put' || operation.kind === 'delete') && operation.outcome !== 'failed'
  );
}

/** The states (sha256, or null for absent) a key may end in. */
export function allowedFinalStates(keyOperations: readonly ObjectOperation[]): Set<string | null> {
  const writes = keyOperations.filter(isWrite);
  const acknowledged = writes.filter((operation) => operation.outcome === 'ok');
  const allowed = new Set<string | null>();
  if (acknowledged.length === 0) allowed.add(null);
  for (const write of writes) {
    const completedAt =
      write.outcome === 'ok' ? (write.completedAt as number) : Number.POSITIVE_INFINITY;
    const surelyOverwritten = acknowledged.some(
      (later) => later !== write && later.invokedAt > completedAt,
    );
    if (!surelyOverwritten) allowed.add(write.kind === 'delete' ? null : (write.sha256 ?? null));
  }
  return allowed;
}

function checkFinalRead(
  read: FinalRead,
  keyOperations: readonly ObjectOperation[],
): ObjectProblem | null {
  const writes = keyOperations.filter(isWrite);
  const allowed = allowedFinalStates(keyOperations);
  const show = (state: string | null): string => (state === null ? 'absent' : state.slice(0, 16));
  const allowedText = [...allowed].map(show).join(', ');
  if (read.sha256 === undefined) {
    if (allowed.size === 1 && allowed.has(null)) return null;
    return {
      key: read.key,
      kind: 'unreadable',
      detail: `the final read failed (${read.error ?? 'no answer'}); allowed: ${allowedText}`,
      writes,
    };
  }
  if (allowed.has(read.sha256)) return null;
  const written = new Set(
    writes.map((write) => (write.kind === 'delete' ? null : (write.sha256 ?? null))),
  );
  if (read.sha256 === null || written.has(read.sha256)) {
    return {
      key: read.key,
      kind: 'lost',
      detail: `the final read found ${show(read.sha256)}, but an acknowledged write came later; allowed: ${allowedText}`,
      writes,
    };
  }
  return {
    key: read.key,
    kind: 'bytes-differ',
    detail: `the final read returned bytes no put wrote (sha256 ${show(read.sha256)}); allowed: ${allowedText}`,
    writes,
  };
}

/** Reads during the run: bytes some put on the key wrote, and never a corrupted stream. */
function checkRunReads(key: string, keyOperations: readonly ObjectOperation[]): ObjectProblem[] {
  const problems: ObjectProblem[] = [];
  const putHashes = new Set(
    keyOperations
      .filter((operation) => operation.kind === 'put')
      .map((operation) => operation.sha256),
  );
  for (const operation of keyOperations) {
    if (operation.kind === 'put' && operation.outcome === 'ok' && operation.error !== undefined) {
      problems.push({
        key,
        kind: 'bytes-differ',
        detail: `client ${operation.clientId} at ${operation.invokedAt} ms: ${operation.error}`,
        writes: [operation],
      });
    }
    if (operation.kind !== 'get') continue;
    if (
      operation.outcome === 'failed' &&
      operation.error !== undefined &&
      operation.error.startsWith('CAIRN_ERR_CORRUPTION')
    ) {
      problems.push({
        key,
        kind: 'bytes-differ',
        detail: `client ${operation.clientId} read at ${operation.invokedAt} ms got corrupted bytes: ${operation.error}`,
        writes: [operation],
      });
    }
    if (
      operation.outcome === 'ok' &&
      operation.sha256 !== null &&
      !putHashes.has(operation.sha256)
    ) {
      problems.push({
        key,
        kind: 'bytes-differ',
        detail: `client ${operation.clientId} read at ${operation.invokedAt} ms returned bytes no put wrote (sha256 ${String(operation.sha256).slice(0, 16)})`,
        writes: [operation],
      });
    }
  }
  return problems;
}
