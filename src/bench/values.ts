// Object bodies for benchmarks. Chunks are content-addressed, so two objects with the
// same bytes would share chunks and hide the cost of writing them: every body gets a
// distinct 24-byte stamp (the run's seed, its sequence number and piece index) at the start of each
// 1 MiB piece. The rest is seeded pseudo-random bytes (incompressible), generated once.

import { Readable } from 'node:stream';
import { assert, assertInteger } from '../util/assert.js';
import { limits } from '../util/limits.js';
import { Prng } from '../util/prng.js';

export const valuePieceBytes = 1024 * 1024;
const stampBytes = 24;

export type BenchBody = Uint8Array | (() => Readable);

export class ValueSource {
  private readonly block: Buffer;

  constructor(private readonly seed: number) {
    assertInteger(seed, 'value seed', 0, 0xffff_ffff);
    const prng = new Prng(seed);
    this.block = Buffer.allocUnsafe(valuePieceBytes);
    for (let offset = 0; offset < valuePieceBytes; offset += 4)
      this.block.writeUInt32LE(prng.nextUint32(), offset);
  }

  /** Piece `pieceIndex` of body `sequence`: `bytes` long (at most one piece), stamped. */
  piece(sequence: number, pieceIndex: number, bytes: number): Buffer {
    assertInteger(bytes, 'piece bytes', 0, valuePieceBytes);
    const piece = Buffer.allocUnsafe(bytes);
    this.block.copy(piece, 0, 0, bytes);
    const stamp = Buffer.allocUnsafe(stampBytes);
    stamp.writeDoubleLE(this.seed, 0);
    stamp.writeDoubleLE(sequence, 8);
    stamp.writeDoubleLE(pieceIndex, 16);
    stamp.copy(piece, 0, 0, Math.min(stampBytes, bytes));
    return piece;
  }

  /**
   * A body of `sizeBytes`: bytes in memory up to one piece, a replayable stream factory
   * above (never the whole object in memory, whatever its size).
   */
  body(sizeBytes: number, sequence: number): BenchBody {
    assertInteger(sizeBytes, 'body size', 0, limits.benchValueBytesMax);
    if (sizeBytes <= valuePieceBytes) return this.piece(sequence, 0, sizeBytes);
    return () => Readable.from(this.pieces(sizeBytes, sequence), { objectMode: false });
  }

  private *pieces(sizeBytes: number, sequence: number): Generator<Buffer> {
    const pieceCount = Math.ceil(sizeBytes / valuePieceBytes);
    for (let pieceIndex = 0; pieceIndex < pieceCount; pieceIndex++) {
      const bytes = Math.min(valuePieceBytes, sizeBytes - pieceIndex * valuePieceBytes);
      assert(bytes > 0, 'a piece is never empty');
      yield this.piece(sequence, pieceIndex, bytes);
    }
  }
}
