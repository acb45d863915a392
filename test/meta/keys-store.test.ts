import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compareUtf8,
  fixedWidthHex,
  InvalidKeyError,
  objectKeyProblem,
  parseFixedWidthHex,
  validateObjectKey,
} from '../../src/meta/keys.js';
import { MemoryMetaStore } from '../../src/meta/store.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { Prng } from '../../src/util/prng.js';
import { randomKey } from './helpers.js';

// [key, problem pattern or undefined when valid]
const keyCases: readonly [string, RegExp | undefined][] = [
  ['a', undefined],
  ['a/b/c', undefined],
  ['/', undefined],
  ['日本語/😀', undefined],
  ['x'.repeat(1024), undefined],
  ['é'.repeat(512), undefined], // 1024 bytes
  ['😀'.repeat(256), undefined], // 1024 bytes
  ['', /must not be empty/],
  ['x'.repeat(1025), /at most 1024 bytes/],
  [`${'é'.repeat(512)}a`, /at most 1024 bytes/],
  [`${'😀'.repeat(256)}a`, /at most 1024 bytes/],
  ['a\u0000', /NUL \(at character 1\)/],
  ['\ud83d', /lone surrogate at character 0/],
  ['a\ude00b', /lone surrogate at character 1/],
];

for (const [key, problem] of keyCases) {
  test(`key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 10)}...(${key.length})` : key)} is ${problem ? 'refused' : 'valid'}`, () => {
    if (problem === undefined) {
      assert.is(objectKeyProblem(key), undefined);
      validateObjectKey(key);
      return;
    }
    assert.match(objectKeyProblem(key) ?? '', problem);
    try {
      validateObjectKey(key);
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, InvalidKeyError);
      assert.instance(error, InvalidArgumentError);
      assert.is((error as InvalidKeyError).code, 'CAIRN_ERR_INVALID_KEY');
      assert.is((error as InvalidKeyError).exitCode, 2);
    }
  });
}

test('compareUtf8 orders exactly like the UTF-8 bytes (including astral vs U+FFFF)', () => {
  const prng = new Prng(3);
  for (let round = 0; round < 5000; round++) {
    const left = randomKey(prng, 4);
    const right = prng.chance(0.2) ? left : randomKey(prng, 4);
    const expected = Math.sign(
      Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8')),
    );
    assert.is(
      Math.sign(compareUtf8(left, right)),
      expected,
      `${JSON.stringify(left)} vs ${JSON.stringify(right)}`,
    );
  }
  // The case plain `<` gets wrong: U+FFFF (ef bf bf) sorts before U+1F600 (f0 9f 98 80).
  assert.ok('\uffff' > '😀');
  assert.ok(compareUtf8('\uffff', '😀') < 0);
});

test('fixed-width hex keeps numeric order as string order', () => {
  const values = [0, 1, 15, 16, 255, 4096, 2 ** 32, Number.MAX_SAFE_INTEGER];
  for (let index = 1; index < values.length; index++) {
    assert.ok(fixedWidthHex(values[index - 1] as number) < fixedWidthHex(values[index] as number));
  }
  for (const value of values) assert.is(parseFixedWidthHex(fixedWidthHex(value)), value);
  assert.is(parseFixedWidthHex('12'), undefined);
  assert.is(parseFixedWidthHex('000000000000000g'), undefined);
});

for (const blockKeysMax of [2, 4, 512]) {
  test(`MemoryMetaStore (blocks of ${blockKeysMax}) ranges agree with a naive model under random puts and deletes`, () => {
    const prng = new Prng(5);
    const store = new MemoryMetaStore(blockKeysMax);
    const model = new Map<string, Uint8Array>();
    const prefixes = ['', 'a', 'a/', 'é', '😀', 'z'];
    for (let round = 0; round < 3000; round++) {
      const key = randomKey(prng, 3);
      if (prng.chance(0.3)) {
        store.delete(key);
        model.delete(key);
      } else {
        const value = new Uint8Array([round & 0xff]);
        store.put(key, value);
        model.set(key, value);
      }
      if (round % 50 !== 0) continue;
      const prefix = prng.pick(prefixes);
      const after = prng.chance(0.5) ? randomKey(prng, 3) : undefined;
      const limit = prng.nextIntegerInclusive(0, 40);
      const expected = [...model.keys()]
        .filter(
          (candidate) =>
            candidate.startsWith(prefix) &&
            (after === undefined || compareUtf8(candidate, after) > 0),
        )
        .sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right)))
        .slice(0, limit);
      const actual = store.rangeEntries(prefix, after, limit);
      assert.equal(
        actual.map((entry) => entry.key),
        expected,
        `round ${round} prefix ${prefix} after ${String(after)}`,
      );
      for (const entry of actual) assert.is(entry.value, model.get(entry.key));
      assert.is(store.size, model.size);
    }
    assert.is(
      [...store.entries(7)].length,
      model.size,
      'paging through every entry sees each once',
    );
  });
}

test.run();
