// The commands of the meta group: what a proposer puts in a Raft entry's data and
// what every replica's state machine applies. Binary and compact (this is the hot
// path of every put): a format byte, a command tag, then the fields in a fixed order.
//
// Each family defines its own commands (cluster/, objects/); this file is the envelope:
// the union of all of them, the dispatch of the wire form over the registry, and the
// commands that belong to the group itself (noop, raiseRevisionBase, batch).
//
// One validator (commandProblem) serves both directions: encodeCommand refuses a bad
// command with InvalidArgumentError (the caller's mistake); decodeCommand refuses a
// bad entry with CorruptionError (a committed entry must have been encoded by us).

import { assert } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { AuthCommand } from './auth/index.js';
import type { ClusterCommand } from './cluster/index.js';
import {
  BinaryReader,
  BinaryWriter,
  corrupt,
  finishWithin,
  readBoundedVarint,
  readTag,
} from './codec.js';
import type { GarbageCommand } from './garbage/index.js';
import type { LeaseCommand } from './leases/index.js';
import type { LockCommand } from './locks/index.js';
import type { ObjectCommand } from './objects/index.js';
import type { TxnCommand } from './txn/index.js';
import { commandTagMax, definitionForTag, definitionForType, envelopeTags } from './registry.js';
import { integerProblem } from './validation.js';

/** A command one family applies. */
export type FamilyCommand =
  | ClusterCommand
  | ObjectCommand
  | TxnCommand
  | LeaseCommand
  | LockCommand
  | GarbageCommand
  | AuthCommand;

/**
 * Several family commands applied as one entry, in order, at one revision: every one
 * takes effect or none does (the first that is not `ok` rejects the whole batch).
 * The envelope a later transaction or lease expiry builds on.
 */
export type BatchCommand = { readonly type: 'batch'; readonly commands: readonly FamilyCommand[] };

export type MetaCommand =
  | { readonly type: 'noop' }
  /** Sets the revision to `revision` when above it (a restore continues above its backup). */
  | { readonly type: 'raiseRevisionBase'; readonly revision: number }
  | BatchCommand
  | FamilyCommand;

export type MetaCommandType = MetaCommand['type'];

const commandFormatVersion = 1;
const what = 'meta command';

/**
 * Whether an encoded command may change the members or the rings, read from its tag
 * alone: the node rebuilds its member and ring caches only then, not on every apply.
 * Unknown bytes answer true (rebuilding is always safe).
 */
export function commandChangesMembership(data: Uint8Array): boolean {
  if (data.length < 2 || data[0] !== commandFormatVersion) return true;
  const tag = data[1] as number;
  if (tag === envelopeTags.noop || tag === envelopeTags.raiseRevisionBase) return false;
  if (tag === envelopeTags.batch) return true;
  return definitionForTag(tag)?.changesMembership ?? true;
}

export function encodeCommand(command: MetaCommand): Uint8Array {
  const problem = commandProblem(command);
  if (problem !== undefined) throw new InvalidArgumentError(problem, { command: command.type });
  const writer = new BinaryWriter(sizeEstimateBytes(command));
  writer.writeUint8(commandFormatVersion);
  writeTaggedFields(writer, command);
  return finishWithin(writer, 'raftEntryBytesMax', limits.raftEntryBytesMax);
}

function sizeEstimateBytes(command: MetaCommand): number {
  if (command.type !== 'batch') return familySizeEstimateBytes(command);
  let total = 16;
  for (const inner of command.commands) total += familySizeEstimateBytes(inner);
  return total;
}

function familySizeEstimateBytes(command: Exclude<MetaCommand, BatchCommand>): number {
  const definition = definitionForType(command.type);
  return definition?.sizeEstimateBytes?.(command) ?? 128;
}

function writeTaggedFields(writer: BinaryWriter, command: MetaCommand): void {
  switch (command.type) {
    case 'noop':
      writer.writeUint8(envelopeTags.noop);
      return;
    case 'raiseRevisionBase':
      writer.writeUint8(envelopeTags.raiseRevisionBase);
      writer.writeVarint(command.revision);
      return;
    case 'batch':
      writer.writeUint8(envelopeTags.batch);
      writer.writeVarint(command.commands.length);
      // One level only (commandProblem refuses a batch in a batch): no recursion.
      for (const inner of command.commands) writeFamilyCommand(writer, inner);
      return;
    default:
      writeFamilyCommand(writer, command);
  }
}

function writeFamilyCommand(writer: BinaryWriter, command: FamilyCommand): void {
  const definition = definitionForType(command.type);
  assert(definition !== undefined, `command ${command.type} has a family`);
  writer.writeUint8(definition.tag);
  definition.encode(writer, command);
}

/** Decodes an entry's data; throws CorruptionError for anything encodeCommand would not produce. */
export function decodeCommand(data: Uint8Array): MetaCommand {
  const reader = new BinaryReader(data, what);
  const format = readTag(reader, what, 'format version', 0xff);
  if (format !== commandFormatVersion) corrupt(what, `unknown format version ${format}`, reader);
  const tag = readTag(reader, what, 'command tag', commandTagMax);
  let command: MetaCommand;
  if (tag === envelopeTags.noop) command = { type: 'noop' };
  else if (tag === envelopeTags.raiseRevisionBase) {
    const revision = readBoundedVarint(reader, what, 'revision', 1, Number.MAX_SAFE_INTEGER);
    command = { type: 'raiseRevisionBase', revision };
  } else if (tag === envelopeTags.batch) {
    const count = readBoundedVarint(reader, what, 'batch count', 1, limits.metaBatchCommandsMax);
    const commands: FamilyCommand[] = [];
    for (let index = 0; index < count; index++) {
      const innerTag = readTag(reader, what, 'command tag', commandTagMax);
      commands.push(readFamilyCommand(reader, innerTag));
    }
    command = { type: 'batch', commands };
  } else command = readFamilyCommand(reader, tag);
  reader.expectEnd();
  const problem = commandProblem(command);
  if (problem !== undefined) corrupt(what, problem, reader);
  return command;
}

function readFamilyCommand(reader: BinaryReader, tag: number): FamilyCommand {
  const definition = definitionForTag(tag);
  if (definition === undefined) return corrupt(what, `unknown command tag ${tag}`, reader);
  return definition.decode(reader) as FamilyCommand;
}

/** What is wrong with a command, or undefined when it is well formed (state is not consulted). */
export function commandProblem(command: MetaCommand): string | undefined {
  if (command.type === 'noop') return undefined;
  if (command.type === 'raiseRevisionBase')
    return integerProblem(command.revision, 'revision', 1, Number.MAX_SAFE_INTEGER);
  if (command.type === 'batch') return batchProblem(command);
  const definition = definitionForType((command as { type: string }).type);
  if (definition === undefined) return `unknown command type ${String(command.type)}`;
  return definition.problem(command);
}

function batchProblem(command: BatchCommand): string | undefined {
  const { commands } = command;
  if (!Array.isArray(commands) || commands.length < 1) return 'a batch holds at least one command';
  if (commands.length > limits.metaBatchCommandsMax)
    return `a batch holds at most ${limits.metaBatchCommandsMax} commands (metaBatchCommandsMax), got ${commands.length}`;
  for (let index = 0; index < commands.length; index++) {
    const inner = commands[index] as FamilyCommand;
    const definition = definitionForType((inner as { type: string }).type);
    if (definition === undefined)
      return `batch command ${index + 1} must be a family command, got ${String(inner.type)}`;
    const problem = definition.problem(inner);
    if (problem !== undefined) return `batch command ${index + 1}: ${problem}`;
  }
  return undefined;
}

// The field types commands use, where code outside src/meta has long imported them.
export type { MemberRole, MemberSpec } from './cluster/index.js';
export type { ManifestChunk, ObjectValue, WriteCondition } from './objects/index.js';
