// Encryption at rest for the state store: every value is sealed (sealing.ts) and bound
// to its key, so a value copied under another key is refused. Keys stay plain (LMDB
// orders and ranges by them); they are names and metadata, not object contents.
//
// Opening costs a few microseconds per value, and a put reads several small values it
// or its predecessor just wrote (counters, the object's entry). So small values opened
// or sealed recently are remembered with their sealed bytes: the same sealed bytes open
// to the same plaintext, so a hit (compared byte for byte) is exactly an open.

import { limits } from '../util/limits.js';
import { type Keyring, openSealed, seal } from './sealing.js';

function context(key: string | Uint8Array): string {
  return `state:${typeof key === 'string' ? key : Buffer.from(key).toString('utf8')}`;
}

interface Remembered {
  readonly sealed: Buffer;
  readonly plain: Buffer;
}

export class StateValueSealing {
  private readonly remembered = new Map<string, Remembered>();

  constructor(private readonly keyring: Keyring) {}

  seal(key: string | Uint8Array, value: Uint8Array): Buffer {
    const sealed = toBuffer(seal(this.keyring, context(key), value));
    this.remember(key, sealed, value);
    return sealed;
  }

  open(key: string | Uint8Array, value: Uint8Array): Buffer {
    const known = typeof key === 'string' ? this.remembered.get(key) : undefined;
    if (known?.sealed.equals(value)) return Buffer.from(known.plain);
    const opened = toBuffer(openSealed(this.keyring, context(key), value));
    this.remember(key, value, opened);
    return opened;
  }

  private remember(key: string | Uint8Array, sealed: Uint8Array, plain: Uint8Array): void {
    if (typeof key !== 'string') return;
    this.remembered.delete(key);
    if (plain.length > limits.encryptionRememberedValueBytesMax) return;
    // Bounded: the oldest entry goes when the map is full (Map keeps insertion order).
    if (this.remembered.size >= limits.encryptionRememberedValuesMax) {
      const oldest = this.remembered.keys().next();
      if (oldest.done !== true) this.remembered.delete(oldest.value);
    }
    this.remembered.set(key, { sealed: Buffer.from(sealed), plain: Buffer.from(plain) });
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
