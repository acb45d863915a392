// Runs the oclif CLI and maps every error to a clear message and the exit code of
// the CLI contract. Returns the exit code instead of calling process.exit, so output
// streams drain and a long-running command (serve) decides when the process ends.

import { Config, flush, run } from '@oclif/core';
import { errorReport, formatErrorJson, formatErrorLine } from './error-report.js';

export async function main(argv: readonly string[], entryUrl: string): Promise<number> {
  let config: Config | undefined;
  try {
    config = await Config.load(entryUrl);
    await run([...argv], config);
    await flush();
    // A command may end with a failure of its own (scrub or repair that found problems
    // sets process.exitCode = 1) after printing its report: keep that code.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const visible = config?.commands.filter((command) => command.hidden !== true) ?? [];
    const report = errorReport(
      error,
      visible.map((command) => command.id),
    );
    if (report.code === 'CAIRN_ERR_EXIT') return report.exitCode;
    if (argv.includes('--json')) process.stdout.write(`${formatErrorJson(report)}\n`);
    process.stderr.write(`${formatErrorLine(report)}\n`);
    if (process.env['CAIRN_DEBUG'] && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    return report.exitCode;
  }
}
