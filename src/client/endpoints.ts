// Endpoints: the client ports of cairn nodes, as the user writes them in
// --endpoints or CAIRN_ENDPOINTS ("host:port,http://host:port,https://host:port,[::1]:port").
// A bare host:port is https when the process has client TLS (--cacert, --cert) or is a
// TLS node, else http.
// Parsing is strict so that a typo fails at once with the item named, instead of
// surfacing later as a connection error to a strange host.

import { clientTlsDefault, netSettings } from '../net/index.js';
import { assert } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export interface Endpoint {
  /** Host name, IPv4 address, or IPv6 address in brackets ("[::1]"). Lower case. */
  readonly host: string;
  readonly port: number;
  /** "host:port", the name used in messages and as the identity of the endpoint. */
  readonly name: string;
  /** "http://host:port" or "https://host:port", what undici connects to. */
  readonly origin: string;
}

const endpointPattern =
  /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(\/?)$/;
const hostLabelPattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const missingEndpointsMessage =
  'no endpoints given: pass --endpoints host:port[,host:port...] or set CAIRN_ENDPOINTS';

/** Parses one "host:port" or "http://host:port". Throws InvalidArgumentError naming the item. */
export function parseEndpoint(text: string): Endpoint {
  const item = text.trim();
  const invalid = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(
      `invalid endpoint "${item}": ${why} (expected host:port, http://host:port or https://host:port)`,
      {
        endpoint: item,
      },
    );
  if (item.length === 0) throw invalid('empty');
  const match = endpointPattern.exec(item);
  if (match === null) throw invalid('not of the form host:port');
  const scheme = match[1]?.toLowerCase() ?? defaultScheme();
  if (scheme !== 'http' && scheme !== 'https')
    throw invalid(`scheme "${scheme}" is not supported, only http and https`);
  const host = (match[2] ?? '').toLowerCase();
  if (!validHost(host)) throw invalid(`"${host}" is not a valid host name or address`);
  if (match[3] === undefined) throw invalid('the port is missing');
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw invalid(`port ${match[3]} is not in 1..65535`);
  const name = `${host}:${port}`;
  const endpoint: Endpoint = { host, port, name, origin: `${scheme}://${name}` };
  assert(endpoint.port >= 1 && endpoint.port <= 65_535, 'port in range');
  return endpoint;
}

function defaultScheme(): 'http' | 'https' {
  return clientTlsDefault() !== undefined || netSettings().scheme === 'https' ? 'https' : 'http';
}

/**
 * Parses a comma-separated list of endpoints. Empty items (a trailing comma) are
 * ignored, duplicates are removed keeping the first occurrence; an empty list is an
 * error telling the user how to give endpoints.
 */
export function parseEndpoints(text: string | undefined): Endpoint[] {
  if (text === undefined || text.trim().length === 0) {
    throw new InvalidArgumentError(missingEndpointsMessage);
  }
  if (text.length > limits.clientEndpointsTextBytesMax) {
    throw new InvalidArgumentError(
      `the endpoint list is ${text.length} characters, more than clientEndpointsTextBytesMax (${limits.clientEndpointsTextBytesMax})`,
    );
  }
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  for (const item of text.split(',')) {
    if (item.trim().length === 0) continue;
    const endpoint = parseEndpoint(item);
    if (seen.has(endpoint.name)) continue;
    seen.add(endpoint.name);
    endpoints.push(endpoint);
    if (endpoints.length > limits.clientEndpointsMax) {
      throw new InvalidArgumentError(
        `more than clientEndpointsMax (${limits.clientEndpointsMax}) endpoints given`,
      );
    }
  }
  if (endpoints.length === 0) throw new InvalidArgumentError(missingEndpointsMessage);
  assert(endpoints.length <= limits.clientEndpointsMax, 'endpoint count bounded');
  return endpoints;
}

function validHost(host: string): boolean {
  if (host.startsWith('[')) {
    // An IPv6 literal: hex groups and colons, perhaps an embedded IPv4 tail.
    const inner = host.slice(1, -1);
    return host.endsWith(']') && inner.includes(':') && inner.length <= 45;
  }
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || !hostLabelPattern.test(label)) return false;
  }
  // All-numeric hosts must be a dotted IPv4 address with four octets.
  if (labels.every((label) => /^[0-9]+$/.test(label))) {
    return labels.length === 4 && labels.every((label) => Number(label) <= 255);
  }
  return true;
}
