// The TLS material of a node and of a client, read from files and checked before use, so
// a wrong file fails `cairn serve` at start (or a reload) with a message naming the file
// and the command that makes a right one, never as a handshake error later.
//
// A node's files are those `cairn cert` writes, in one directory (--tls-dir): ca.crt (the
// CA bundle it trusts), node-NAME.crt and node-NAME.key (its own certificate and key,
// NAME its --name). A client names its files one by one (--cacert, --cert, --key).

import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import { isNodeCertificate, verifySignedBy } from './certificates.js';

/** PEM texts: the CA bundle trusted, this side's certificate and its private key. */
export interface TlsMaterial {
  readonly ca: string;
  readonly certificate: string;
  readonly key: string;
}

export interface NodeTlsPaths {
  readonly ca: string;
  readonly certificate: string;
  readonly key: string;
}

/** Where a node's files are in its --tls-dir (the names `cairn cert create-node` writes). */
export function nodeTlsPaths(directory: string, nodeName: string): NodeTlsPaths {
  return {
    ca: join(directory, 'ca.crt'),
    certificate: join(directory, `node-${nodeName}.crt`),
    key: join(directory, `node-${nodeName}.key`),
  };
}

/** A small text file, read whole; a missing or oversized one is a clear error. */
export function readTlsFile(path: string, what: string, hint: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new CairnError(
      'CAIRN_ERR_NOT_FOUND',
      `${what} ${path} cannot be read (${code}); ${hint}`,
      {
        details: { path },
      },
    );
  }
  if (size > limits.certificateFileBytesMax) {
    throw new InvalidArgumentError(
      `${what} ${path} is ${size} bytes, above certificateFileBytesMax ` +
        `(${limits.certificateFileBytesMax})`,
      { path },
    );
  }
  return readFileSync(path, 'utf8');
}

function keyMatches(certificate: X509Certificate, keyPem: string): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return fromKey.equals(certificate.publicKey.export({ type: 'spki', format: 'der' }));
}

function parsed(pem: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new InvalidArgumentError(`${path} is not a PEM certificate: ${String(error)}`, { path });
  }
}

/**
 * Reads and checks a node's files: the certificate is a node certificate of this node,
 * signed by the CA, valid now, and the key is its key.
 */
export function readNodeTlsMaterial(directory: string, nodeName: string): TlsMaterial {
  const paths = nodeTlsPaths(directory, nodeName);
  const make =
    `make them with \`cairn cert create-ca --dir ${directory}\` and ` +
    `\`cairn cert create-node ${nodeName} HOST... --dir ${directory}\``;
  const material: TlsMaterial = {
    ca: readTlsFile(paths.ca, 'the CA certificate', make),
    certificate: readTlsFile(paths.certificate, 'the node certificate', make),
    key: readTlsFile(paths.key, 'the node key', make),
  };
  const authority = parsed(material.ca, paths.ca);
  const certificate = parsed(material.certificate, paths.certificate);
  const problem = (why: string) =>
    new InvalidArgumentError(`${paths.certificate} ${why}; ${make}`, { path: paths.certificate });
  if (!isNodeCertificate(certificate, nodeName))
    throw problem(`is not the node certificate of node ${nodeName}`);
  if (!verifySignedBy(certificate, authority)) throw problem(`is not signed by ${paths.ca}`);
  if (new Date(certificate.validTo).getTime() <= Date.now())
    throw problem(`expired on ${new Date(certificate.validTo).toISOString()}`);
  let matches: boolean;
  try {
    matches = keyMatches(certificate, material.key);
  } catch (error) {
    throw new InvalidArgumentError(`${paths.key} is not a private key: ${String(error)}`);
  }
  if (!matches) throw problem(`does not belong to the key ${paths.key}`);
  return material;
}

export interface ClientTlsPaths {
  readonly ca?: string;
  readonly certificate?: string;
  readonly key?: string;
}

/** What a client presents and trusts (each part optional: the system CAs, no certificate). */
export interface ClientTls {
  readonly ca?: string;
  readonly certificate?: string;
  readonly key?: string;
}

/** Reads --cacert, --cert and --key; a certificate needs its key and the other way round. */
export function readClientTls(paths: ClientTlsPaths): ClientTls {
  if ((paths.certificate === undefined) !== (paths.key === undefined)) {
    throw new InvalidArgumentError(
      '--cert and --key go together (CAIRN_CERT and CAIRN_KEY): give both or neither',
    );
  }
  const hint = 'check the path (cairn cert list shows the certificates of a directory)';
  const tls: { ca?: string; certificate?: string; key?: string } = {};
  if (paths.ca !== undefined) tls.ca = readTlsFile(paths.ca, 'the CA certificate', hint);
  if (paths.certificate !== undefined && paths.key !== undefined) {
    tls.certificate = readTlsFile(paths.certificate, 'the client certificate', hint);
    tls.key = readTlsFile(paths.key, 'the client key', hint);
    const certificate = parsed(tls.certificate, paths.certificate);
    let matches: boolean;
    try {
      matches = keyMatches(certificate, tls.key);
    } catch (error) {
      throw new InvalidArgumentError(`${paths.key} is not a private key: ${String(error)}`);
    }
    if (!matches)
      throw new InvalidArgumentError(`${paths.certificate} does not belong to ${paths.key}`);
  }
  return tls;
}
