// The one place that knows how cairn reaches a node: the URL scheme of both ports and
// the base URL built from a host:port. TLS (a later issue) changes this file and
// listen.ts, nothing else.

import { assert } from '../util/assert.js';

export type NetScheme = 'http';

/** The process-wide transport settings; `configureNet` is called once, by the assembler. */
export interface NetSettings {
  readonly scheme: NetScheme;
}

let settings: NetSettings = { scheme: 'http' };

export function configureNet(next: NetSettings): void {
  assert(next.scheme === 'http', 'only plain HTTP exists yet');
  settings = next;
}

export function netSettings(): NetSettings {
  return settings;
}

/** "host:port" (or "[v6]:port") -> the URL undici dials: "http://host:port". */
export function baseUrl(address: string): string {
  assert(address.length > 0 && !address.includes('://'), 'an address is host:port, no scheme');
  return `${settings.scheme}://${address}`;
}
