// What the Raft core refuses, as its own small error: a reason and a message, no
// cairn error code, status or exit code. The node maps it to a cairn code where it
// calls the core (src/node/raft-errors.ts).

export type RaftErrorReason =
  /** The membership change does not fit the current configuration. */
  | 'conf-change-invalid'
  /** A leader may not remove itself: it must transfer leadership first. */
  | 'removes-leader'
  /** A leadership transfer to a node that is not a voter. */
  | 'transferee-not-voter';

export class RaftError extends Error {
  readonly reason: RaftErrorReason;

  constructor(reason: RaftErrorReason, message: string) {
    super(message);
    this.name = 'RaftError';
    this.reason = reason;
  }
}

export function isRaftError(error: unknown): error is RaftError {
  return error instanceof RaftError;
}
