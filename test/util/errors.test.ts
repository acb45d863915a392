// The error table (src/util/errors.ts) is total and is what the server, the client
// and the CLI all derive from: a code missing from it, a status the client reads back
// as another code, or an exit code off the contract fails here.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEndpoint } from '../../src/client/endpoints.js';
import {
  errorFromResponse,
  isRetryableServerError,
  serverErrorOutcome,
} from '../../src/client/response-errors.js';
import { errorReport } from '../../src/cli/error-report.js';
import { statusForError } from '../../src/server/http-helpers.js';
import {
  CairnError,
  codeForStatus,
  errorCodes,
  errorRow,
  errorTable,
  InvalidArgumentError,
  isErrorCode,
  UsageError,
  wireCode,
} from '../../src/util/errors.js';

const root = new URL('../..', import.meta.url).pathname;
const filesMax = 2000;

/** Every .ts file under the folders, found without recursion. */
function sourceFiles(folders: readonly string[]): string[] {
  const pending = folders.map((folder) => join(root, folder));
  const files: string[] = [];
  for (let step = 0; pending.length > 0; step++) {
    assert.ok(step < filesMax, 'the source tree is bounded');
    const path = pending.pop() as string;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) pending.push(join(path, name));
    } else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

// Codes that name no error of the table: the CLI's report of a silent exit, of an
// oclif failure, and the assertion failure (a bug in cairn, never sent as itself).
const reportOnlyCodes = new Set(['CAIRN_ERR_EXIT', 'CAIRN_ERR_FAILED', 'CAIRN_ERR_ASSERTION']);

test('every code the source names has a row in the table', () => {
  const missing = new Set<string>();
  for (const file of sourceFiles(['src', 'commands'])) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/'(CAIRN_ERR_[A-Z_]+)'/g)) {
      const code = match[1] as string;
      if (!isErrorCode(code) && !reportOnlyCodes.has(code)) missing.add(`${code} (${file})`);
    }
  }
  assert.equal([...missing], []);
  assert.ok(errorCodes.length >= 21, 'the codes of the first wave are all there');
});

test('every row is well formed; a status has at most one default code', () => {
  const defaults = new Map<number, string>();
  for (const code of errorCodes) {
    const row = errorRow(code);
    assert.ok(row.status >= 400 && row.status < 600, `${code}: an error status`);
    assert.ok(row.exitCode === 1 || row.exitCode === 2, `${code}: exit 1 or 2`);
    assert.ok(['failed', 'unknown', 'none'].includes(row.outcome), `${code}: outcome`);
    if (row.statusDefault !== true) continue;
    assert.is(defaults.get(row.status), undefined, `${code}: second default for ${row.status}`);
    defaults.set(row.status, code);
  }
  assert.ok(defaults.has(400) && defaults.has(500), 'the classes 4xx and 5xx have a default');
});

const endpoint = parseEndpoint('10.0.0.1:7001');

test('server status and client mapping round-trip for every code', () => {
  for (const code of errorCodes) {
    const sent = new CairnError(code, `a ${code}`, { details: { key: 'k' } });
    const status = statusForError(sent);
    assert.is(status, errorTable[code].status, code);
    const body = JSON.stringify({
      error: { code: wireCode(sent.code), message: sent.message, details: sent.details },
    });
    const received = errorFromResponse(status, body, endpoint);
    assert.is(received.code, code);
    assert.is(received.message, sent.message);
    assert.is(received.details['key'], 'k');
    assert.is(isRetryableServerError(received), errorTable[code].retryable, code);
    const outcome = errorTable[code].outcome === 'failed' ? 'failed' : 'unknown';
    assert.is(serverErrorOutcome(received), outcome, code);
    assert.is(errorReport(received).exitCode, errorTable[code].exitCode, code);
  }
});

test('a status without a known code maps to its default code, else its class default', () => {
  for (const code of errorCodes) {
    const row = errorRow(code);
    if (row.statusDefault === true) assert.is(codeForStatus(row.status), code);
  }
  const unknownCode = JSON.stringify({ error: { code: 'FROM_A_NEWER_SERVER', message: 'x' } });
  assert.is(errorFromResponse(421, unknownCode, endpoint).code, 'CAIRN_ERR_NOT_LEADER');
  assert.is(codeForStatus(403), 'CAIRN_ERR_PERMISSION_DENIED');
  assert.is(codeForStatus(401), 'CAIRN_ERR_UNAUTHENTICATED');
  assert.is(codeForStatus(405), 'CAIRN_ERR_INVALID_ARGUMENT');
  assert.is(codeForStatus(418), 'CAIRN_ERR_INVALID_ARGUMENT');
  assert.is(codeForStatus(502), 'CAIRN_ERR_INTERNAL');
  assert.is(codeForStatus(500), 'CAIRN_ERR_INTERNAL');
  assert.is(codeForStatus(302), 'CAIRN_ERR_BAD_RESPONSE');
});

test('exit codes follow the contract: 2 exactly for the caller-input errors (400)', () => {
  for (const code of errorCodes) {
    const row = errorRow(code);
    assert.is(row.exitCode === 2, row.status === 400, `${code}: exit ${row.exitCode}`);
    if (row.retryable) assert.is(row.exitCode, 1, `${code}: a retryable error is no usage error`);
  }
  // INVALID_ARGUMENT exits 2 however it is raised.
  assert.is(new CairnError('CAIRN_ERR_INVALID_ARGUMENT', 'x').exitCode, 2);
  assert.is(new InvalidArgumentError('x').exitCode, 2);
  assert.is(new UsageError('x').exitCode, 2);
  assert.is(errorReport(new CairnError('CAIRN_ERR_INVALID_KEY', 'x')).exitCode, 2);
  assert.is(errorReport(new CairnError('CAIRN_ERR_NOT_FOUND', 'x')).exitCode, 1);
});

test('a CairnError refuses a code outside the table', () => {
  assert.throws(() => new CairnError('CAIRN_ERR_MADE_UP' as never, 'x'), /error code of the table/);
});

test.run();
