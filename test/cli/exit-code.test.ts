// A command that reports its own failure by setting process.exitCode (cairn scrub and
// cairn repair after printing their report) must end the process with that code: the
// entry point used to overwrite it with 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';

const entryUrl = new URL('../../bin/run.js', import.meta.url).href;

test('an exit code set during a command is the code main returns', async () => {
  const before = process.exitCode;
  try {
    process.exitCode = 1; // as scrub does when a node could not refetch a bad copy
    assert.is(await main(['limits', '--json'], entryUrl), 1);
    process.exitCode = undefined;
    assert.is(await main(['limits', '--json'], entryUrl), 0);
  } finally {
    process.exitCode = before;
  }
});

test.run();
