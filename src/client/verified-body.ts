// End-to-end integrity of a GET: the bytes are hashed as they stream past, and the
// stream fails with CAIRN_ERR_CORRUPTION at its end if the SHA-256 or the length
// differs from what the response headers promised. Chunks pass through uncopied.

import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { CorruptionError } from '../util/errors.js';
import { assert } from '../util/assert.js';
import type { ObjectMetadata } from './messages.js';

export function verifiedBody(
  body: Readable,
  metadata: ObjectMetadata,
  endpointName: string,
): Readable {
  const hash = createHash('sha256');
  let bytes = 0;
  const verifier = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      hash.update(chunk);
      bytes += chunk.byteLength;
      callback(null, chunk);
    },
    flush(callback: TransformCallback): void {
      const sha256 = hash.digest('hex');
      if (bytes !== metadata.size || sha256 !== metadata.sha256) {
        callback(
          new CorruptionError(
            `object ${JSON.stringify(metadata.key)} from ${endpointName} does not match its metadata: ` +
              `${bytes} bytes with SHA-256 ${sha256}, expected ${metadata.size} bytes with ${metadata.sha256}`,
            {
              key: metadata.key,
              endpoint: endpointName,
              expectedSha256: metadata.sha256,
              actualSha256: sha256,
              actualBytes: bytes,
            },
          ),
        );
        return;
      }
      callback();
    },
  });
  // Errors of the response (connection lost, body timeout) reach the caller through the verifier.
  body.on('error', (error) => verifier.destroy(error));
  verifier.on('close', () => {
    if (!body.destroyed && !body.readableEnded) body.destroy(); // the caller gave up early: free the connection
  });
  body.pipe(verifier);
  assert(verifier.readable, 'the verifier is readable');
  return verifier;
}
