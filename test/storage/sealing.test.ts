// Sealing (encryption at rest): round trips whole and streamed, and every kind of
// tampering refused: a flipped bit anywhere, segments reordered, dropped, duplicated,
// truncated or taken from another blob, another context, a wrong key; key rotation.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Keyring,
  OpeningStream,
  SealingStream,
  openSealed,
  seal,
  sealedHeaderBytes,
  sealedLength,
  segmentOverheadBytes,
} from '../../src/storage/sealing.js';
import { CairnError, CorruptionError } from '../../src/util/errors.js';
import { bytesEqual, payloadFor } from './helpers.js';

const key1 = { id: 1, key: randomBytes(32) };
const key2 = { id: 2, key: randomBytes(32) };
const keyring = new Keyring([key1]);
const segmentBytes = 100;
const sealedSegmentBytes = segmentBytes + segmentOverheadBytes;

function sealStream(ring: Keyring, context: string, plain: Uint8Array, pieceBytes: number) {
  const sealer = new SealingStream(ring, context, segmentBytes);
  const out: Uint8Array[] = [];
  for (let at = 0; at < plain.length; at += pieceBytes)
    out.push(...sealer.push(plain.subarray(at, at + pieceBytes)));
  out.push(...sealer.finish());
  return Buffer.concat(out);
}

function openStream(ring: Keyring, context: string, sealed: Uint8Array, pieceBytes: number) {
  const opener = new OpeningStream(ring, context);
  const out: Uint8Array[] = [];
  for (let at = 0; at < sealed.length; at += pieceBytes)
    out.push(...opener.push(sealed.subarray(at, at + pieceBytes)));
  out.push(opener.finish());
  return Buffer.concat(out);
}

/** Both openers refuse: CorruptionError (or a key error for a damaged key id). */
function assertRefused(ring: Keyring, context: string, sealed: Uint8Array, why: string): void {
  for (const open of [
    () => openSealed(ring, context, sealed),
    () => openStream(ring, context, sealed, 37),
  ]) {
    try {
      open();
    } catch (error) {
      assert.ok(
        error instanceof CorruptionError ||
          (error instanceof CairnError && error.code === 'CAIRN_ERR_ENCRYPTION_KEY'),
        `${why}: ${String(error)}`,
      );
      continue;
    }
    assert.unreachable(`${why}: opened`);
  }
}

const sizes = [0, 1, 99, 100, 101, 250, 300, 1000];

test('round trip whole and streamed, in any piece sizes, for sizes around segment bounds', () => {
  for (const size of sizes) {
    const plain = payloadFor(size, size);
    const whole = seal(keyring, 'ctx', plain, segmentBytes);
    assert.is(whole.length, sealedLength(size, segmentBytes), `length of ${size}`);
    assert.ok(bytesEqual(openSealed(keyring, 'ctx', whole), plain), `whole ${size}`);
    for (const pieceBytes of [1, 7, 100, 128, 4096]) {
      const streamed = sealStream(keyring, 'ctx', plain, pieceBytes);
      assert.is(streamed.length, whole.length);
      assert.ok(bytesEqual(openSealed(keyring, 'ctx', streamed), plain), `stream ${size}`);
      assert.ok(bytesEqual(openStream(keyring, 'ctx', whole, pieceBytes), plain));
    }
  }
});

test('the same plaintext seals differently each time (random ids and nonces)', () => {
  const plain = payloadFor(3, 250);
  const a = seal(keyring, 'ctx', plain, segmentBytes);
  const b = seal(keyring, 'ctx', plain, segmentBytes);
  assert.not.ok(bytesEqual(a, b));
});

test('a flipped bit in any byte (header or any segment) is refused', () => {
  const plain = payloadFor(5, 420); // 5 segments, the last one partial
  const sealed = seal(keyring, 'ctx', plain, segmentBytes);
  for (let at = 0; at < sealed.length; at++) {
    const damaged = Uint8Array.from(sealed);
    damaged[at]! ^= 1 << (at % 8);
    assertRefused(keyring, 'ctx', damaged, `bit flipped at ${at}`);
  }
});

test('a stream gives out no plaintext of a damaged segment, nor of any after it', () => {
  const plain = payloadFor(6, 500);
  const sealed = seal(keyring, 'ctx', plain, segmentBytes);
  const damaged = Uint8Array.from(sealed);
  damaged[sealedHeaderBytes + 2 * sealedSegmentBytes + 40]! ^= 0x80; // segment 2
  const opener = new OpeningStream(keyring, 'ctx');
  const released: Uint8Array[] = [];
  assert.throws(
    () => {
      for (let at = 0; at < damaged.length; at += 50)
        released.push(...opener.push(damaged.subarray(at, at + 50)));
    },
    (error: unknown) => error instanceof CorruptionError,
  );
  assert.ok(bytesEqual(Buffer.concat(released), plain.subarray(0, 2 * segmentBytes)));
});

function segmentsOf(sealed: Uint8Array): { header: Uint8Array; segments: Uint8Array[] } {
  const segments: Uint8Array[] = [];
  for (let at = sealedHeaderBytes; at < sealed.length; at += sealedSegmentBytes)
    segments.push(sealed.subarray(at, at + sealedSegmentBytes));
  return { header: sealed.subarray(0, sealedHeaderBytes), segments };
}

test('reordered, dropped, duplicated, truncated or foreign segments are refused', () => {
  const plain = payloadFor(7, 400); // exactly 4 full segments
  const sealed = seal(keyring, 'ctx', plain, segmentBytes);
  const { header, segments } = segmentsOf(sealed);
  const [s0, s1, s2, s3] = segments as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const join = (...parts: Uint8Array[]) => Buffer.concat(parts);
  assertRefused(keyring, 'ctx', join(header, s0, s2, s1, s3), 'two segments swapped');
  assertRefused(keyring, 'ctx', join(header, s1, s0, s2, s3), 'first two swapped');
  assertRefused(keyring, 'ctx', join(header, s0, s1, s3), 'a middle segment dropped');
  assertRefused(keyring, 'ctx', join(header, s0, s1, s2), 'cut at a segment boundary');
  assertRefused(keyring, 'ctx', join(header, s0, s1, s2, s3, s3), 'last segment repeated');
  assertRefused(keyring, 'ctx', sealed.subarray(0, sealed.length - 1), 'one byte short');
  assertRefused(keyring, 'ctx', sealed.subarray(0, sealedHeaderBytes + 10), 'inside a segment');
  assertRefused(keyring, 'ctx', sealed.subarray(0, 20), 'inside the header');
  const other = segmentsOf(seal(keyring, 'ctx', payloadFor(8, 400), segmentBytes));
  assertRefused(keyring, 'ctx', join(header, s0, other.segments[1]!, s2, s3), 'foreign segment');
  assertRefused(keyring, 'ctx', join(other.header, s0, s1, s2, s3), 'foreign header');
  assertRefused(keyring, 'another context', sealed, 'another context (another key or entry)');
  // Sanity: the pieces put back in order open.
  assert.ok(bytesEqual(openSealed(keyring, 'ctx', join(header, s0, s1, s2, s3)), plain));
});

test('a wrong key with the right id is refused; an unknown key id names the missing id', () => {
  const sealed = seal(keyring, 'ctx', payloadFor(9, 150), segmentBytes);
  const impostor = new Keyring([{ id: 1, key: randomBytes(32) }]);
  assertRefused(impostor, 'ctx', sealed, 'wrong key');
  const onlyTwo = new Keyring([key2]);
  try {
    openSealed(onlyTwo, 'ctx', sealed);
    assert.unreachable('opened without its key');
  } catch (error) {
    assert.instance(error, CairnError);
    assert.is((error as CairnError).code, 'CAIRN_ERR_ENCRYPTION_KEY');
    assert.match((error as Error).message, /key id 1/);
  }
});

test('key rotation: data sealed under key 1 opens after key 2 is added; new data uses key 2', () => {
  const plain = payloadFor(10, 333);
  const old = seal(keyring, 'ctx', plain, segmentBytes);
  const rotated = new Keyring([key1, key2]);
  assert.is(rotated.currentKeyId, 2);
  assert.ok(bytesEqual(openSealed(rotated, 'ctx', old), plain));
  assert.ok(bytesEqual(openStream(rotated, 'ctx', old, 64), plain));
  const fresh = seal(rotated, 'ctx', plain, segmentBytes);
  assert.is(new DataView(fresh.buffer).getUint32(8, true), 2, 'sealed under key id 2');
  assert.ok(bytesEqual(openSealed(new Keyring([key2]), 'ctx', fresh), plain));
  assert.throws(
    () => openSealed(keyring, 'ctx', fresh),
    (error: unknown) => error instanceof CairnError,
  );
});

test('the default segment size seals a 4 MiB chunk in 64 segments', () => {
  const plain = randomBytes(4 * 1024 * 1024);
  const sealed = seal(keyring, 'chunk', plain);
  assert.is(sealed.length, sealedHeaderBytes + plain.length + 64 * segmentOverheadBytes);
  assert.ok(bytesEqual(openSealed(keyring, 'chunk', sealed), plain));
});

test.run();
