// Where each chunk's copies are, read from the nodes' chunk directories
// (chunks/<2 hex>/<2 hex>/<sha256>): for tests that count copies after a failure.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DevNode } from '../../src/cli/dev-cluster.js';

/** sha256 -> the names of the nodes holding a copy. */
export function copiesByChunk(nodes: readonly DevNode[]): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const node of nodes) {
    const root = join(node.dataDirectory, 'chunks');
    for (const first of listed(root))
      for (const second of listed(join(root, first)))
        for (const name of listed(join(root, first, second)))
          holders.set(name, [...(holders.get(name) ?? []), node.name]);
  }
  return holders;
}

function listed(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch {
    return [];
  }
}
