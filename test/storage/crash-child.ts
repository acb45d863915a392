// Runs a crash-test child process and kills it with SIGKILL once it has reported
// `linesBeforeKill` progress lines (after its start line), within a deadline.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface KilledChild {
  readonly lines: string[];
}

export async function runAndKill(
  fixture: string,
  args: string[],
  linesBeforeKill: number,
  deadlineMilliseconds = 20_000,
): Promise<KilledChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString('utf8');
  });
  // 'close' (not 'exit'): every line the child wrote before it died has been read.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const reader = createInterface({ input: child.stdout });
  const enough = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `child ${fixture} gave ${lines.length} lines before the deadline; stderr: ${stderr}`,
          ),
        ),
      deadlineMilliseconds,
    );
    reader.on('line', (line) => {
      lines.push(line);
      if (lines.length > linesBeforeKill) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else
        reject(
          new Error(
            `child ${fixture} exited early (code ${code}, signal ${signal}); stderr: ${stderr}`,
          ),
        );
    });
  });
  try {
    await enough;
  } finally {
    child.kill('SIGKILL');
    await exited;
    reader.close();
  }
  return { lines };
}
