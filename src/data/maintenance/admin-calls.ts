// What the CLI asks of the cluster for rebalance, repair, scrub, drain and gc: the
// admin calls and the bounded waits around them. Takes any JSON requester (the
// CairnClient), so src/data does not import src/client.

import { CairnError } from '../../util/errors.js';
import { routePath, routes, type RebalanceStatusView } from '../../api/index.js';

export interface JsonRequester {
  requestJson(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    options?: { readonly idempotent?: boolean },
  ): Promise<unknown>;
}

export type { RebalanceStatusView };

export function rebalanceStatus(client: JsonRequester): Promise<RebalanceStatusView> {
  return client.requestJson(
    'GET',
    routePath(routes.rebalanceStatus),
  ) as Promise<RebalanceStatusView>;
}

export function rebalancePlan(client: JsonRequester, rateBytesPerSecond: number): Promise<unknown> {
  return client.requestJson(
    'GET',
    routePath(routes.rebalancePlan, {}, { rate: rateBytesPerSecond }),
  );
}

export function configureRebalance(
  client: JsonRequester,
  action: 'start' | 'pause' | 'resume',
  settings: { rateBytesPerSecond?: number; parallel?: number },
): Promise<RebalanceStatusView> {
  const route =
    action === 'start'
      ? routes.rebalanceStart
      : action === 'pause'
        ? routes.rebalancePause
        : routes.rebalanceResume;
  const path = routePath(route);
  return client.requestJson(
    'POST',
    path,
    { ...settings, ...(action === 'start' ? { start: true } : {}) },
    { idempotent: true },
  ) as Promise<RebalanceStatusView>;
}

export interface WaitOptions {
  readonly timeoutMilliseconds: number;
  readonly intervalMilliseconds: number;
  readonly onStatus?: (status: RebalanceStatusView) => void;
}

/** Polls until the settled epoch reaches `epoch` (default: the current one at the first poll). */
export async function waitForSettled(
  client: JsonRequester,
  options: WaitOptions,
  epoch?: number,
): Promise<RebalanceStatusView> {
  const deadline = performance.now() + options.timeoutMilliseconds;
  let target = epoch;
  let last: RebalanceStatusView | undefined;
  let lastError = '';
  const attemptsMax =
    Math.ceil(options.timeoutMilliseconds / Math.max(options.intervalMilliseconds, 1)) + 2;
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    try {
      last = await rebalanceStatus(client);
      target ??= last.currentEpoch;
      options.onStatus?.(last);
      if (last.settledEpoch >= target && last.state !== 'running') return last;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error); // a leader change: poll again
    }
    if (performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMilliseconds));
  }
  const seen =
    last === undefined
      ? `no status (${lastError})`
      : `epoch ${last.currentEpoch}, settled ${last.settledEpoch}, ${last.state}, ${last.failedCount} failed copies${last.refused.length > 0 ? `, refused: ${last.refused.map((item) => `${item.memberId} (${item.reason})`).join(', ')}` : ''}`;
  throw new CairnError(
    'CAIRN_ERR_TIMEOUT',
    `the rebalance did not settle within ${options.timeoutMilliseconds} ms; last seen: ${seen}`,
  );
}

export function repairCluster(client: JsonRequester): Promise<unknown> {
  return client.requestJson('POST', routePath(routes.repair), {}, { idempotent: true });
}

/** Commits the leader's collection of unreferenced chunks (nodes delete them once applied). */
export function collectGarbage(client: JsonRequester): Promise<unknown> {
  return client.requestJson('POST', routePath(routes.collectGarbage), {}, { idempotent: true });
}

export function scrubNode(nodeClient: JsonRequester, rateBytesPerSecond: number): Promise<unknown> {
  return nodeClient.requestJson(
    'POST',
    routePath(routes.scrubNode),
    { rateBytesPerSecond },
    { idempotent: true },
  );
}

/** Marks the member draining (a new epoch without it) and waits until its data has moved. */
export async function drainMember(
  client: JsonRequester,
  id: string,
  options: WaitOptions,
): Promise<RebalanceStatusView> {
  const { epoch } = (await client.requestJson(
    'POST',
    routePath(routes.drain),
    { id },
    { idempotent: true },
  )) as { epoch: number };
  return waitForSettled(client, options, epoch);
}
