// A segmented, append-only write-ahead log of typed byte records with group commit.
//
// Files: `<directory>/segment-<16 hex digits>.wal`, sequence numbers from 1 up, no gaps.
// Each segment starts with a header record (its size and whether it is preallocated)
// and, once full, ends with a segment-end record. A new segment is written in full
// under a temporary name (header, then zeros up to its size when preallocated),
// synced, renamed and its directory synced, so a segment either exists whole or not
// at all. The next segment is prepared in the background while the current one
// fills. Rewriting a preallocated file syncs about twice as fast as appending to a
// growing one (see /work/shared/notes/machine-limits.md).
//
// Durability contract: `append` only buffers; a record is durable once a `sync()` that
// started after its `append` resolves. One sync is one write per segment touched and
// one fdatasync each: everything appended since the previous sync shares it.
// A segment is sealed and synced before the next one receives a byte, so only the
// last segment can hold a torn tail.
//
// Recovery (`Wal.open`): records are replayed in order. In the last segment, an
// invalid record with no valid record after it is a torn tail: it is zeroed and
// appends resume there. Any other invalid record (mid-log, a non-last segment
// without its end record, a preallocated segment that got shorter, a missing
// segment) throws CorruptionError with details {file, offset}. Every sync writes a
// batch-end marker after its records, so damage to any record of a synced batch is
// followed by a valid record and reported; only damage to the log's final marker
// looks like a torn write, and dropping it loses no data.

import { posix } from 'node:path';
import type { Disk, DiskFile } from './disk.js';
import { makeDirectoryDurable, toStorageError } from './disk.js';
import {
  alignedRecordBytes,
  batchEndRecordBytes,
  batchEndRecordType,
  encodeRecord,
  encodeSegmentHeaderPayload,
  segmentEndRecordBytes,
  segmentEndRecordType,
  segmentFileName,
  segmentHeaderRecordBytes,
  segmentHeaderRecordType,
  userRecordTypeMax,
  userRecordTypeMin,
} from './wal-format.js';
import { listSegments, scanSegment, type ReplayedRecord } from './wal-replay.js';
import { assert, assertInteger } from '../util/assert.js';
import { CairnError, LimitExceededError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export type { ReplayedRecord } from './wal-replay.js';

export interface WalOptions {
  /** Size of one segment file; default limits.walSegmentBytesMax. */
  readonly segmentBytes?: number;
  /** Write each new segment in full with zeros first (default true). */
  readonly preallocate?: boolean;
  /** Largest payload accepted; default limits.walRecordBytesMax. */
  readonly recordBytesMax?: number;
}

interface PendingWrite {
  readonly segment: number;
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Records this write completes (counted for group commit). */
  readonly recordCount: number;
}

const zeroFillPieceBytes = 1024 * 1024;

/** Counters for /metrics (monotonic since open). */
export interface WalStatistics {
  readonly appendedRecords: number;
  readonly syncedRecords: number;
  /** fdatasyncs of segment data (segment creation not counted). */
  readonly datasyncs: number;
  readonly bytesWritten: number;
  readonly segmentsCreated: number;
}

export class Wal {
  private file: DiskFile | null = null;
  private fileSegment = 0;
  /** Where the next record goes (it may be a segment not yet created). */
  private tailSegment: number;
  private tailOffset: number;
  /** Size of the tail segment: this.segmentBytes, or what an older tail segment was created with. */
  private tailSegmentBytes: number;
  private pending: PendingWrite[] = [];
  private appendedRecords = 0;
  private syncedRecords = 0;
  private flushing: Promise<void> | null = null;
  private datasyncCount = 0;
  private bytesWrittenCount = 0;
  private segmentsCreatedCount = 0;
  private failure: CairnError | null = null;
  private readonly segmentList: number[];
  /** The next segment being written in the background, and how that ended (null: ready). */
  private prepared: { segment: number; outcome: Promise<{ error: unknown } | null> } | null = null;

  private constructor(
    private readonly disk: Disk,
    private readonly directory: string,
    private readonly segmentBytes: number,
    private readonly preallocate: boolean,
    private readonly recordBytesMax: number,
    segments: number[],
    tail: { segment: number; offset: number; segmentBytes: number },
  ) {
    this.segmentList = segments;
    this.tailSegment = tail.segment;
    this.tailOffset = tail.offset;
    this.tailSegmentBytes = tail.segmentBytes;
  }

  /**
   * Opens (creating if needed) the WAL in `directory`, replaying every record in order
   * through `onRecord`. Throws CorruptionError {file, offset} on mid-log damage.
   */
  static async open(
    disk: Disk,
    directory: string,
    options: WalOptions,
    onRecord: (record: ReplayedRecord) => void,
  ): Promise<Wal> {
    const segmentBytes = options.segmentBytes ?? limits.walSegmentBytesMax;
    const recordBytesMax = options.recordBytesMax ?? limits.walRecordBytesMax;
    assertInteger(segmentBytes, 'segmentBytes', 4096, 0xffff_fff8);
    assert(segmentBytes % 8 === 0, 'segmentBytes is a multiple of 8');
    assert(
      alignedRecordBytes(recordBytesMax) + segmentHeaderRecordBytes + segmentEndRecordBytes <=
        segmentBytes,
      'a largest record fits one segment',
    );
    try {
      await makeDirectoryDurable(disk, directory);
      const segments = await listSegments(disk, directory);
      let tail = {
        segment: (segments.at(-1) ?? 0) + 1,
        offset: segmentHeaderRecordBytes,
        segmentBytes,
      };
      for (const [position, segment] of segments.entries()) {
        const isLast = position === segments.length - 1;
        const end = await scanSegment(disk, directory, segment, isLast, recordBytesMax, onRecord);
        // The last segment keeps the size it was created with, even if the option changed.
        if (isLast && end !== null)
          tail = { segment, offset: end.offset, segmentBytes: end.segmentBytes };
      }
      return new Wal(
        disk,
        directory,
        segmentBytes,
        options.preallocate ?? true,
        recordBytesMax,
        segments,
        tail,
      );
    } catch (error) {
      throw toStorageError(error, 'open wal', directory);
    }
  }

  /** Buffers a record; returns the segment it will land in. Durable after `sync()`. */
  append(type: number, payload: Uint8Array): number {
    this.throwIfFailed();
    assertInteger(type, 'record type', userRecordTypeMin, userRecordTypeMax);
    if (payload.length > this.recordBytesMax)
      throw new LimitExceededError(
        'walRecordBytesMax',
        this.recordBytesMax,
        payload.length,
        'bytes',
      );
    const length = alignedRecordBytes(payload.length);
    if (this.tailOffset + length + segmentEndRecordBytes > this.tailSegmentBytes)
      this.sealTailSegment();
    const bytes = new Uint8Array(length);
    encodeRecord(bytes, 0, type, this.tailSegment, payload);
    this.pushPending(bytes, 1);
    return this.tailSegment;
  }

  /** Resolves once every record appended before the call is durable (group commit). */
  async sync(): Promise<void> {
    const target = this.appendedRecords;
    // Bounded: at most the flush already running (which may not cover us) and ours.
    for (let round = 0; this.syncedRecords < target; round++) {
      this.throwIfFailed();
      assert(round < 3, 'group commit converges');
      if (this.flushing === null) {
        this.flushing = this.flushPending().finally(() => {
          this.flushing = null;
        });
      }
      await this.flushing;
    }
  }

  statistics(): WalStatistics {
    return {
      appendedRecords: this.appendedRecords,
      syncedRecords: this.syncedRecords,
      datasyncs: this.datasyncCount,
      bytesWritten: this.bytesWrittenCount,
      segmentsCreated: this.segmentsCreatedCount,
    };
  }

  /** Segment sequence numbers on disk or about to be, oldest first. */
  segments(): readonly number[] {
    return this.segmentList;
  }

  /** The segment the next record goes to. */
  currentSegment(): number {
    return this.tailSegment;
  }

  /** Deletes every segment older than `sequence` (never the one being written). */
  async removeSegmentsBefore(sequence: number): Promise<number> {
    this.throwIfFailed();
    const limit = Math.min(sequence, this.fileSegment === 0 ? this.tailSegment : this.fileSegment);
    let removed = 0;
    while (this.segmentList.length > 0 && this.segmentList[0]! < limit) {
      const segment = this.segmentList[0]!;
      const path = posix.join(this.directory, segmentFileName(segment));
      try {
        await this.disk.unlink(path);
      } catch (error) {
        throw toStorageError(error, 'remove segment', path);
      }
      this.segmentList.shift();
      removed++;
    }
    if (removed > 0)
      await this.disk.fsyncDirectory(this.directory).catch((error: unknown) => {
        throw toStorageError(error, 'sync directory', this.directory);
      });
    return removed;
  }

  async close(): Promise<void> {
    if (this.flushing !== null) await this.flushing.catch(() => undefined);
    // A prepared next segment stays as a .tmp file; the next open removes it.
    if (this.prepared !== null) await this.prepared.outcome;
    if (this.file !== null) await this.file.close().catch(() => undefined);
    this.file = null;
    this.failure ??= new CairnError('CAIRN_ERR_UNAVAILABLE', 'wal is closed');
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private pushPending(bytes: Uint8Array, recordCount: number): void {
    this.pending.push({ segment: this.tailSegment, offset: this.tailOffset, bytes, recordCount });
    this.tailOffset += bytes.length;
    this.appendedRecords += recordCount;
  }

  /** A batch-end marker (see wal-format.ts); it counts as no record. */
  private appendInternal(type: typeof batchEndRecordType): void {
    if (this.tailOffset + batchEndRecordBytes + segmentEndRecordBytes > this.tailSegmentBytes)
      this.sealTailSegment();
    const bytes = new Uint8Array(batchEndRecordBytes);
    encodeRecord(bytes, 0, type, this.tailSegment, new Uint8Array(0));
    this.pushPending(bytes, 0);
  }

  private sealTailSegment(): void {
    const bytes = new Uint8Array(segmentEndRecordBytes);
    encodeRecord(bytes, 0, segmentEndRecordType, this.tailSegment, new Uint8Array(0));
    this.pushPending(bytes, 0);
    this.tailSegment++;
    this.tailOffset = segmentHeaderRecordBytes;
    this.tailSegmentBytes = this.segmentBytes;
  }

  /** Writes pending records, one write and one fdatasync per segment touched. */
  private async flushPending(): Promise<void> {
    const last = this.pending.at(-1);
    if (last !== undefined && last.recordCount > 0) this.appendInternal(batchEndRecordType);
    const batch = this.pending;
    this.pending = [];
    let done = 0;
    try {
      while (done < batch.length) {
        const segment = batch[done]!.segment;
        let end = done;
        while (end < batch.length && batch[end]!.segment === segment) end++;
        await this.writeSegmentGroup(batch.slice(done, end));
        done = end;
      }
    } catch (error) {
      // Not written: keep for a retry by the next sync (e.g. after ENOSPC frees up).
      this.pending = batch.slice(done).concat(this.pending);
      throw toStorageError(error, 'append wal', this.directory);
    }
  }

  private async writeSegmentGroup(group: PendingWrite[]): Promise<void> {
    const segment = group[0]!.segment;
    const file = await this.fileFor(segment);
    const first = group[0]!.offset;
    const last = group[group.length - 1]!;
    const joined = new Uint8Array(last.offset + last.bytes.length - first);
    let records = 0;
    for (const write of group) {
      joined.set(write.bytes, write.offset - first);
      records += write.recordCount;
    }
    await file.write(joined, first);
    this.bytesWrittenCount += joined.length;
    try {
      this.datasyncCount++;
      await file.datasync();
    } catch (error) {
      // After a failed fdatasync the kernel may have dropped the dirty pages: nothing
      // written since the last good sync can be trusted, so the WAL stops for good.
      this.failure = toStorageError(error, 'fdatasync', file.path);
      throw this.failure;
    }
    this.syncedRecords += records;
  }

  private async fileFor(segment: number): Promise<DiskFile> {
    if (this.file !== null && this.fileSegment === segment) return this.file;
    assert(segment >= this.fileSegment, 'segments are written in order');
    if (this.file !== null) await this.file.close();
    this.file = null;
    const path = posix.join(this.directory, segmentFileName(segment));
    const exists = this.segmentList.includes(segment);
    if (!exists) await this.createSegment(segment);
    this.file = await this.disk.open(path, 'readWrite');
    this.fileSegment = segment;
    this.startPreparing(segment + 1);
    return this.file;
  }

  /**
   * Starts writing the next segment's file in the background (preallocated segments
   * only), so that rolling over does not put 64 MiB of zeros on one sync's path.
   */
  private startPreparing(segment: number): void {
    if (!this.preallocate || this.prepared !== null) return;
    const outcome = this.prepareSegment(segment).then(
      () => null,
      (error: unknown) => ({ error }),
    );
    this.prepared = { segment, outcome };
  }

  /** Makes `segment` exist: the prepared file if it is ready, else written now. */
  private async createSegment(segment: number): Promise<void> {
    const prepared = this.prepared;
    this.prepared = null;
    const ready =
      prepared !== null && prepared.segment === segment && (await prepared.outcome) === null;
    if (prepared !== null && prepared.segment !== segment) await prepared.outcome;
    // Not ready (never started, or failed, e.g. ENOSPC): write it now; this throws if it fails again.
    if (!ready) await this.prepareSegment(segment);
    const path = posix.join(this.directory, segmentFileName(segment));
    await this.disk.rename(`${path}.tmp`, path);
    await this.disk.fsyncDirectory(this.directory);
    this.segmentList.push(segment);
    this.segmentsCreatedCount++;
  }

  /** Writes the whole segment under its temporary name and syncs it. */
  private async prepareSegment(segment: number): Promise<void> {
    const temporaryPath = `${posix.join(this.directory, segmentFileName(segment))}.tmp`;
    if ((await this.disk.stat(temporaryPath)) !== null) await this.disk.unlink(temporaryPath);
    const file = await this.disk.open(temporaryPath, 'createExclusive');
    try {
      const header = new Uint8Array(segmentHeaderRecordBytes);
      encodeRecord(
        header,
        0,
        segmentHeaderRecordType,
        segment,
        encodeSegmentHeaderPayload(this.segmentBytes, this.preallocate),
      );
      await file.write(header, 0);
      if (this.preallocate) await writeZeros(file, header.length, this.segmentBytes);
      await file.datasync();
      await file.close();
    } catch (error) {
      await file.close().catch(() => undefined);
      await this.disk.unlink(temporaryPath).catch(() => undefined);
      throw error;
    }
  }
}

async function writeZeros(file: DiskFile, from: number, to: number): Promise<void> {
  const zeros = new Uint8Array(Math.min(zeroFillPieceBytes, Math.max(0, to - from)));
  for (let position = from; position < to; position += zeros.length) {
    await file.write(zeros.subarray(0, Math.min(zeros.length, to - position)), position);
  }
}
