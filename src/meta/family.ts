// What a family of the meta state is (DESIGN.md section 2: cluster/, objects/, later
// leases/, locks/, auth/, events/): it owns a part of the key space, the records
// stored there, the commands that change them (wire form, validation, apply) and the
// queries that read them. The state machine dispatches over a registry of families
// (registry.ts); adding a command touches its family and the route that proposes it.

import type { BinaryReader, BinaryWriter } from './codec.js';
import type { MetaResult } from './results.js';
import type { MetaTransaction } from './store.js';

export type FamilyName =
  | 'group'
  | 'cluster'
  | 'objects'
  | 'txn'
  | 'events'
  | 'leases'
  | 'locks'
  | 'garbage'
  | 'auth';

/** One key an applied entry changed: what a later watch is fed from. */
export interface MetaChange {
  readonly family: FamilyName;
  /** The meta key (family prefix included, e.g. `o/photos/cat.jpg`, `m/n2`). */
  readonly key: string;
  readonly kind: 'put' | 'delete';
  /** The revision of this change: every change of one entry shares it. */
  readonly revision: number;
  /** Whether the key held a value before the entry. */
  readonly existed: boolean;
  /** The revision of that value, where its record keeps one (objects, members). */
  readonly previousRevision?: number;
}

/** The Raft membership change committed in the same entry as a command, if any. */
export interface ConfChangeInEntry {
  readonly type: 'addLearner' | 'promoteLearner' | 'removeNode';
  readonly nodeId: string;
}

/**
 * What one command applies through. Every family of the entry reads and writes the
 * same buffered transaction: the entry's writes reach the store together when the
 * command is not rejected, and none of them when it is.
 */
export interface ApplyContext {
  readonly transaction: MetaTransaction;
  /** The Raft index of the entry. */
  readonly index: number;
  /** The revision the entry's changes get (the group's revision + 1). */
  readonly revision: number;
  /** Set when the entry is a Raft conf change carrying this command as its context. */
  readonly confChange: ConfChangeInEntry | undefined;
  /** Reports a change (exactly one per changed key); the revision advances iff any. */
  recordChange(change: Omit<MetaChange, 'revision'>): void;
}

export interface CommandDefinition<Command extends { readonly type: string }> {
  readonly type: Command['type'];
  /** The wire tag: unique across all families, never reused. */
  readonly tag: number;
  /** Whether the command may change members or rings (nodes rebuild their caches then). */
  readonly changesMembership: boolean;
  encode(writer: BinaryWriter, command: Command): void;
  /** Reads the fields after the tag; throws CorruptionError on malformed bytes. */
  decode(reader: BinaryReader): Command;
  /** What is wrong with the command itself, or undefined (state is not consulted). */
  problem(command: Command): string | undefined;
  apply(context: ApplyContext, command: Command): MetaResult;
  /**
   * The answer of an earlier application of this very command (a retry, by request id),
   * or undefined. A batch asks first, so that a retry of a fenced write that applied gets
   * its first answer even after the fence stopped holding.
   */
  replayed?(context: ApplyContext, command: Command): MetaResult | undefined;
  /** Bytes enough for the usual encoding in one allocation (the writer grows if not). */
  sizeEstimateBytes?(command: Command): number;
}

/** A command definition with its command type erased, as the registry holds it. */
export type AnyCommandDefinition = CommandDefinition<{ readonly type: string }>;

export function defineCommand<Command extends { readonly type: string }>(
  definition: CommandDefinition<Command>,
): AnyCommandDefinition {
  return definition as unknown as AnyCommandDefinition;
}

export interface MetaFamily {
  readonly name: FamilyName;
  /** Keys and key prefixes (ending in '/') the family alone writes. */
  readonly ownedKeys: readonly string[];
  readonly commands: readonly AnyCommandDefinition[];
}

/** Writes `value` under `key` and reports the change (a put). */
export function putReported(
  context: ApplyContext,
  family: FamilyName,
  key: string,
  value: Uint8Array,
  previousRevision?: number,
): void {
  const existed = context.transaction.get(key) !== undefined;
  context.transaction.put(key, value);
  context.recordChange({
    family,
    key,
    kind: 'put',
    existed,
    ...(existed && previousRevision !== undefined ? { previousRevision } : {}),
  });
}

/** Deletes `key` and reports the change; nothing when the key is absent. */
export function deleteReported(
  context: ApplyContext,
  family: FamilyName,
  key: string,
  previousRevision?: number,
): void {
  if (context.transaction.get(key) === undefined) return;
  context.transaction.delete(key);
  context.recordChange({
    family,
    key,
    kind: 'delete',
    existed: true,
    ...(previousRevision !== undefined ? { previousRevision } : {}),
  });
}
