// The Raft core refuses with its own RaftError (a reason, no cairn code): the node
// turns it into the cairn error a caller sees where it calls the core.

import { isRaftError, type RaftErrorReason } from '../raft/index.js';
import { CairnError, type ErrorCode } from '../util/errors.js';

const codeByReason: Readonly<Record<RaftErrorReason, ErrorCode>> = {
  'conf-change-invalid': 'CAIRN_ERR_INVALID_ARGUMENT',
  'removes-leader': 'CAIRN_ERR_INVALID_ARGUMENT',
  'transferee-not-voter': 'CAIRN_ERR_INVALID_ARGUMENT',
};

/** Runs a call into the Raft core, rethrowing a RaftError as a CairnError. */
export function callRaft<Result>(call: () => Result): Result {
  try {
    return call();
  } catch (error) {
    if (!isRaftError(error)) throw error;
    throw new CairnError(codeByReason[error.reason], error.message, {
      details: { reason: error.reason },
      cause: error,
    });
  }
}
