// How to start another cairn process (a node for `cairn dev`, tests, chaos): inside
// the single executable the binary is the program; from source it is node + bin/run.js.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProcessWithPkg extends NodeJS.Process {
  readonly pkg?: unknown;
}

export function cairnCommandLine(args: readonly string[]): { command: string; args: string[] } {
  if ((process as ProcessWithPkg).pkg !== undefined || isSingleExecutable())
    return { command: process.execPath, args: [...args] };
  // dist/src/cli/ when built, src/cli/ when run from source: bin/ is two or three levels up.
  const candidates = ['../../../bin/run.js', '../../bin/run.js'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const entry = candidates.find((candidate) => existsSync(candidate)) ?? (candidates[0] as string);
  return { command: process.execPath, args: [entry, ...args] };
}

function isSingleExecutable(): boolean {
  try {
    // node:sea exists from Node 20.12; isSea() is true inside a single executable.
    const sea = process.getBuiltinModule?.('node:sea') as { isSea?: () => boolean } | undefined;
    return sea?.isSea?.() === true;
  } catch {
    return false;
  }
}
