// The import graph of the sources and the checks of DESIGN.md section 2 on it: no
// file import cycle, no folder import cycle (src/<folder>), no import against the
// layer order. Pure functions of a graph, so the test can plant a violation in a fake
// one; iterative (no recursion) and bounded.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** File (relative to the root, "src/node/node.ts") -> the files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const filesMax = 5000;
const importsPerFileMax = 500;

/**
 * The layers, from the top: a folder may import folders of a lower layer, and folders
 * of its own layer where that forms no cycle. "commands" is the commands/ folder.
 */
export const layers: readonly (readonly string[])[] = [
  ['commands'],
  ['cli', 'client', 'bench', 'chaos', 'check'],
  ['server'],
  ['node'],
  ['data', 'meta'],
  ['raft', 'storage', 'placement'],
  ['api', 'net'],
  ['util'],
];

/** Folders that import nothing but src/util (and themselves). */
export const pureFolders: readonly string[] = ['raft', 'placement', 'api'];

/** "src/node/node.ts" -> "node"; "commands/get.ts" -> "commands". */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'src' ? (parts[1] ?? '') : (parts[0] ?? '');
}

const layerByFolder: ReadonlyMap<string, number> = new Map(
  layers.flatMap((folders, level) => folders.map((folder) => [folder, level] as const)),
);

// Static imports and re-exports, side-effect imports, dynamic imports; a statement
// may span lines ("import {\n  a,\n  b,\n} from './x.js'").
const importPattern =
  /(?:^|\n)[ \t]*(?:import|export)\s+(?:[\w\s{},*$]*?\s*from\s*)?['"]([^'"\n]+)['"]|\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^[ \t]*\/\/.*$/gm, '');
  return [...code.matchAll(importPattern)].map((match) => match[1] ?? match[2] ?? '');
}

/** The file a relative specifier names ("./x.js" -> x.ts, "./dir" -> dir/index.ts). */
function resolve(root: string, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined; // a package or node:* module
  const base = join(dirname(join(root, from)), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  return found === undefined ? undefined : relative(root, found);
}

/** Every .ts file under the folders (relative to root), found without recursion. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const pending = folders.map((folder) => join(root, folder)).filter((path) => existsSync(path));
  const files: string[] = [];
  for (let visited = 0; pending.length > 0; visited++) {
    if (visited >= filesMax) throw new Error(`more than ${filesMax} paths under ${folders}`);
    const path = pending.pop() as string;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) pending.push(join(path, name));
    } else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(relative(root, path));
  }
  return files.sort();
}

export function readImportGraph(root: string, folders: readonly string[]): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root, folders)) {
    const specifiers = importSpecifiers(readFileSync(join(root, file), 'utf8'));
    if (specifiers.length > importsPerFileMax) throw new Error(`${file}: too many imports`);
    const targets = specifiers
      .map((specifier) => resolve(root, file, specifier))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/**
 * The strongly connected components of more than one node, or of one node importing
 * itself: each is a cycle. Tarjan's algorithm with an explicit stack; each node and
 * edge is visited once, so it ends after at most nodes + edges steps.
 */
export function cyclesOf(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let nextIndex = 0;
  const edgesTotal = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
  const stepsMax = 2 * (graph.size + edgesTotal) + 1;
  let steps = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    // Each frame: a node and how many of its edges were followed.
    const frames: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, nextIndex);
    lowLink.set(start, nextIndex++);
    stack.push(start);
    onStack.add(start);
    while (frames.length > 0) {
      if (++steps > stepsMax) throw new Error('cycle search did not end in its bound');
      const frame = frames[frames.length - 1] as { node: string; edge: number };
      const targets = graph.get(frame.node) ?? [];
      if (frame.edge < targets.length) {
        const target = targets[frame.edge++] as string;
        if (!index.has(target)) {
          index.set(target, nextIndex);
          lowLink.set(target, nextIndex++);
          stack.push(target);
          onStack.add(target);
          frames.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          const low = Math.min(lowLink.get(frame.node) as number, index.get(target) as number);
          lowLink.set(frame.node, low);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) {
        const low = Math.min(lowLink.get(parent.node) as number, lowLink.get(frame.node) as number);
        lowLink.set(parent.node, low);
      }
      if (lowLink.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === frame.node) break;
      }
      const selfImport = (graph.get(frame.node) ?? []).includes(frame.node);
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  }
  return cycles;
}

/** The graph of folders: an edge for every file import that crosses folders. */
export function folderGraph(graph: ImportGraph): ImportGraph {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    const edges = folders.get(from) ?? new Set<string>();
    folders.set(from, edges);
    for (const target of targets) if (folderOf(target) !== from) edges.add(folderOf(target));
  }
  return new Map([...folders].map(([folder, edges]) => [folder, [...edges].sort()]));
}

/** One line per import against the layer order ("layer: A -> B (why)"). */
export function layerViolations(graph: ImportGraph): string[] {
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    const fromLevel = layerByFolder.get(from);
    if (fromLevel === undefined) {
      violations.push(`layer: ${file} is in no layer of DESIGN.md section 2`);
      continue;
    }
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      const toLevel = layerByFolder.get(to);
      let why: string | undefined;
      if (toLevel === undefined) why = `${to} is in no layer`;
      else if (to === 'commands') why = 'nothing imports commands/';
      else if (pureFolders.includes(from) && to !== 'util') why = `${from} imports only util`;
      else if (toLevel < fromLevel) why = `${to} is above ${from}`;
      if (why !== undefined) violations.push(`layer: ${file} -> ${target} (${why})`);
    }
  }
  return violations;
}

/** Every violation of the rules, one stable line each. */
export function importViolations(graph: ImportGraph): string[] {
  return [
    ...cyclesOf(graph).map((cycle) => `file cycle: ${cycle.join(', ')}`),
    ...cyclesOf(folderGraph(graph)).map((cycle) => `folder cycle: ${cycle.join(', ')}`),
    ...layerViolations(graph),
  ];
}
