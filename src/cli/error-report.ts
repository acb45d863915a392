// Turns anything a command can throw into what the user sees: one line of text (or
// a JSON error object) and the exit code of the CLI contract: 1 failure, 2 usage.
// A user mistake never shows a stack trace; an unexpected error does only when
// CAIRN_DEBUG is set.

import { Errors } from '@oclif/core';
import { AssertionFailure } from '../util/assert.js';
import { closestCommand, unknownWords } from './command-suggestion.js';
import { CairnError, type ErrorDetails, errorRow } from '../util/errors.js';

export interface ErrorReport {
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
  readonly details: ErrorDetails;
  readonly hint?: string;
}

const usageExitCode = errorRow('CAIRN_ERR_USAGE').exitCode;
const commandNotFoundPattern = /^command (.+) not found$/;
// oclif rewrites the message of an error thrown by a flag's parser (src/cli/flags.ts)
// as "Parsing --NAME \n\t<message>\nSee more help with --help"; ours names the flag.
const flagParsingWrapperPattern = /^Parsing --\S+ \n\t([\s\S]*)\nSee more help with --help$/;

function withoutFlagParsingWrapper(message: string): string {
  return flagParsingWrapperPattern.exec(message)?.[1] ?? message;
}

/** `knownCommandIds` (oclif ids, "a:b") let an unknown command be named and corrected. */
export function errorReport(error: unknown, knownCommandIds: readonly string[] = []): ErrorReport {
  if (error instanceof CairnError) {
    return {
      code: error.code,
      message: withoutFlagParsingWrapper(error.message),
      exitCode: errorRow(error.code).exitCode,
      details: error.details,
    };
  }
  if (error instanceof AssertionFailure) {
    return {
      code: error.code,
      message: `internal error (a bug in cairn): ${error.message}`,
      exitCode: 1,
      details: {},
    };
  }
  if (error instanceof Errors.ExitError) {
    return { code: 'CAIRN_ERR_EXIT', message: '', exitCode: error.oclif.exit ?? 1, details: {} };
  }
  if (error instanceof Errors.CLIError) {
    return cliErrorReport(error, knownCommandIds);
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'CAIRN_ERR_INTERNAL',
    message: `internal error: ${message}`,
    exitCode: 1,
    details: {},
  };
}

function cliErrorReport(error: Errors.CLIError, knownCommandIds: readonly string[]): ErrorReport {
  const firstLine = (error.message.split('\n')[0] ?? '').trim();
  const notFound = commandNotFoundPattern.exec(firstLine);
  if (notFound) {
    const typed = unknownWords(notFound[1] ?? '', knownCommandIds);
    const suggestion = closestCommand(typed, knownCommandIds);
    return {
      code: 'CAIRN_ERR_USAGE',
      message: `unknown command "${typed}"`,
      exitCode: usageExitCode,
      details: suggestion === undefined ? { command: typed } : { command: typed, suggestion },
      hint:
        suggestion === undefined
          ? "run 'cairn --help' for the list of commands"
          : `did you mean "cairn ${suggestion}"? run 'cairn --help' for the list of commands`,
    };
  }
  const exitCode = error.oclif.exit ?? usageExitCode;
  return {
    code: exitCode === usageExitCode ? 'CAIRN_ERR_USAGE' : 'CAIRN_ERR_FAILED',
    message: firstLine.replace(/^Error:\s*/, ''),
    exitCode,
    details: {},
    ...(exitCode === usageExitCode
      ? { hint: 'add --help to the command for its flags and examples' }
      : {}),
  };
}

export function formatErrorLine(report: ErrorReport): string {
  const hint = report.hint === undefined ? '' : ` (${report.hint})`;
  return `cairn: error [${report.code}]: ${report.message}${hint}`;
}

export function formatErrorJson(report: ErrorReport): string {
  return JSON.stringify({
    error: { code: report.code, message: report.message, details: report.details },
  });
}
