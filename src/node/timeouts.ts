// A bounded wait on a promise: CAIRN_ERR_TIMEOUT with outcome unknown when it runs out.

import { CairnError } from '../util/errors.js';

export function withTimeout<T>(
  promise: Promise<T>,
  milliseconds: number,
  message: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new CairnError('CAIRN_ERR_TIMEOUT', message, { details: { outcome: 'unknown' } })),
      milliseconds,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How long a membership change waits for the one before it to be applied. */
const pendingChangeWaitMillisecondsMax = 5_000;
const pendingChangePollMilliseconds = 50;

/**
 * Runs `propose` again while the Raft core refuses it because an earlier membership
 * change is committed but not yet applied on this leader (a short, transient window:
 * the meta state may already show the change while the core's applied index catches up).
 */
export async function whileChangePending<T>(propose: () => Promise<T>): Promise<T> {
  const attemptsMax = pendingChangeWaitMillisecondsMax / pendingChangePollMilliseconds;
  for (let attempt = 1; ; attempt++) {
    try {
      return await propose();
    } catch (error) {
      const pending =
        error instanceof CairnError &&
        error.code === 'CAIRN_ERR_CONFLICT' &&
        error.details['pendingIndex'] !== undefined;
      if (!pending || attempt >= attemptsMax) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pendingChangePollMilliseconds));
  }
}
