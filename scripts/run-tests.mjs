#!/usr/bin/env node
// Runs every test with uvu (TypeScript through tsx), echoes uvu's output, and ends
// with the plain line CI reads: "N passed, N failed". Keeps uvu's exit code, and
// fails when a test file fails to load or uvu prints no totals at all.
// Usage: node scripts/run-tests.mjs [folder] [pattern]
import { spawn } from 'node:child_process';

const uvuBin = new URL('../node_modules/uvu/bin.js', import.meta.url).pathname;
const folder = process.argv[2] ?? 'test';
const pattern = process.argv[3] ?? '\\.test\\.ts$';

const child = spawn(process.execPath, [uvuBin, '-r', 'tsx', folder, pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let output = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString('utf8');
});
child.on('close', (code, signal) => {
  const number = (label) => {
    const match = new RegExp(`${label}:\\s+(\\d+)`).exec(output);
    return match ? Number(match[1]) : undefined;
  };
  const total = number('Total');
  const passed = number('Passed');
  const skipped = number('Skipped') ?? 0;
  if (total === undefined || passed === undefined) {
    // uvu printed no totals: a test file failed to load or the runner crashed.
    console.log(`0 passed, 1 failed`);
    process.exit(code === 0 || code === null ? 1 : code);
  }
  const failed = total - passed - skipped;
  const exitCode = code ?? (signal ? 1 : 0);
  console.log(
    `${passed} passed, ${failed > 0 ? failed : exitCode === 0 ? 0 : Math.max(failed, 1)} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
  process.exit(failed > 0 && exitCode === 0 ? 1 : exitCode);
});
