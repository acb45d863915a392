// put and get between files (or stdin/stdout) and the cluster: streamed end to end,
// a progress line on a terminal, and the SHA-256 of what was read checked against
// what the cluster says it stored.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, statSync, unlinkSync } from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CairnClient, Consistency, ObjectMetadata } from '../client/index.js';
import { CairnError, InvalidArgumentError } from '../util/errors.js';
import { ProgressLine } from './progress.js';

export interface PutRequest {
  readonly key: string;
  readonly source: string;
  readonly ifVersion?: number;
  readonly ifAbsent?: boolean;
  readonly fence?: string;
  readonly lease?: number;
  readonly stdin?: Readable;
}

export async function putObjectFrom(
  client: CairnClient,
  request: PutRequest,
): Promise<ObjectMetadata> {
  let size: number | undefined;
  let body: Readable | (() => Readable);
  if (request.source === '-') {
    body = request.stdin ?? process.stdin;
  } else {
    try {
      const stat = statSync(request.source);
      if (!stat.isFile()) throw new InvalidArgumentError(`${request.source} is not a regular file`);
      size = stat.size;
    } catch (error) {
      if (error instanceof CairnError) throw error;
      throw new InvalidArgumentError(
        `cannot read ${request.source}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    const path = request.source;
    body = () => createReadStream(path);
  }
  const progress = new ProgressLine({
    label: `put ${request.key}`,
    unit: 'bytes',
    ...(size === undefined ? {} : { total: size }),
  });
  let reported = 0;
  try {
    return await client.putObject(request.key, body, {
      ...(size === undefined ? {} : { size }),
      ...(request.ifVersion === undefined ? {} : { ifVersion: request.ifVersion }),
      ...(request.ifAbsent === true ? { ifAbsent: true } : {}),
      ...(request.fence === undefined ? {} : { fence: request.fence }),
      ...(request.lease === undefined ? {} : { lease: request.lease }),
      onProgress: (bytesSent) => {
        if (bytesSent < reported) reported = 0; // a retry starts again
        progress.advance(bytesSent - reported);
        reported = bytesSent;
      },
    });
  } finally {
    progress.finish();
  }
}

export interface GetResult extends ObjectMetadata {
  readonly destination: string;
}

/** Streams the object to `destination` ('-' for stdout), verifying its SHA-256. A file appears whole or not at all. */
export async function getObjectTo(
  client: CairnClient,
  key: string,
  destination: string,
  consistency: Consistency,
  stdout: Writable = process.stdout,
  progressStream: NodeJS.WriteStream = process.stderr,
): Promise<GetResult> {
  // Verified here (and the file renamed into place only then), so the client need not hash too.
  const { metadata, body } = await client.getObject(key, { consistency, verify: false });
  const hash = createHash('sha256');
  // A body written to the terminal shares the screen with the bar: the two would mix
  // on one line, so the bar is drawn only when the body goes elsewhere.
  const bodyToTerminal = destination === '-' && (stdout as { isTTY?: boolean }).isTTY === true;
  const progress = new ProgressLine({
    label: `get ${key}`,
    unit: 'bytes',
    total: metadata.size,
    stream: progressStream,
    ...(bodyToTerminal ? { enabled: false } : {}),
  });
  let received = 0;
  const verify = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      progress.advance(chunk.length);
      callback(null, chunk);
    },
    flush(callback) {
      const sha256 = hash.digest('hex');
      if (received !== metadata.size || sha256 !== metadata.sha256) {
        callback(
          new CairnError(
            'CAIRN_ERR_CORRUPTION',
            `received ${received} bytes hashing to ${sha256}, but the object is ${metadata.size} bytes with SHA-256 ${metadata.sha256}`,
          ),
        );
        return;
      }
      callback();
    },
  });
  const partial = `${destination}.cairn-partial`;
  try {
    if (destination === '-') {
      await pipeline(body, verify, stdout, { end: false });
    } else {
      await pipeline(body, verify, createWriteStream(partial));
      renameSync(partial, destination);
    }
  } catch (error) {
    if (destination !== '-') safeUnlink(partial);
    throw error;
  } finally {
    progress.finish();
  }
  return { ...metadata, destination };
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // nothing to remove
  }
}
