// The one place that knows how cairn reaches a node: the URL scheme of both ports, the
// base URL built from a host:port, and the TLS material of this process when TLS is on.
// A reload replaces the material; listeners and dialers that registered are told.

import { assert } from '../util/assert.js';
import type { TlsMaterial } from './tls-material.js';

export type NetScheme = 'http' | 'https';

/** The process-wide transport settings; `configureNet` is called once, by the assembler. */
export interface NetSettings {
  readonly scheme: NetScheme;
  /** The node's CA bundle, certificate and key: present exactly when scheme is https. */
  readonly tls?: TlsMaterial;
  /** --insecure: a node off loopback without TLS, accepted knowingly. */
  readonly insecure?: boolean;
}

let settings: NetSettings = { scheme: 'http' };
const reloadListeners = new Set<(material: TlsMaterial) => void>();

export function configureNet(next: NetSettings): void {
  assert((next.scheme === 'https') === (next.tls !== undefined), 'TLS material iff https');
  settings = next;
}

export function netSettings(): NetSettings {
  return settings;
}

/** Replaces the TLS material (a reload); every registered listener and dialer follows. */
export function replaceTlsMaterial(material: TlsMaterial): void {
  assert(settings.scheme === 'https', 'a reload needs TLS on');
  settings = { ...settings, tls: material };
  for (const listener of reloadListeners) listener(material);
}

/** Called with the new material on every reload; returns the unregistering function. */
export function onTlsReload(listener: (material: TlsMaterial) => void): () => void {
  reloadListeners.add(listener);
  return () => reloadListeners.delete(listener);
}

/** "host:port" (or "[v6]:port") -> the URL undici dials: "http(s)://host:port". */
export function baseUrl(address: string): string {
  assert(address.length > 0 && !address.includes('://'), 'an address is host:port, no scheme');
  return `${settings.scheme}://${address}`;
}
