// src/net/certificates.ts: the created CA, node and client certificates, the pure checks
// the TLS layer calls, and real TLS 1.3 handshakes with Node's tls (mutual TLS, another
// CA, SAN host verification, the extended key usages OpenSSL enforces).
import { webcrypto, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import type * as X509Library from '@peculiar/x509';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type CertificateAndKey,
  certificateKind,
  certificateUser,
  checkCertificateAuthority,
  createCertificateAuthority,
  createClientCertificate,
  createNodeCertificate,
  extendedKeyUsageClientAuth,
  extendedKeyUsageServerAuth,
  inspect,
  isNodeCertificate,
  loadX509Library,
  nodeName,
  parseSubjectAlternativeNames,
  verifySignedBy,
} from '../../src/net/certificates.js';
import { CairnError } from '../../src/util/errors.js';

// Made once before the tests (uvu loads test files as CommonJS: no top-level await).
let authority: CertificateAndKey;
let otherAuthority: CertificateAndKey;
let nodeOne: CertificateAndKey;
let nodeTwo: CertificateAndKey;
let alice: CertificateAndKey;
let mallory: CertificateAndKey;
let nodeOfOtherAuthority: CertificateAndKey;

test.before(async () => {
  authority = await createCertificateAuthority({ name: 'test CA', validDays: 30 });
  otherAuthority = await createCertificateAuthority({ name: 'other CA', validDays: 30 });
  nodeOne = await createNodeCertificate(authority, {
    name: 'n1',
    hosts: ['127.0.0.1', 'localhost', '::1'],
    validDays: 10,
  });
  nodeTwo = await createNodeCertificate(authority, {
    name: 'n2',
    hosts: ['127.0.0.1'],
    validDays: 10,
  });
  alice = await createClientCertificate(authority, { user: 'alice', validDays: 10 });
  mallory = await createClientCertificate(otherAuthority, { user: 'root', validDays: 10 });
  nodeOfOtherAuthority = await createNodeCertificate(otherAuthority, {
    name: 'n1',
    hosts: ['127.0.0.1'],
    validDays: 10,
  });
});

async function expectError(promise: Promise<unknown> | (() => unknown), code: string) {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    assert.instance(error, CairnError);
    assert.is((error as CairnError).code, code, (error as Error).message);
    return (error as CairnError).message;
  }
  assert.unreachable(`expected ${code}`);
  return '';
}

test('the CA is a self-signed P-256 CA with the given name and validity', () => {
  const certificate = new X509Certificate(authority.certificatePem);
  assert.ok(certificate.ca);
  assert.is(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(verifySignedBy(certificate, certificate));
  const summary = inspect(authority.certificatePem);
  assert.is(summary.kind, 'ca');
  assert.is(summary.subject, 'CN=test CA, O=cairn');
  const lifetimeDays =
    (Date.parse(summary.notAfter) - Date.parse(summary.notBefore)) / (24 * 3600 * 1000);
  assert.ok(lifetimeDays > 30 && lifetimeDays < 30.01, `lifetime ${lifetimeDays} days`);
  assert.ok(Date.parse(summary.notBefore) < Date.now(), 'valid from now (backdated)');
  assert.is(summary.fingerprintSha256, certificate.fingerprint256);
  assert.match(authority.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test('a node certificate carries its hosts and the node marker, signed by the CA', () => {
  const summary = inspect(nodeOne.certificatePem);
  assert.is(summary.kind, 'node');
  assert.is(summary.nodeName, 'n1');
  assert.is(summary.user, null);
  assert.is(summary.issuer, 'CN=test CA, O=cairn');
  const names = summary.subjectAlternativeNames.map((name) => `${name.type}:${name.value}`);
  assert.equal(names, [
    'ip:127.0.0.1',
    'dns:localhost',
    'ip:0:0:0:0:0:0:0:1',
    'uri:cairn-node://n1',
  ]);
  const certificate = new X509Certificate(nodeOne.certificatePem);
  assert.equal(certificate.keyUsage, [extendedKeyUsageServerAuth, extendedKeyUsageClientAuth]);
  assert.not.ok(certificate.ca);
  assert.ok(verifySignedBy(nodeOne.certificatePem, authority.certificatePem));
  assert.not.ok(verifySignedBy(nodeOne.certificatePem, otherAuthority.certificatePem));
  assert.ok(isNodeCertificate(nodeOne.certificatePem));
  assert.ok(isNodeCertificate(nodeOne.certificatePem, 'n1'));
  assert.not.ok(isNodeCertificate(nodeOne.certificatePem, 'n2'));
  assert.is(certificateUser(nodeOne.certificatePem), null);
});

test('planted: a client certificate of the same CA does not pass as a node', () => {
  assert.ok(verifySignedBy(alice.certificatePem, authority.certificatePem));
  assert.not.ok(isNodeCertificate(alice.certificatePem));
  assert.not.ok(isNodeCertificate(alice.certificatePem, 'alice'));
  assert.is(nodeName(alice.certificatePem), null);
  assert.is(certificateUser(alice.certificatePem), 'alice');
  assert.is(certificateKind(alice.certificatePem), 'client');
  assert.equal(new X509Certificate(alice.certificatePem).keyUsage, [extendedKeyUsageClientAuth]);
  assert.equal(inspect(alice.certificatePem).subjectAlternativeNames, []);
  // Nor does the CA itself, whatever it says.
  assert.not.ok(isNodeCertificate(authority.certificatePem));
  assert.is(certificateUser(authority.certificatePem), null);
});

test('the checks take PEM, DER bytes and Node X509Certificate objects alike', () => {
  const certificate = new X509Certificate(nodeTwo.certificatePem);
  assert.ok(isNodeCertificate(certificate.raw, 'n2'));
  assert.ok(isNodeCertificate(certificate, 'n2'));
  assert.ok(verifySignedBy(certificate.raw, new X509Certificate(authority.certificatePem).raw));
  assert.is(nodeName(nodeTwo.certificatePem), 'n2');
});

test('a tampered certificate fails verifySignedBy', () => {
  const der = Buffer.from(new X509Certificate(nodeOne.certificatePem).raw);
  // The SANs sit inside the signed part: rename the node, as a forger would.
  const markerOffset = der.indexOf(Buffer.from('cairn-node://n1'));
  assert.ok(markerOffset > 0);
  der[markerOffset + 'cairn-node://n'.length] = '9'.charCodeAt(0);
  assert.is(nodeName(der), 'n9', 'the tampered certificate still parses');
  assert.not.ok(verifySignedBy(der, authority.certificatePem));
});

/** Builds certificates the create functions never make, for the planted checks. */
async function forge(options: {
  usages: string[];
  names: { type: 'dns' | 'url' | 'ip'; value: string }[];
  commonName?: string;
}): Promise<string> {
  const x509 = await loadX509Library();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const issuer = new x509.X509Certificate(authority.certificatePem);
  const body = authority.privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, '');
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    Buffer.from(body, 'base64'),
    algorithm,
    false,
    ['sign'],
  );
  const extensions: X509Library.Extension[] = [new x509.ExtendedKeyUsageExtension(options.usages)];
  if (options.names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.names));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=${options.commonName ?? 'forged'}`,
    issuer: issuer.subjectName,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: algorithm,
    extensions,
  });
  return certificate.toString('pem');
}

test('planted: the node marker counts only with both usages, once, and well-formed', async () => {
  const both = [extendedKeyUsageServerAuth, extendedKeyUsageClientAuth];
  const marker = { type: 'url' as const, value: 'cairn-node://n1' };
  assert.ok(isNodeCertificate(await forge({ usages: both, names: [marker] }), 'n1'));
  const clientOnly = await forge({ usages: [extendedKeyUsageClientAuth], names: [marker] });
  assert.not.ok(isNodeCertificate(clientOnly));
  assert.is(certificateUser(clientOnly), null, 'a marked certificate is no client either');
  const serverOnly = await forge({ usages: [extendedKeyUsageServerAuth], names: [marker] });
  assert.not.ok(isNodeCertificate(serverOnly));
  const twice = await forge({
    usages: both,
    names: [marker, { type: 'url', value: 'cairn-node://n2' }],
  });
  assert.not.ok(isNodeCertificate(twice), 'two node names are ambiguous');
  const badName = await forge({
    usages: both,
    names: [{ type: 'url', value: 'cairn-node://a%2Fb' }],
  });
  assert.not.ok(isNodeCertificate(badName), 'a decoded name outside the node name rules');
  const unmarked = await forge({ usages: both, names: [{ type: 'dns', value: 'n1' }] });
  assert.not.ok(isNodeCertificate(unmarked));
  assert.is(certificateKind(unmarked), 'other');
});

test('planted: a DNS name ", URI:cairn-node://n1" does not smuggle in a marker', async () => {
  const both = [extendedKeyUsageServerAuth, extendedKeyUsageClientAuth];
  const smuggler = await forge({
    usages: both,
    names: [{ type: 'dns', value: 'evil, URI:cairn-node://n1' }],
  });
  assert.not.ok(isNodeCertificate(smuggler));
  const names = inspect(smuggler).subjectAlternativeNames;
  assert.equal(names, [{ type: 'dns', value: 'evil, URI:cairn-node://n1' }]);
});

test('planted: a client certificate needs exactly one well-formed common name', async () => {
  const usages = [extendedKeyUsageClientAuth];
  assert.is(certificateUser(await forge({ usages, names: [], commonName: 'bob' })), 'bob');
  assert.is(certificateUser(await forge({ usages, names: [], commonName: 'bob, CN=root' })), null);
  const both = [extendedKeyUsageServerAuth, extendedKeyUsageClientAuth];
  assert.is(certificateUser(await forge({ usages: both, names: [], commonName: 'bob' })), null);
});

test('subject alternative names are split outside quotes only', () => {
  assert.equal(parseSubjectAlternativeNames(undefined), []);
  assert.equal(parseSubjectAlternativeNames('DNS:a, IP Address:1.2.3.4, URI:cairn-node://n1'), [
    { type: 'dns', value: 'a' },
    { type: 'ip', value: '1.2.3.4' },
    { type: 'uri', value: 'cairn-node://n1' },
  ]);
  assert.equal(parseSubjectAlternativeNames('DNS:"a, URI:x", email:"q\\"r"'), [
    { type: 'dns', value: 'a, URI:x' },
    { type: 'email', value: 'q"r' },
  ]);
  assert.equal(parseSubjectAlternativeNames('othername:<unsupported>'), [
    { type: 'other', value: 'othername:<unsupported>' },
  ]);
});

test('bad requests are refused with CAIRN_ERR_INVALID_ARGUMENT', async () => {
  const invalid = 'CAIRN_ERR_INVALID_ARGUMENT';
  await expectError(
    createNodeCertificate(authority, { name: 'n 1', hosts: ['a'], validDays: 1 }),
    invalid,
  );
  await expectError(
    createNodeCertificate(authority, { name: 'n1', hosts: [], validDays: 1 }),
    invalid,
  );
  await expectError(
    createNodeCertificate(authority, { name: 'n1', hosts: ['bad_host!'], validDays: 1 }),
    invalid,
  );
  await expectError(
    createNodeCertificate(authority, { name: 'x'.repeat(65), hosts: ['a'], validDays: 1 }),
    invalid,
  );
  await expectError(createClientCertificate(authority, { user: 'a/b', validDays: 1 }), invalid);
  await expectError(createClientCertificate(authority, { user: 'alice', validDays: 0 }), invalid);
  await expectError(createCertificateAuthority({ validDays: 1.5 }), invalid);
  const outliving = await expectError(
    createClientCertificate(authority, { user: 'alice', validDays: 31 }),
    invalid,
  );
  assert.match(outliving, /would outlive the CA/);
  const mixed = {
    certificatePem: authority.certificatePem,
    privateKeyPem: otherAuthority.privateKeyPem,
  };
  const mismatch = await expectError(
    createClientCertificate(mixed, { user: 'alice', validDays: 1 }),
    invalid,
  );
  assert.match(mismatch, /does not belong to the CA/);
  const notAuthority = { certificatePem: alice.certificatePem, privateKeyPem: alice.privateKeyPem };
  await expectError(() => checkCertificateAuthority(notAuthority), invalid);
  await expectError(() => inspect(alice.privateKeyPem), invalid);
  await expectError(() => inspect('not a certificate'), invalid);
});

test('hosts: one SAN each, a wildcard only as the whole first label', async () => {
  const made = await createNodeCertificate(authority, {
    name: 'n3',
    hosts: ['*.cairn.example', 'N3.cairn.example', 'n3.cairn.example', '10.0.0.3'],
    validDays: 1,
  });
  const names = inspect(made.certificatePem).subjectAlternativeNames.map((name) => name.value);
  assert.equal(names, ['*.cairn.example', 'n3.cairn.example', '10.0.0.3', 'cairn-node://n3']);
  for (const host of ['*.example', 'a.*.example', '300.1.1.1', '10.0.0', '-a.example', 'a..b']) {
    await expectError(
      createNodeCertificate(authority, { name: 'n3', hosts: [host], validDays: 1 }),
      'CAIRN_ERR_INVALID_ARGUMENT',
    );
  }
});

test('expiry: inspect reports it, and an expired CA signs nothing', async () => {
  const day = 24 * 3600 * 1000;
  const past = new Date(Date.now() - 40 * day);
  const oldAuthority = await createCertificateAuthority({ validDays: 30, now: past });
  const summary = inspect(oldAuthority.certificatePem);
  assert.is(summary.expired, true);
  assert.is(
    summary.notAfter,
    new Date(past.getTime() + 30 * day).toISOString().replace(/\.\d+Z$/, '.000Z'),
  );
  const message = await expectError(
    createClientCertificate(oldAuthority, { user: 'alice', validDays: 1 }),
    'CAIRN_ERR_INVALID_ARGUMENT',
  );
  assert.match(message, /the CA expired on/);
  const oldClient = await createClientCertificate(oldAuthority, {
    user: 'alice',
    validDays: 5,
    now: past,
  });
  assert.is(inspect(oldClient.certificatePem).expired, true);
  assert.is(inspect(alice.certificatePem).expired, false);
});

test('tls.checkServerIdentity accepts the SANs of a node certificate and nothing else', () => {
  const legacy = new X509Certificate(nodeOne.certificatePem).toLegacyObject();
  assert.is(tls.checkServerIdentity('127.0.0.1', legacy), undefined);
  assert.is(tls.checkServerIdentity('localhost', legacy), undefined);
  assert.is(tls.checkServerIdentity('::1', legacy), undefined);
  assert.instance(tls.checkServerIdentity('127.0.0.2', legacy), Error);
  assert.instance(tls.checkServerIdentity('n1', legacy), Error); // the marker is no host name
  assert.instance(tls.checkServerIdentity('example.com', legacy), Error);
});

// ---------------------------------------------------------------------------------
// Real handshakes.

interface Peer {
  readonly nodeName: string | null;
  readonly user: string | null;
  readonly authorizationError?: string;
}

async function startServer(serverCertificate: CertificateAndKey, rejectUnauthorized = true) {
  const peers: Peer[] = [];
  const server = tls.createServer(
    {
      cert: serverCertificate.certificatePem,
      key: serverCertificate.privateKeyPem,
      ca: authority.certificatePem,
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized,
    },
    (socket) => {
      const peer = socket.getPeerX509Certificate();
      assert.ok(peer !== undefined);
      if (socket.authorized) peers.push({ nodeName: nodeName(peer), user: certificateUser(peer) });
      else {
        const authorizationError = String(socket.authorizationError);
        peers.push({ nodeName: nodeName(peer), user: certificateUser(peer), authorizationError });
      }
      socket.end('hello\n');
    },
  );
  server.on('tlsClientError', () => {}); // refused handshakes are the point of some tests
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, peers, close };
}

type Outcome = { ok: true; reply: string; protocol: string | null } | { ok: false; error: string };

/** Connects and waits for the server's greeting, an error, or the deadline. */
function connect(
  port: number,
  clientCertificate: CertificateAndKey | undefined,
  options: { host?: string; ca?: string; servername?: string } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: options.host ?? '127.0.0.1',
      port,
      ca: options.ca ?? authority.certificatePem,
      minVersion: 'TLSv1.3',
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      ...(clientCertificate === undefined
        ? {}
        : { cert: clientCertificate.certificatePem, key: clientCertificate.privateKeyPem }),
    });
    let reply = '';
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve(outcome);
    };
    const deadline = setTimeout(() => finish({ ok: false, error: 'deadline' }), 10_000);
    socket.on('data', (data: Buffer) => {
      reply += data.toString('utf8');
      if (reply.endsWith('\n')) {
        finish({ ok: true, reply, protocol: socket.getProtocol() });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, error: error.code ?? error.message }),
    );
    socket.on('close', () => finish({ ok: false, error: 'closed without a reply' }));
  });
}

test('TLS 1.3 with mutual TLS: a client and a node certificate of the CA get through', async () => {
  const server = await startServer(nodeOne);
  try {
    const asAlice = await connect(server.port, alice);
    assert.equal(asAlice, { ok: true, reply: 'hello\n', protocol: 'TLSv1.3' });
    const asNode = await connect(server.port, nodeTwo, { servername: 'localhost' });
    assert.equal(asNode, { ok: true, reply: 'hello\n', protocol: 'TLSv1.3' });
    // What the peer port will see: a user for the client, a node name for the node.
    assert.equal(server.peers, [
      { nodeName: null, user: 'alice' },
      { nodeName: 'n2', user: null },
    ]);
  } finally {
    await server.close();
  }
});

test('TLS: a client certificate of another CA, or none, is refused', async () => {
  const server = await startServer(nodeOne);
  try {
    const foreign = await connect(server.port, mallory);
    assert.is(foreign.ok, false, JSON.stringify(foreign));
    const foreignNode = await connect(server.port, nodeOfOtherAuthority);
    assert.is(foreignNode.ok, false, JSON.stringify(foreignNode));
    const anonymous = await connect(server.port, undefined);
    assert.equal(anonymous, { ok: false, error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    assert.equal(server.peers, [], 'no refused peer reached the connection handler');
    // The server still serves a good client after refusing the others.
    assert.is((await connect(server.port, alice)).ok, true);
  } finally {
    await server.close();
  }
  // Why the server refused: the chain does not lead to its CA (seen with rejection off).
  const lenient = await startServer(nodeOne, false);
  try {
    assert.is((await connect(lenient.port, mallory)).ok, true);
    assert.equal(lenient.peers, [
      { nodeName: null, user: 'root', authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    ]);
  } finally {
    await lenient.close();
  }
});

test('TLS: the client refuses a server whose SANs do not name the address it dialed', async () => {
  const elsewhere = await createNodeCertificate(authority, {
    name: 'n4',
    hosts: ['127.0.0.2', 'n4.cairn.example'],
    validDays: 1,
  });
  const server = await startServer(elsewhere);
  try {
    const outcome = await connect(server.port, alice);
    assert.equal(outcome, { ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const byName = await connect(server.port, alice, { servername: 'n4.cairn.example' });
    assert.is(byName.ok, true, 'the DNS SAN matches the server name asked for');
    const otherCa = await connect(server.port, alice, { ca: otherAuthority.certificatePem });
    assert.is(otherCa.ok, false, 'a server of another CA is refused by the client');
  } finally {
    await server.close();
  }
});

test('TLS: a client certificate cannot serve (OpenSSL checks the serverAuth usage)', async () => {
  const server = await startServer(alice);
  try {
    const outcome = await connect(server.port, nodeTwo, { servername: 'alice' });
    assert.equal(outcome, { ok: false, error: 'INVALID_PURPOSE' });
  } finally {
    await server.close();
  }
});

test.run();
