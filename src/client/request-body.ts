// The body of a PUT, handed to undici one attempt at a time.
//
// Replay rule (API.md): a Uint8Array or a stream factory (() => Readable) can be
// sent again on a retry; a Readable can be sent again only if no byte of it has been
// read yet. That is why the Readable is never given to undici directly (undici would
// destroy it on a failed attempt) nor iterated with for-await (breaking out of
// for-await destroys it too): a pump reads it chunk by chunk, only when undici asks,
// and detaches without touching the stream when the attempt ends.

import { Readable } from 'node:stream';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';

export type ObjectBody = Uint8Array | Readable | (() => Readable);

export class RequestBody {
  private stream: Readable | undefined;
  private streamBytesTaken = 0;
  private pump: StreamPump | undefined;
  private attemptBytesSent = 0;
  /** An error raised by the caller's stream (not by the network), if any. */
  sourceError: unknown = undefined;
  // Listens for the whole put: a stream that fails between two reads must not crash
  // the process with an unhandled 'error' event.
  private readonly recordStreamError = (error: unknown): void => {
    if (this.sourceError === undefined) this.sourceError = error;
  };

  constructor(
    private readonly source: ObjectBody,
    private readonly onProgress: ((bytesSent: number) => void) | undefined,
  ) {
    assert(
      source instanceof Uint8Array || source instanceof Readable || typeof source === 'function',
      'body type',
    );
    if (source instanceof Readable) {
      this.stream = source;
      source.on('error', this.recordStreamError);
    }
  }

  /** The size in bytes when the body itself knows it. */
  get knownSize(): number | undefined {
    return this.source instanceof Uint8Array ? this.source.byteLength : undefined;
  }

  canReplay(): boolean {
    if (this.source instanceof Uint8Array || typeof this.source === 'function')
      return this.sourceError === undefined;
    const stream = this.source;
    return (
      this.streamBytesTaken === 0 &&
      this.sourceError === undefined &&
      !stream.destroyed &&
      !stream.readableEnded
    );
  }

  /** The body for one attempt; the previous attempt must have ended. */
  startAttempt(): Uint8Array | AsyncIterable<Uint8Array> {
    assert(this.pump === undefined, 'the previous attempt ended');
    assert(this.canReplay(), 'the body can be (re)sent');
    this.attemptBytesSent = 0;
    const onChunk = (bytes: number): void => this.countChunk(bytes);
    if (this.source instanceof Uint8Array) {
      return this.onProgress === undefined ? this.source : sliceBytes(this.source, onChunk);
    }
    if (typeof this.source === 'function') {
      this.stream?.destroy(); // the stream of the previous attempt, ours to close
      this.streamBytesTaken = 0;
      this.stream = this.source();
      assert(this.stream instanceof Readable, 'the body factory returns a Readable');
      this.stream.on('error', this.recordStreamError);
    }
    assert(this.stream !== undefined, 'a stream to send');
    const pump = new StreamPump(this.stream, onChunk, (error) => {
      this.sourceError = error;
    });
    this.pump = pump;
    return { [Symbol.asyncIterator]: () => pump };
  }

  endAttempt(): void {
    this.pump?.detach();
    this.pump = undefined;
  }

  /** Releases a stream this body opened itself (from a factory). The caller's own Readable is left alone. */
  dispose(): void {
    this.endAttempt();
    if (typeof this.source === 'function') this.stream?.destroy();
    // A stream that failed under us keeps the listener: its error was reported through
    // the put, and the 'error' event that Node emits a tick later must not crash the process.
    else if (this.source instanceof Readable && this.source.errored === null)
      this.source.off('error', this.recordStreamError);
  }

  private countChunk(bytes: number): void {
    this.streamBytesTaken += bytes;
    this.attemptBytesSent += bytes;
    this.onProgress?.(this.attemptBytesSent);
  }
}

async function* sliceBytes(
  bytes: Uint8Array,
  onChunk: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += limits.clientBodySliceBytes) {
    const slice = bytes.subarray(offset, offset + limits.clientBodySliceBytes);
    onChunk(slice.byteLength);
    yield slice;
  }
}

const done: IteratorReturnResult<undefined> = { value: undefined, done: true };

/** Reads a Readable in paused mode, one chunk per next(), and can let go of it at any time. */
class StreamPump implements AsyncIterator<Uint8Array, undefined> {
  private detached = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly stream: Readable,
    private readonly onChunk: (bytes: number) => void,
    private readonly onSourceError: (error: unknown) => void,
  ) {}

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    for (let wakeups = 0; wakeups <= limits.clientBodyEmptyWakeupsMax; wakeups++) {
      if (this.detached) return done;
      const stream = this.stream;
      if (stream.errored !== null) throw this.sourceFailed(stream.errored);
      const chunk: unknown = stream.read();
      if (chunk !== null) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (!(bytes instanceof Uint8Array))
          throw this.sourceFailed(new TypeError('the body stream yielded a non-byte chunk'));
        this.onChunk(bytes.byteLength);
        return { value: bytes, done: false };
      }
      if (stream.readableEnded) return done;
      if (stream.destroyed)
        throw this.sourceFailed(new Error('the body stream was destroyed before its end'));
      await this.nextEvent();
    }
    throw this.sourceFailed(
      new Error(`the body stream woke up ${limits.clientBodyEmptyWakeupsMax} times without data`),
    );
  }

  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    this.detach();
    return done;
  }

  detach(): void {
    this.detached = true;
    this.wake?.();
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      const stream = this.stream;
      const settle = (): void => {
        stream.off('readable', settle).off('end', settle).off('error', settle).off('close', settle);
        this.wake = undefined;
        resolve();
      };
      this.wake = settle;
      stream.on('readable', settle).on('end', settle).on('error', settle).on('close', settle);
    });
  }

  private sourceFailed(error: unknown): CairnError {
    this.onSourceError(error);
    const message = error instanceof Error ? error.message : String(error);
    return new CairnError('CAIRN_ERR_IO', `reading the request body failed: ${message}`, {
      cause: error,
    });
  }
}
