// Waiting in tests: on a condition, with a deadline, never a fixed sleep.

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMilliseconds = 10_000, intervalMilliseconds = 10 } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMilliseconds;
  let lastError: unknown;
  for (let attempt = 0; attempt < 1_000_000; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMilliseconds));
  }
  const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMilliseconds} ms waiting for ${what}${suffix}`);
}

export function listenOn(server: import('node:http').Server, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string')
        return reject(new Error('no TCP address'));
      resolve(`${host}:${address.port}`);
    });
  });
}

export function closeServer(server: import('node:http').Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
