// The chunks of puts in flight a node reports to the leader's garbage collection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InFlightChunks } from '../../src/node/in-flight-chunks.js';

test('a chunk stays reported while any put holding it is in flight', () => {
  const inFlight = new InFlightChunks();
  inFlight.add('a');
  inFlight.add('a'); // two puts of the same content
  inFlight.add('b');
  assert.equal(inFlight.report(), { chunks: ['a', 'b'], complete: true });
  inFlight.release(['a', 'b']);
  assert.equal(inFlight.report(), { chunks: ['a'], complete: true }, 'the other put holds a');
  inFlight.release(['a']);
  assert.equal(inFlight.report(), { chunks: [], complete: true });
});

test('releasing a chunk never registered is a bug', () => {
  assert.throws(() => new InFlightChunks().release(['x']));
});

test.run();
