// Reloading a node's TLS files without a restart: on SIGHUP, and when a file of its
// --tls-dir changes (watched, debounced: `cairn cert create-node --force` replaces a file
// by rename, an editor may write twice). A reload that reads a bad file keeps the old
// material and says why; open connections keep the context they were made with.

import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { replaceTlsMaterial } from './scheme.js';
import { readNodeTlsMaterial, type TlsMaterial } from './tls-material.js';

export interface TlsReloadOptions {
  readonly directory: string;
  readonly nodeName: string;
  readonly initial: TlsMaterial;
  readonly log: (event: string, fields?: Record<string, unknown>) => void;
}

function digest(material: TlsMaterial): string {
  return createHash('sha256')
    .update(material.ca)
    .update('\0')
    .update(material.certificate)
    .update('\0')
    .update(material.key)
    .digest('hex');
}

/** Starts watching; the returned function stops it. */
export function watchNodeTls(options: TlsReloadOptions): () => void {
  let current = digest(options.initial);
  const reload = (reason: string): void => {
    let material: TlsMaterial;
    try {
      material = readNodeTlsMaterial(options.directory, options.nodeName);
    } catch (error) {
      const message = error instanceof CairnError ? error.message : String(error);
      options.log('tls-reload-failed', { reason, error: message, kept: 'the previous files' });
      return;
    }
    const next = digest(material);
    if (next === current) return;
    current = next;
    replaceTlsMaterial(material);
    options.log('tls-reloaded', { reason, directory: options.directory });
  };
  const onSignal = (): void => reload('SIGHUP');
  process.on('SIGHUP', onSignal);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(options.directory, { persistent: false }, () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => reload('file change'), limits.tlsReloadDebounceMilliseconds);
    });
    watcher.on('error', () => undefined); // the directory went away: SIGHUP still works
  } catch {
    options.log('tls-watch-unavailable', { directory: options.directory, reload: 'SIGHUP' });
  }
  return () => {
    process.off('SIGHUP', onSignal);
    if (timer !== undefined) clearTimeout(timer);
    watcher?.close();
  };
}
