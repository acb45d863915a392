// The replicated state machine of the meta group. apply(command, index, transaction)
// is deterministic: no clock, no randomness, no iteration over unordered state, so
// every replica that applies the same entries holds the same bytes and returns the
// same results. A command that does not fit the current state (a duplicate member,
// a put before bootstrap) is `rejected` and changes nothing but the applied index;
// it never throws, because it is committed and every replica must agree on it.
// Exceptions mean a bug (AssertionFailure) or a damaged store (CorruptionError).
//
// Every command applies through one ApplyContext whose transaction buffers the writes
// of every family: they reach the store together, after the command, unless it was
// rejected. Each apply reports its changes (family, key, kind, revision, previous
// revision), in the order made, so that a watch can later be fed from them.

import { assert, assertInteger } from '../util/assert.js';
import type { BatchCommand, FamilyCommand, MetaCommand } from './commands.js';
import { decodeCommand } from './commands.js';
import { recordHistory, type RetentionPolicy } from './events/index.js';
import type { ApplyContext, ConfChangeInEntry, MetaChange } from './family.js';
import { encodeGroupProgress, progressKey, readGroupProgress } from './progress.js';
import { definitionForType } from './registry.js';
import { type MetaResult, rejected } from './results.js';
import { BufferedTransaction, type MetaReader, type MetaTransaction } from './store.js';

export interface ApplyOptions {
  /** The Raft conf change this command rides on as its context (one entry for both). */
  readonly confChange?: ConfChangeInEntry;
  /** How much history to keep (src/meta/events): the same on every replica. */
  readonly retention?: RetentionPolicy;
}

export interface AppliedCommand {
  readonly result: MetaResult;
  /** What the entry changed, one record per key; empty when it changed nothing. */
  readonly changes: readonly MetaChange[];
  /** The group's revision after the entry. */
  readonly revision: number;
}

/** Decodes and applies one committed entry's data. A malformed entry throws CorruptionError. */
export function applyEntryData(
  data: Uint8Array,
  index: number,
  transaction: MetaTransaction,
  options: ApplyOptions = {},
): MetaResult {
  return applyCommandReporting(decodeCommand(data), index, transaction, options).result;
}

export function applyEntryDataReporting(
  data: Uint8Array,
  index: number,
  transaction: MetaTransaction,
  options: ApplyOptions = {},
): AppliedCommand {
  return applyCommandReporting(decodeCommand(data), index, transaction, options);
}

export function applyCommand(
  command: MetaCommand,
  index: number,
  transaction: MetaTransaction,
  options: ApplyOptions = {},
): MetaResult {
  return applyCommandReporting(command, index, transaction, options).result;
}

export function applyCommandReporting(
  command: MetaCommand,
  index: number,
  transaction: MetaTransaction,
  options: ApplyOptions = {},
): AppliedCommand {
  assertInteger(index, 'entry index', 1);
  const progress = readGroupProgress(transaction);
  assert(
    index > progress.appliedIndex,
    `entry ${index} applied after ${progress.appliedIndex}: indexes must increase`,
  );
  const buffer = new BufferedTransaction(transaction);
  const { context, changes } = contextOver(buffer, index, progress.revision + 1, options);
  let revision = progress.revision;
  let revisionBase = progress.revisionBase;
  let result: MetaResult;
  if (command.type === 'noop') result = { type: 'ok', version: progress.revision };
  else if (command.type === 'raiseRevisionBase') {
    if (command.revision <= progress.revision) {
      result = rejected(
        `the revision base ${command.revision} is not above the revision ${progress.revision}`,
      );
    } else {
      revision = command.revision;
      revisionBase = command.revision;
      result = { type: 'ok', version: revision };
      changes.push({ family: 'group', key: progressKey, kind: 'put', existed: true, revision });
    }
  } else if (command.type === 'batch') result = applyBatch(context, command);
  else result = applyFamilyCommand(context, command);
  if (result.type === 'rejected') changes.length = 0;
  else {
    // The history reads the replaced records from the state before the entry.
    if (changes.length > 0 && command.type !== 'raiseRevisionBase')
      recordHistory(transaction, buffer, changes, context.revision, options.retention);
    buffer.commit();
    if (changes.length > 0 && command.type !== 'raiseRevisionBase') revision = context.revision;
  }
  assert(revision >= progress.revision, 'the revision never goes back');
  transaction.put(
    progressKey,
    encodeGroupProgress({ appliedIndex: index, revision, revisionBase }),
  );
  return { result, changes, revision };
}

/**
 * The result the command would have if applied next, without writing anything: a
 * proposer's check against its applied state (the state may still change before the
 * proposal commits).
 */
export function previewCommand(
  reader: MetaReader,
  command: MetaCommand,
  options: ApplyOptions = {},
): MetaResult {
  const progress = readGroupProgress(reader);
  const buffer = new BufferedTransaction(reader);
  const index = progress.appliedIndex + 1;
  const { context } = contextOver(buffer, index, progress.revision + 1, options);
  if (command.type === 'noop') return { type: 'ok', version: progress.revision };
  if (command.type === 'raiseRevisionBase') {
    return command.revision > progress.revision
      ? { type: 'ok', version: command.revision }
      : rejected(`the revision base ${command.revision} is not above ${progress.revision}`);
  }
  return command.type === 'batch'
    ? applyBatch(context, command)
    : applyFamilyCommand(context, command);
}

function contextOver(
  buffer: BufferedTransaction,
  index: number,
  revision: number,
  options: ApplyOptions,
): { context: ApplyContext; changes: MetaChange[] } {
  const changes: MetaChange[] = [];
  const positionByKey = new Map<string, number>();
  const context: ApplyContext = {
    transaction: buffer,
    index,
    revision,
    confChange: options.confChange,
    recordChange: (change) => {
      // A key changed twice in one entry (a batch) is one change: its last kind,
      // compared with the state before the entry.
      const position = positionByKey.get(change.key);
      const first = position === undefined ? undefined : changes[position];
      const recorded: MetaChange =
        first === undefined ? { ...change, revision } : { ...first, kind: change.kind, revision };
      if (position === undefined) {
        positionByKey.set(change.key, changes.length);
        changes.push(recorded);
      } else changes[position] = recorded;
    },
  };
  return { context, changes };
}

function applyFamilyCommand(context: ApplyContext, command: FamilyCommand): MetaResult {
  const definition = definitionForType(command.type);
  assert(definition !== undefined, `command ${command.type} has a family`);
  return definition.apply(context, command);
}

function applyBatch(context: ApplyContext, batch: BatchCommand): MetaResult {
  const count = batch.commands.length;
  // A batch applies whole or not at all: if one of its commands already applied, this is
  // a retry of the whole batch, and it gets that command's first answer.
  for (const command of batch.commands) {
    const definition = definitionForType(command.type);
    assert(definition !== undefined, `command ${command.type} has a family`);
    const replayed = definition.replayed?.(context, command);
    if (replayed !== undefined) return replayed;
  }
  for (let index = 0; index < count; index++) {
    const command = batch.commands[index] as FamilyCommand;
    const result = applyFamilyCommand(context, command);
    if (result.type !== 'ok')
      return rejected(
        `batch command ${index + 1} of ${count} (${command.type}) did not apply: ${describe(result)}`,
      );
  }
  return { type: 'ok', version: context.revision };
}

function describe(result: MetaResult): string {
  if (result.type === 'conflict') return `conflict, current version ${result.currentVersion}`;
  if (result.type === 'rejected') return result.message;
  return result.type;
}
