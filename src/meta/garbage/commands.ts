// The garbage family's command: collectChunks {sha256s}, proposed by the leader for
// chunk files no manifest, staged upload or retained revision references.

import { limits } from '../../util/limits.js';
import {
  type BinaryReader,
  type BinaryWriter,
  isSha256Hex,
  readBoundedVarint,
  readSha256Hex,
  writeSha256Hex,
} from '../codec.js';

const what = 'meta command';

export type CollectChunksCommand = {
  readonly type: 'collectChunks';
  /** Distinct chunks the leader found unreferenced; apply takes those still unreferenced. */
  readonly sha256s: readonly string[];
};
export type GarbageCommand = CollectChunksCommand;

export function writeCollect(writer: BinaryWriter, command: CollectChunksCommand): void {
  writer.writeVarint(command.sha256s.length);
  for (const sha256 of command.sha256s) writeSha256Hex(writer, sha256);
}

export function readCollect(reader: BinaryReader): CollectChunksCommand {
  const count = readBoundedVarint(
    reader,
    what,
    'chunk count',
    1,
    limits.garbageCollectChunksPerEntryMax,
  );
  const sha256s: string[] = [];
  for (let index = 0; index < count; index++)
    sha256s.push(readSha256Hex(reader, what, 'chunk sha256'));
  return { type: 'collectChunks', sha256s };
}

export function collectProblem(command: CollectChunksCommand): string | undefined {
  const count = command.sha256s.length;
  if (count < 1 || count > limits.garbageCollectChunksPerEntryMax)
    return `a collection takes 1 to ${limits.garbageCollectChunksPerEntryMax} chunks (garbageCollectChunksPerEntryMax), got ${count}`;
  if (!command.sha256s.every(isSha256Hex)) return 'every chunk sha256 is 64 lowercase hex digits';
  if (new Set(command.sha256s).size !== count) return 'a collection names each chunk once';
  return undefined;
}
