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
