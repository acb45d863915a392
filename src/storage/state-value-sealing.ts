// Encryption at rest for the state store: every value is sealed (sealing.ts) and bound
// to its key, so a value copied under another key is refused. Keys stay plain (LMDB
// orders and ranges by them); they are names and metadata, not object contents.

import { type Keyring, openSealed, seal } from './sealing.js';

function context(key: string | Uint8Array): string {
  return `state:${typeof key === 'string' ? key : Buffer.from(key).toString('utf8')}`;
}

export class StateValueSealing {
  constructor(private readonly keyring: Keyring) {}

  seal(key: string | Uint8Array, value: Uint8Array): Buffer {
    const sealed = seal(this.keyring, context(key), value);
    return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  }

  open(key: string | Uint8Array, value: Uint8Array): Buffer {
    const opened = openSealed(this.keyring, context(key), value);
    return Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength);
  }
}
