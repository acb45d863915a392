// One chunk copied from a source member to a target member (either may be this node):
// read, verified here (the transport does not verify), stored durably on the target.

import { createHash } from 'node:crypto';
import type { ChunkPlacementContext } from '../data/object-data.js';
import { CairnError, CorruptionError } from '../util/errors.js';

export interface ChunkCopyTask {
  readonly sha256: string;
  readonly targetId: string;
}

export async function copyChunk(
  context: ChunkPlacementContext,
  task: ChunkCopyTask,
  sourceId: string,
): Promise<void> {
  const bytes =
    sourceId === context.selfId
      ? await context.store.read(task.sha256)
      : await context.transport.get(peerAddress(context, sourceId), task.sha256);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== task.sha256)
    throw new CorruptionError(`the copy on ${sourceId} hashes to ${actual.slice(0, 12)}…`);
  if (task.targetId === context.selfId) await context.store.write(bytes, task.sha256);
  else await context.transport.put(peerAddress(context, task.targetId), task.sha256, bytes);
}

export function peerAddress(context: ChunkPlacementContext, memberId: string): string {
  const address = context.peerAddressOf(memberId);
  if (address === undefined)
    throw new CairnError('CAIRN_ERR_UNAVAILABLE', `no peer address known for ${memberId}`);
  return address;
}
