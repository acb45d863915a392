// src/net: the one place that listens and builds the URLs peers are dialled at.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CairnError } from '../../src/util/errors.js';
import { baseUrl, closeListener, createListener, listen } from '../../src/net/index.js';

test('listen reports the bound address; a taken address is a usage error naming it', async () => {
  const first = createListener((_, response) => response.end('ok'));
  const address = await listen(first, { host: '127.0.0.1', port: 0 });
  assert.match(address, /^127\.0\.0\.1:\d+$/);
  const response = await fetch(baseUrl(address));
  assert.is(await response.text(), 'ok');
  const second = createListener(() => undefined);
  const port = Number(address.split(':')[1]);
  try {
    await listen(second, { host: '127.0.0.1', port });
    assert.unreachable('the port is taken');
  } catch (error) {
    assert.is((error as CairnError).code, 'CAIRN_ERR_USAGE');
    assert.is((error as CairnError).exitCode, 2);
    assert.match((error as Error).message, `127.0.0.1:${port}: the address is in use`);
  } finally {
    await closeListener(first);
  }
});

test('baseUrl puts the scheme in front of host:port and refuses an address with one', () => {
  assert.is(baseUrl('127.0.0.1:7070'), 'http://127.0.0.1:7070');
  assert.is(baseUrl('[::1]:7070'), 'http://[::1]:7070');
  assert.throws(() => baseUrl('http://127.0.0.1:7070'));
});

test.run();
