// A secret (a token) goes to a new file created with mode 0600 (never chmod-ed after,
// so it is never readable by others, not even for an instant); an existing file is
// kept. The file is created before the secret exists (openSecretFile), so a secret
// shown once is never lost to a file that could not be written.

import { closeSync, constants, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { CairnError } from '../util/errors.js';

const secretFileMode = 0o600;

export interface SecretFile {
  readonly path: string;
  /** Writes the secret, syncs and closes the file. */
  write(text: string): void;
  /** Without a secret written (it was never made): closes and removes the empty file. */
  abandon(): void;
}

export function openSecretFile(path: string): SecretFile {
  let descriptor: number;
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    descriptor = openSync(path, flags, secretFileMode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    if (code === 'EEXIST')
      throw new CairnError(
        'CAIRN_ERR_ALREADY_EXISTS',
        `${path} exists; remove it or choose another`,
      );
    throw new CairnError('CAIRN_ERR_IO', `${path}: ${code}`, { details: { path, errno: code } });
  }
  let open = true;
  let written = false;
  const close = () => {
    if (open) closeSync(descriptor);
    open = false;
  };
  return {
    path,
    write: (text) => {
      try {
        writeSync(descriptor, text);
        fsyncSync(descriptor);
        written = true;
      } finally {
        close();
      }
    },
    abandon: () => {
      close();
      if (!written) rmSync(path, { force: true });
    },
  };
}
