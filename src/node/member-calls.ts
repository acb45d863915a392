// JSON calls from one node to another member's client port (admin and maintenance):
// bounded in time, errors as CAIRN_ERR_UNAVAILABLE naming the member and the call.

import { request } from 'undici';
import { CairnError } from '../util/errors.js';

export async function callMember(
  address: string,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  timeoutMilliseconds: number,
): Promise<unknown> {
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(`http://${address}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMilliseconds,
      bodyTimeout: timeoutMilliseconds,
    });
  } catch (error) {
    throw new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `node ${address} does not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = (await response.body.json()) as { error?: { code: string; message: string } };
  if (response.statusCode !== 200) {
    throw new CairnError(
      'CAIRN_ERR_UNAVAILABLE',
      `node ${address} refused ${method} ${path}: ${parsed.error?.message ?? response.statusCode}`,
      {
        details: { code: parsed.error?.code ?? null },
      },
    );
  }
  return parsed;
}
