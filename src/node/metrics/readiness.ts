// Liveness and readiness (issue 13), in the style of Kubernetes' /livez and /readyz:
// named checks, each ok or failed with a reason; `?verbose` lists every check, and a
// failing one is named in the 503 answer. Liveness fails only when the node stopped
// after a fatal error (a restart is the cure); readiness fails while the node cannot
// serve linearizable requests or take writes (no leader, no quorum, disk low, chunk
// store not writable), which a load balancer should route around.

import { assert } from '../../util/assert.js';

export interface ReadinessSource {
  /** Why the node stopped serving after a storage failure; undefined while it runs. */
  fatalError(): string | undefined;
  inCluster(): boolean;
  hasLeader(): boolean;
  /** Resolves when a quorum confirmed a read (a ReadIndex round); rejects otherwise. */
  linearizableRead(timeoutMilliseconds: number): Promise<void>;
  diskFreeBytes(): number;
  diskReserveBytes(): number;
  /** Writes, syncs and removes a probe file in the chunk store. */
  probeChunkStore(): Promise<void>;
  /** Why the Raft loop is stalled (a full disk), or undefined while it persists. */
  persistingStalled?(): string | undefined;
}

export interface CheckOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly checks: readonly CheckOutcome[];
}

const readCheckTimeoutMilliseconds = 2_000;
const probeTimeoutMilliseconds = 2_000;

export function liveness(source: ReadinessSource): HealthReport {
  const fatal = source.fatalError();
  const checks = [
    {
      name: 'storage',
      ok: fatal === undefined,
      detail: fatal === undefined ? 'ok' : `stopped after a storage failure: ${fatal}`,
    },
  ];
  return { ok: checks.every((check) => check.ok), checks };
}

export async function readiness(source: ReadinessSource): Promise<HealthReport> {
  const checks: CheckOutcome[] = [...liveness(source).checks];
  const inCluster = source.inCluster();
  checks.push({
    name: 'cluster',
    ok: inCluster,
    detail: inCluster ? 'ok' : 'belongs to no cluster yet (run cairn bootstrap or cairn join)',
  });
  const hasLeader = inCluster && source.hasLeader();
  checks.push({
    name: 'has-leader',
    ok: hasLeader,
    detail: hasLeader ? 'ok' : 'no leader known (an election may be running)',
  });
  checks.push(
    hasLeader
      ? await timed('linearizable-read', readCheckTimeoutMilliseconds, () =>
          source.linearizableRead(readCheckTimeoutMilliseconds),
        )
      : { name: 'linearizable-read', ok: false, detail: 'skipped: no leader' },
  );
  const free = source.diskFreeBytes();
  const reserve = source.diskReserveBytes();
  assert(free >= 0 && reserve >= 0, 'disk figures are not negative');
  checks.push({
    name: 'disk-space',
    ok: free >= reserve,
    detail: free >= reserve ? 'ok' : `${free} bytes free, below the reserve of ${reserve}`,
  });
  const stalled = source.persistingStalled?.();
  checks.push({
    name: 'log-persisting',
    ok: stalled === undefined,
    detail: stalled === undefined ? 'ok' : `the log cannot be persisted: ${stalled}`,
  });
  checks.push(
    await timed('chunk-store-writable', probeTimeoutMilliseconds, () => source.probeChunkStore()),
  );
  return { ok: checks.every((check) => check.ok), checks };
}

async function timed(
  name: string,
  timeoutMilliseconds: number,
  check: () => Promise<void>,
): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMilliseconds} ms`)),
      timeoutMilliseconds,
    );
  });
  try {
    await Promise.race([check(), timeout]);
    return { name, ok: true, detail: 'ok' };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The text answer: Kubernetes' format, `[+]name ok` / `[-]name failed: why`. */
export function renderHealth(report: HealthReport, verbose: boolean, what: string): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    if (check.ok && !verbose) continue;
    lines.push(check.ok ? `[+]${check.name} ok` : `[-]${check.name} failed: ${check.detail}`);
  }
  lines.push(report.ok ? `${what} check passed` : `${what} check failed`);
  return `${lines.join('\n')}\n`;
}
