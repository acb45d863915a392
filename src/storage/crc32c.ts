// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table driven, slicing by 8.
// CRC32C rather than CRC32: better error detection for storage (used by iSCSI, ext4,
// etcd's WAL uses CRC32C too). Slicing by 8 processes 8 bytes per step, several
// times faster than one table lookup per byte, which matters for 64 KiB records.

import { assert } from '../util/assert.js';

const polynomialReflected = 0x82f63b78;
const tableCount = 8;

function buildTables(): Uint32Array {
  const tables = new Uint32Array(256 * tableCount);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomialReflected : crc >>> 1;
    tables[byte] = crc >>> 0;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = tables[byte] as number;
    for (let table = 1; table < tableCount; table++) {
      crc = ((tables[crc & 0xff] as number) ^ (crc >>> 8)) >>> 0;
      tables[table * 256 + byte] = crc;
    }
  }
  return tables;
}

const tables = buildTables();

/**
 * Continues a CRC32C over `bytes[start, end)`. Start a fresh checksum with
 * `previous = 0`; feeding the data in pieces gives the same result as all at once.
 */
export function crc32cUpdate(
  previous: number,
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  assert(start >= 0 && start <= end && end <= bytes.length, 'crc32c range inside the buffer');
  const t = tables;
  let crc = ~previous >>> 0;
  let position = start;
  const end8 = start + ((end - start) & ~7);
  while (position < end8) {
    const low =
      (crc ^
        (bytes[position]! |
          (bytes[position + 1]! << 8) |
          (bytes[position + 2]! << 16) |
          (bytes[position + 3]! << 24))) >>>
      0;
    crc =
      t[7 * 256 + (low & 0xff)]! ^
      t[6 * 256 + ((low >>> 8) & 0xff)]! ^
      t[5 * 256 + ((low >>> 16) & 0xff)]! ^
      t[4 * 256 + (low >>> 24)]! ^
      t[3 * 256 + bytes[position + 4]!]! ^
      t[2 * 256 + bytes[position + 5]!]! ^
      t[1 * 256 + bytes[position + 6]!]! ^
      t[bytes[position + 7]!]!;
    position += 8;
  }
  while (position < end) {
    crc = t[(crc ^ bytes[position]!) & 0xff]! ^ (crc >>> 8);
    position++;
  }
  return ~crc >>> 0;
}

/** CRC32C of `bytes[start, end)`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cUpdate(0, bytes, start, end);
}
