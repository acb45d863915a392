// Bytes under a data directory and its chunk files, cached for a few seconds (a walk
// is not free). For GET /v1/node/status.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const usageCache = new Map<string, { at: number; bytes: number; chunks: number }>();
const usageCacheMilliseconds = 5_000;
const usageFilesMax = 2_000_000;

export function diskUsage(directory: string): { bytes: number; chunks: number } {
  const cached = usageCache.get(directory);
  if (cached !== undefined && performance.now() - cached.at < usageCacheMilliseconds) return cached;
  let bytes = 0;
  let chunks = 0;
  const chunksDirectory = join(directory, 'chunks');
  const pending = [directory];
  for (let visited = 0; pending.length > 0 && visited < usageFilesMax; visited++) {
    const current = pending.pop() as string;
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(current, name);
      try {
        const stat = statSync(path);
        if (stat.isDirectory()) pending.push(path);
        else {
          bytes += stat.size;
          if (/^[0-9a-f]{64}$/.test(name) && path.includes(chunksDirectory)) chunks++;
        }
      } catch {
        // removed while walking
      }
    }
  }
  const result = { at: performance.now(), bytes, chunks };
  usageCache.set(directory, result);
  return result;
}
