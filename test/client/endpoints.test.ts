import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEndpoint, parseEndpoints } from '../../src/client/endpoints.js';
import { CairnError } from '../../src/util/errors.js';
import { limits } from '../../src/util/limits.js';

const valid: readonly [text: string, names: readonly string[]][] = [
  ['127.0.0.1:7001', ['127.0.0.1:7001']],
  ['http://127.0.0.1:7001', ['127.0.0.1:7001']],
  ['http://127.0.0.1:7001/', ['127.0.0.1:7001']],
  ['HTTP://Node-1.Example.com:80', ['node-1.example.com:80']],
  ['localhost:1', ['localhost:1']],
  ['[::1]:7001', ['[::1]:7001']],
  ['a:1,b:2,c:3', ['a:1', 'b:2', 'c:3']],
  [' a:1 , b:2 ', ['a:1', 'b:2']],
  ['a:1,b:2,', ['a:1', 'b:2']], // a trailing comma from a script is forgiven
  ['a:1,http://a:1,A:1,b:65535', ['a:1', 'b:65535']], // duplicates removed, first kept
];

test('parseEndpoints accepts host:port and http://host:port lists', () => {
  for (const [text, names] of valid) {
    assert.equal(
      parseEndpoints(text).map((endpoint) => endpoint.name),
      names,
      text,
    );
  }
});

test('parseEndpoint keeps an https scheme in the origin, not in the name', () => {
  const endpoint = parseEndpoint('https://10.0.0.5:7001');
  assert.is(endpoint.origin, 'https://10.0.0.5:7001');
  assert.is(endpoint.name, '10.0.0.5:7001');
});

test('parseEndpoint gives name, origin, host and port', () => {
  const endpoint = parseEndpoint('http://10.0.0.5:7001');
  assert.equal(endpoint, {
    host: '10.0.0.5',
    port: 7001,
    name: '10.0.0.5:7001',
    origin: 'http://10.0.0.5:7001',
  });
});

const invalid: readonly [text: string, mentions: string][] = [
  ['a', 'port is missing'],
  ['http://a', 'port is missing'],
  ['a:0', 'not in 1..65535'],
  ['a:65536', 'not in 1..65535'],
  ['a:99999999', 'not of the form'],
  ['ftp://a:1', 'scheme "ftp"'],
  ['a:1/path', 'not of the form'],
  ['a:1?x=1', 'not of the form'],
  ['user@a:1', 'not of the form'],
  ['a b:1', 'not of the form'],
  ['-a:1', 'not a valid host'],
  ['a..b:1', 'not a valid host'],
  ['1.2.3:1', 'not a valid host'],
  ['1.2.3.256:1', 'not a valid host'],
  ['a:1,b', 'invalid endpoint "b"'],
  [':1', 'not of the form'],
];

test('parseEndpoints rejects junk with an InvalidArgumentError naming the item', () => {
  for (const [text, mentions] of invalid) {
    try {
      parseEndpoints(text);
      assert.unreachable(`${text} was accepted`);
    } catch (error) {
      assert.instance(error, CairnError, text);
      assert.is((error as CairnError).code, 'CAIRN_ERR_INVALID_ARGUMENT', text);
      assert.is((error as CairnError).exitCode, 2, text);
      assert.ok(
        (error as CairnError).message.includes(mentions),
        `${text}: ${(error as CairnError).message}`,
      );
    }
  }
});

test('an empty endpoint list tells the user about --endpoints and CAIRN_ENDPOINTS', () => {
  for (const text of [undefined, '', '   ', ',', ' , ,']) {
    try {
      parseEndpoints(text);
      assert.unreachable(`${String(text)} was accepted`);
    } catch (error) {
      assert.is((error as CairnError).code, 'CAIRN_ERR_INVALID_ARGUMENT');
      assert.match((error as CairnError).message, /--endpoints/);
      assert.match((error as CairnError).message, /CAIRN_ENDPOINTS/);
    }
  }
});

test('the endpoint count is bounded', () => {
  const many = Array.from(
    { length: limits.clientEndpointsMax + 1 },
    (_, index) => `h${index}:1`,
  ).join(',');
  assert.throws(() => parseEndpoints(many), /clientEndpointsMax/);
  const enough = Array.from(
    { length: limits.clientEndpointsMax },
    (_, index) => `h${index}:1`,
  ).join(',');
  assert.is(parseEndpoints(enough).length, limits.clientEndpointsMax);
});

test.run();
