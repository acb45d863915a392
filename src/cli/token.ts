// The bearer token a command sends: --token-file (or CAIRN_TOKEN_FILE), else --token
// (or CAIRN_TOKEN); none when neither is given. Files are read bounded and trimmed.

import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export interface TokenFlagValues {
  readonly token?: string | undefined;
  readonly 'token-file'?: string | undefined;
}

export function tokenOf(flags: TokenFlagValues): string | undefined {
  const file = flags['token-file'];
  if (file !== undefined && file !== '') return readTokenFile(file);
  const token = flags.token?.trim();
  return token === undefined || token === '' ? undefined : token;
}

function readTokenFile(path: string): string {
  let text: string;
  try {
    if (statSync(path).size > limits.authTokenTextBytesMax * 4)
      throw new InvalidArgumentError(`--token-file ${path} is too large to hold a token`);
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(
      `--token-file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  if (text === '') throw new InvalidArgumentError(`--token-file ${path} is empty`);
  return text;
}
