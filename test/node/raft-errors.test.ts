// The Raft core's own refusals reach callers as cairn errors with stable codes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { callRaft } from '../../src/node/raft-errors.js';
import { RaftError } from '../../src/raft/index.js';
import { CairnError } from '../../src/util/errors.js';

test('a RaftError becomes INVALID_ARGUMENT (exit 2) with its reason; others pass through', () => {
  let caught: unknown;
  try {
    callRaft(() => {
      throw new RaftError('transferee-not-voter', 'x is not a voter');
    });
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, CairnError);
  const error = caught as CairnError;
  assert.is(error.code, 'CAIRN_ERR_INVALID_ARGUMENT');
  assert.is(error.exitCode, 2);
  assert.is(error.message, 'x is not a voter');
  assert.is(error.details['reason'], 'transferee-not-voter');
  const other = new CairnError('CAIRN_ERR_NOT_LEADER', 'no');
  assert.throws(
    () =>
      callRaft(() => {
        throw other;
      }),
    (thrown: unknown) => thrown === other,
  );
  assert.is(
    callRaft(() => 7),
    7,
  );
});

test.run();
