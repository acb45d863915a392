// cairn's certificates without openssl: a CA, node certificates and client certificates
// with P-256 (ECDSA) keys, built with @peculiar/x509 over Node's WebCrypto; and the pure
// checks the TLS layer calls on a peer's certificate.
//
// The node marker: a node certificate carries the SAN URI `cairn-node://NAME` (NAME
// percent-encoded) next to the serverAuth and clientAuth extended key usages. A client
// certificate has clientAuth only and no such URI, so the peer port can refuse a client
// certificate of the same CA. A URI rather than a private extended key usage OID: it
// needs no registered OID arc, and it names the node in the same place it marks it.
//
// Creating needs @peculiar/x509 (and reflect-metadata, which its tsyringe needs loaded
// first); both are loaded on first use, so commands without certificates do not pay.
// The checks use Node's own X509Certificate (the parser of the TLS stack that verified
// the chain): synchronous, no library load on a handshake, no parser differential.

import { createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509Library from '@peculiar/x509';
import { assert } from '../util/assert.js';
import { InvalidArgumentError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export type CertificateKind = 'ca' | 'node' | 'client' | 'other';

/** A certificate and its private key, both PEM (the key in PKCS#8). */
export interface CertificateAndKey {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A certificate as the TLS layer holds it: PEM text, DER bytes, or Node's parsed object. */
export type CertificateSource = string | Uint8Array | X509Certificate;

export interface SubjectAlternativeName {
  readonly type: 'dns' | 'ip' | 'uri' | 'email' | 'other';
  readonly value: string;
}

export interface CertificateSummary {
  readonly kind: CertificateKind;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAlternativeNames: readonly SubjectAlternativeName[];
  readonly notBefore: string; // ISO 8601
  readonly notAfter: string; // ISO 8601
  readonly expired: boolean;
  readonly fingerprintSha256: string; // colon-separated hex, as Node's fingerprint256
  readonly serialNumber: string;
  readonly nodeName: string | null;
  readonly user: string | null;
}

export const nodeUriScheme = 'cairn-node://';
export const extendedKeyUsageServerAuth = '1.3.6.1.5.5.7.3.1';
export const extendedKeyUsageClientAuth = '1.3.6.1.5.5.7.3.2';
export const certificateAuthorityNameDefault = 'cairn CA';
const organization = 'cairn';
// Backdated so a peer whose clock is a little behind accepts a fresh certificate.
const notBeforeBackdateMilliseconds = 5 * 60 * 1000;
const dayMilliseconds = 24 * 60 * 60 * 1000;
const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;

// Node names follow the member id rules of src/meta; users are the same without ':'
// (a user's name also names the file client-USER.crt).
const nodeNamePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const userPattern = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const dnsLabelPattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const printablePattern = /^[\x20-\x7e]+$/;

// ---------------------------------------------------------------------------------
// Validation of what a caller asks for (bad input: InvalidArgumentError, exit 2).

export function checkNodeName(name: string): void {
  if (name.length > limits.certificateNameBytesMax || !nodeNamePattern.test(name)) {
    throw new InvalidArgumentError(
      `node name "${name}" is not valid: 1 to ${limits.certificateNameBytesMax} characters ` +
        'of A-Z a-z 0-9 . _ : -, starting with a letter or digit',
      { name },
    );
  }
}

export function checkUser(user: string): void {
  if (user.length > limits.certificateNameBytesMax || !userPattern.test(user)) {
    throw new InvalidArgumentError(
      `user "${user}" is not valid: 1 to ${limits.certificateNameBytesMax} characters ` +
        'of A-Z a-z 0-9 . _ @ -, starting with a letter or digit',
      { user },
    );
  }
}

function checkAuthorityName(name: string): void {
  if (name.length > limits.certificateNameBytesMax || !printablePattern.test(name)) {
    throw new InvalidArgumentError(
      `CA name "${name}" is not valid: ` +
        `1 to ${limits.certificateNameBytesMax} printable ASCII characters`,
      { name },
    );
  }
}

export function checkValidDays(validDays: number): void {
  const maximum = limits.certificateValidityDaysMax;
  if (!Number.isSafeInteger(validDays) || validDays < 1 || validDays > maximum) {
    throw new InvalidArgumentError(`valid days must be an integer from 1 to ${maximum}`, {
      validDays,
    });
  }
}

function isDnsName(host: string): boolean {
  if (host.length > limits.certificateHostBytesMax) return false;
  const labels = host.split('.');
  // A wildcard stands for one whole leftmost label only (RFC 6125).
  const first = labels[0] === '*' && labels.length > 2 ? 1 : 0;
  for (let index = first; index < labels.length; index++) {
    const label = labels[index] ?? '';
    if (label.length > 63 || !dnsLabelPattern.test(label)) return false;
  }
  // An all-digit last label is a mistyped IP address (300.1.1.1), never a DNS name.
  return !/^[0-9]+$/.test(labels[labels.length - 1] ?? '');
}

/** Hosts become SANs: IP addresses as IP entries, everything else as DNS names. */
export function hostNames(hosts: readonly string[]): SubjectAlternativeName[] {
  if (hosts.length === 0 || hosts.length > limits.certificateHostsMax) {
    throw new InvalidArgumentError(
      `a node certificate needs 1 to ${limits.certificateHostsMax} hosts ` +
        `(IP addresses or DNS names), got ${hosts.length}`,
    );
  }
  const names: SubjectAlternativeName[] = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    const lower = host.toLowerCase();
    let name: SubjectAlternativeName;
    if (isIP(host) !== 0) name = { type: 'ip', value: host };
    else if (isDnsName(lower)) name = { type: 'dns', value: lower };
    else {
      throw new InvalidArgumentError(
        `host "${host}" is neither an IP address nor a DNS name (letters, digits and ` +
          `hyphens in dot-separated labels, at most ${limits.certificateHostBytesMax} characters)`,
        { host },
      );
    }
    const identity = `${name.type}:${name.value}`;
    if (!seen.has(identity)) names.push(name);
    seen.add(identity);
  }
  return names;
}

// ---------------------------------------------------------------------------------
// Creating certificates (async: WebCrypto and the lazily loaded library).

let libraryLoading: Promise<typeof X509Library> | undefined;

/** Loads reflect-metadata, then @peculiar/x509 over Node's WebCrypto; once per process. */
export function loadX509Library(): Promise<typeof X509Library> {
  libraryLoading ??= (async () => {
    await import('reflect-metadata');
    const library = await import('@peculiar/x509');
    library.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);
    return library;
  })();
  return libraryLoading;
}

function validityWindow(validDays: number, now: Date): { notBefore: Date; notAfter: Date } {
  checkValidDays(validDays);
  return {
    notBefore: new Date(now.getTime() - notBeforeBackdateMilliseconds),
    notAfter: new Date(now.getTime() + validDays * dayMilliseconds),
  };
}

/** A random positive 128-bit serial number (RFC 5280: positive, at most 20 bytes). */
function randomSerialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40; // positive, and no leading zero byte
  return Buffer.from(bytes).toString('hex');
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithm, true, [
    'sign',
    'verify',
  ])) as unknown as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

export interface CertificateAuthorityOptions {
  readonly name?: string;
  readonly validDays: number;
  readonly now?: Date;
}

export async function createCertificateAuthority(
  options: CertificateAuthorityOptions,
): Promise<CertificateAndKey> {
  const name = options.name ?? certificateAuthorityNameDefault;
  checkAuthorityName(name);
  const window = validityWindow(options.validDays, options.now ?? new Date());
  const x509 = await loadX509Library();
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [name] }, { O: [organization] }],
    keys,
    signingAlgorithm,
    ...window,
    extensions: [
      // pathLength 0: this CA signs end-entity certificates only.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certificatePem = certificate.toString('pem');
  assert(new X509Certificate(certificatePem).ca, 'a created CA is marked as a CA');
  return { certificatePem, privateKeyPem: await privateKeyPem(keys) };
}

/** Checks a CA's certificate and key belong together and can sign; returns the parsed CA. */
export function checkCertificateAuthority(
  authority: CertificateAndKey,
  now: Date = new Date(),
): X509Certificate {
  let certificate: X509Certificate;
  let keyMatches: boolean;
  let curve: string | undefined;
  try {
    certificate = new X509Certificate(authority.certificatePem);
    const publicKey = createPublicKey(authority.privateKeyPem);
    curve = publicKey.asymmetricKeyDetails?.namedCurve;
    const publicFromKey = publicKey.export({ type: 'spki', format: 'der' });
    const publicFromCertificate = certificate.publicKey.export({ type: 'spki', format: 'der' });
    keyMatches = publicFromKey.equals(publicFromCertificate);
  } catch (error) {
    throw new InvalidArgumentError(`the CA certificate or key cannot be read: ${String(error)}`);
  }
  if (!certificate.ca) throw new InvalidArgumentError('the CA certificate is not a CA');
  if (!keyMatches) throw new InvalidArgumentError('the CA key does not belong to the CA');
  if (curve !== 'prime256v1') throw new InvalidArgumentError('the CA key is not a P-256 key');
  if (new Date(certificate.validTo).getTime() <= now.getTime()) {
    throw new InvalidArgumentError(`the CA expired on ${isoDate(certificate.validTo)}`);
  }
  return certificate;
}

interface EndEntityRequest {
  readonly commonName: string;
  readonly extendedKeyUsages: readonly string[];
  readonly alternativeNames: readonly SubjectAlternativeName[];
  readonly validDays: number;
  readonly now: Date;
}

async function createEndEntity(
  authority: CertificateAndKey,
  request: EndEntityRequest,
): Promise<CertificateAndKey> {
  const authorityCertificate = checkCertificateAuthority(authority, request.now);
  const window = validityWindow(request.validDays, request.now);
  const authorityExpiry = new Date(authorityCertificate.validTo);
  if (window.notAfter.getTime() > authorityExpiry.getTime()) {
    throw new InvalidArgumentError(
      `${request.validDays} valid days would outlive the CA, ` +
        `which expires on ${isoDate(authorityCertificate.validTo)}`,
      { validDays: request.validDays },
    );
  }
  const x509 = await loadX509Library();
  const issuer = new x509.X509Certificate(authority.certificatePem);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKeyDer(authority.privateKeyPem),
    keyAlgorithm,
    false,
    ['sign'],
  );
  const keys = await generateKeyPair();
  const extensions: X509Library.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([...request.extendedKeyUsages]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer, false),
  ];
  if (request.alternativeNames.length > 0) {
    const json = request.alternativeNames.map((name) => ({
      type: name.type === 'uri' ? ('url' as const) : (name.type as 'dns' | 'ip'),
      value: name.value,
    }));
    extensions.push(new x509.SubjectAlternativeNameExtension(json, false));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ CN: [request.commonName] }, { O: [organization] }],
    issuer: issuer.subjectName,
    publicKey: keys.publicKey,
    signingKey: signingKey,
    signingAlgorithm,
    ...window,
    extensions,
  });
  const certificatePem = certificate.toString('pem');
  assert(verifySignedBy(certificatePem, authorityCertificate), 'signed by its CA');
  return { certificatePem, privateKeyPem: await privateKeyPem(keys) };
}

function privateKeyDer(pem: string): ArrayBuffer {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

export interface NodeCertificateOptions {
  readonly name: string;
  readonly hosts: readonly string[];
  readonly validDays: number;
  readonly now?: Date;
}

/** A node's certificate: serverAuth + clientAuth, its hosts and `cairn-node://NAME` as SANs. */
export async function createNodeCertificate(
  authority: CertificateAndKey,
  options: NodeCertificateOptions,
): Promise<CertificateAndKey> {
  checkNodeName(options.name);
  const alternativeNames: SubjectAlternativeName[] = [
    ...hostNames(options.hosts),
    { type: 'uri', value: `${nodeUriScheme}${encodeURIComponent(options.name)}` },
  ];
  return createEndEntity(authority, {
    commonName: options.name,
    extendedKeyUsages: [extendedKeyUsageServerAuth, extendedKeyUsageClientAuth],
    alternativeNames,
    validDays: options.validDays,
    now: options.now ?? new Date(),
  });
}

export interface ClientCertificateOptions {
  readonly user: string;
  readonly validDays: number;
  readonly now?: Date;
}

/** A client's certificate: clientAuth only, the user as its common name, no SANs. */
export async function createClientCertificate(
  authority: CertificateAndKey,
  options: ClientCertificateOptions,
): Promise<CertificateAndKey> {
  checkUser(options.user);
  return createEndEntity(authority, {
    commonName: options.user,
    extendedKeyUsages: [extendedKeyUsageClientAuth],
    alternativeNames: [],
    validDays: options.validDays,
    now: options.now ?? new Date(),
  });
}

// ---------------------------------------------------------------------------------
// Pure checks (synchronous, Node's X509Certificate).

/** Parses a certificate; throws InvalidArgumentError on anything that is not one. */
export function parseCertificate(source: CertificateSource): X509Certificate {
  if (source instanceof X509Certificate) return source;
  if (typeof source === 'string' && source.includes('PRIVATE KEY-----')) {
    throw new InvalidArgumentError('this is a private key, not a certificate');
  }
  try {
    return new X509Certificate(typeof source === 'string' ? source : Buffer.from(source));
  } catch (error) {
    throw new InvalidArgumentError(`not an X.509 certificate: ${String(error)}`);
  }
}

/**
 * Node prints SANs as `TYPE:value, TYPE:value`; a value holding a comma, quote or
 * other unsafe character is printed as a JSON string (`DNS:"a,b"`). Splits outside
 * quotes only, so a crafted name cannot smuggle in a second entry.
 */
export function parseSubjectAlternativeNames(text: string | undefined): SubjectAlternativeName[] {
  if (text === undefined || text === '') return [];
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index] ?? '';
    if (quoted && character === '\\') {
      current += character + (text[index + 1] ?? '');
      index++;
    } else if (character === '"') {
      quoted = !quoted;
      current += character;
    } else if (!quoted && character === ',' && text[index + 1] === ' ') {
      entries.push(current);
      current = '';
      index++;
    } else current += character;
  }
  entries.push(current);
  return entries.map(parseSubjectAlternativeName);
}

function parseSubjectAlternativeName(entry: string): SubjectAlternativeName {
  const colon = entry.indexOf(':');
  if (colon < 0) return { type: 'other', value: entry };
  const prefix = entry.slice(0, colon);
  let value = entry.slice(colon + 1);
  if (value.startsWith('"')) {
    try {
      value = String(JSON.parse(value));
    } catch {
      return { type: 'other', value: entry };
    }
  }
  if (prefix === 'DNS') return { type: 'dns', value };
  if (prefix === 'IP Address') return { type: 'ip', value };
  if (prefix === 'URI') return { type: 'uri', value };
  if (prefix === 'email') return { type: 'email', value };
  return { type: 'other', value: entry };
}

function extendedKeyUsages(certificate: X509Certificate): readonly string[] {
  return certificate.keyUsage ?? [];
}

/** The names of the `cairn-node://` URIs of a certificate, still percent-encoded. */
function nodeMarkers(certificate: X509Certificate): string[] {
  return parseSubjectAlternativeNames(certificate.subjectAltName)
    .filter((name) => name.type === 'uri' && name.value.startsWith(nodeUriScheme))
    .map((name) => name.value.slice(nodeUriScheme.length));
}

/** The node a node certificate names, or null when it is not a node certificate. */
export function nodeName(source: CertificateSource): string | null {
  const certificate = parseCertificate(source);
  if (certificate.ca) return null;
  const usages = extendedKeyUsages(certificate);
  if (!usages.includes(extendedKeyUsageServerAuth)) return null;
  if (!usages.includes(extendedKeyUsageClientAuth)) return null;
  const names = nodeMarkers(certificate);
  if (names.length !== 1) return null; // none, or ambiguous
  let decoded: string;
  try {
    decoded = decodeURIComponent(names[0] ?? '');
  } catch {
    return null;
  }
  if (decoded.length > limits.certificateNameBytesMax) return null;
  return nodeNamePattern.test(decoded) ? decoded : null;
}

/** True for a node certificate; with expectedName, only for the node of that name. */
export function isNodeCertificate(source: CertificateSource, expectedName?: string): boolean {
  const name = nodeName(source);
  if (name === null) return false;
  return expectedName === undefined || name === expectedName;
}

/** The common names in a subject printed by Node (one `KEY=value` per line). */
function commonNames(subject: string): string[] {
  return subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
}

/** A client certificate's user (its one common name), or null for any other certificate. */
export function certificateUser(source: CertificateSource): string | null {
  const certificate = parseCertificate(source);
  // Any node marker disqualifies: cairn never makes a client certificate with one.
  if (certificate.ca || nodeMarkers(certificate).length > 0) return null;
  const usages = extendedKeyUsages(certificate);
  if (!usages.includes(extendedKeyUsageClientAuth)) return null;
  if (usages.includes(extendedKeyUsageServerAuth)) return null;
  const names = commonNames(certificate.subject);
  if (names.length !== 1) return null;
  const user = names[0] ?? '';
  if (user.length > limits.certificateNameBytesMax || !userPattern.test(user)) return null;
  return user;
}

/** True when `authority` is a CA and issued and signed `source` (signature checked). */
export function verifySignedBy(source: CertificateSource, authority: CertificateSource): boolean {
  const certificate = parseCertificate(source);
  const issuer = parseCertificate(authority);
  if (!issuer.ca) return false;
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}

export function certificateKind(source: CertificateSource): CertificateKind {
  const certificate = parseCertificate(source);
  if (certificate.ca) return 'ca';
  if (nodeName(certificate) !== null) return 'node';
  if (certificateUser(certificate) !== null) return 'client';
  return 'other';
}

function isoDate(nodeDate: string): string {
  return new Date(nodeDate).toISOString();
}

/** What `cairn cert inspect` shows; never anything of a private key. */
export function inspect(source: CertificateSource, now: Date = new Date()): CertificateSummary {
  const certificate = parseCertificate(source);
  const notAfter = isoDate(certificate.validTo);
  return {
    kind: certificateKind(certificate),
    subject: certificate.subject.split('\n').join(', '),
    issuer: certificate.issuer.split('\n').join(', '),
    subjectAlternativeNames: parseSubjectAlternativeNames(certificate.subjectAltName),
    notBefore: isoDate(certificate.validFrom),
    notAfter,
    expired: new Date(notAfter).getTime() <= now.getTime(),
    fingerprintSha256: certificate.fingerprint256,
    serialNumber: certificate.serialNumber,
    nodeName: nodeName(certificate),
    user: certificateUser(certificate),
  };
}
