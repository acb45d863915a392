// The files `cairn serve --tls-dir` reads: a wrong one fails at start with a message
// naming the file and the cairn cert command that makes a right one.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createAuthorityFiles,
  createClientFiles,
  createNodeFiles,
} from '../../src/net/certificate-files.js';
import { readClientTls, readNodeTlsMaterial } from '../../src/net/index.js';
import { CairnError } from '../../src/util/errors.js';

const directory = mkdtempSync(join(tmpdir(), 'cairn-tls-material-'));
const other = mkdtempSync(join(tmpdir(), 'cairn-tls-material-other-'));

function failure(run: () => unknown): CairnError {
  try {
    run();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

test.before(async () => {
  const options = { validDays: 30, force: false };
  await createAuthorityFiles({ directory, ...options, validDays: 365 });
  await createNodeFiles({ directory, name: 'n1', hosts: ['127.0.0.1'], ...options });
  await createClientFiles({ directory, user: 'root', ...options });
  await createAuthorityFiles({ directory: other, ...options, validDays: 365 });
  await createNodeFiles({ directory: other, name: 'n1', hosts: ['127.0.0.1'], ...options });
});

test.after(() => {
  rmSync(directory, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

test('a node reads its CA, certificate and key from the cairn cert names', () => {
  const material = readNodeTlsMaterial(directory, 'n1');
  assert.match(material.certificate, /BEGIN CERTIFICATE/);
  assert.match(material.key, /BEGIN PRIVATE KEY/);
  assert.match(material.ca, /BEGIN CERTIFICATE/);
});

test('a missing node certificate names the file and cairn cert create-node', () => {
  const error = failure(() => readNodeTlsMaterial(directory, 'n2'));
  assert.is(error.code, 'CAIRN_ERR_NOT_FOUND');
  assert.match(error.message, /node-n2\.crt/);
  assert.match(error.message, /cairn cert create-node n2 HOST/);
});

test('a certificate of another CA, or with the wrong key, is refused at start', () => {
  const mixed = mkdtempSync(join(tmpdir(), 'cairn-tls-material-mixed-'));
  try {
    copyFileSync(join(directory, 'ca.crt'), join(mixed, 'ca.crt'));
    copyFileSync(join(other, 'node-n1.crt'), join(mixed, 'node-n1.crt'));
    copyFileSync(join(other, 'node-n1.key'), join(mixed, 'node-n1.key'));
    assert.match(failure(() => readNodeTlsMaterial(mixed, 'n1')).message, /not signed by/);
    copyFileSync(join(directory, 'node-n1.crt'), join(mixed, 'node-n1.crt'));
    assert.match(failure(() => readNodeTlsMaterial(mixed, 'n1')).message, /does not belong/);
  } finally {
    rmSync(mixed, { recursive: true, force: true });
  }
});

test('a client certificate is not a node certificate', () => {
  const mixed = mkdtempSync(join(tmpdir(), 'cairn-tls-material-client-'));
  try {
    copyFileSync(join(directory, 'ca.crt'), join(mixed, 'ca.crt'));
    copyFileSync(join(directory, 'client-root.crt'), join(mixed, 'node-n1.crt'));
    copyFileSync(join(directory, 'client-root.key'), join(mixed, 'node-n1.key'));
    const error = failure(() => readNodeTlsMaterial(mixed, 'n1'));
    assert.match(error.message, /is not the node certificate of node n1/);
  } finally {
    rmSync(mixed, { recursive: true, force: true });
  }
});

test('a client gives --cert and --key together, and they must match', () => {
  const alone = failure(() => readClientTls({ certificate: join(directory, 'client-root.crt') }));
  assert.match(alone.message, /--cert and --key go together/);
  const mismatched = failure(() =>
    readClientTls({
      certificate: join(directory, 'client-root.crt'),
      key: join(directory, 'node-n1.key'),
    }),
  );
  assert.match(mismatched.message, /does not belong/);
  const tls = readClientTls({
    ca: join(directory, 'ca.crt'),
    certificate: join(directory, 'client-root.crt'),
    key: join(directory, 'client-root.key'),
  });
  assert.ok(tls.ca !== undefined && tls.certificate !== undefined && tls.key !== undefined);
});

test.run();
