import { existsSync } from 'node:fs';
import { defaultRetentionPolicy, type RetentionPolicy } from '../meta/index.js';

// Test-only switches, read from the environment once at start. They exist so that
// `cairn chaos` and the tests can (1) route peer traffic through fault-injecting
// proxies and (2) plant a known bug that the chaos checker must catch. Never set them
// in production: CAIRN_TEST_INJECT_BUG makes the node incorrect on purpose.

import { limits } from '../util/limits.js';

export type InjectedBug =
  /** Linearizable reads skip the ReadIndex barrier (stale reads from followers or a deposed leader). */
  | 'stale-reads'
  /** A chunked put commits its manifest after storing only the first replica of each chunk. */
  | 'early-put-ack'
  /** Every chunk waits for all R home nodes (no write quorum): availability must drop. */
  | 'wait-all-copies'
  /** Fenced puts and deletes apply without checking that their token still holds the lock. */
  | 'fence-unchecked';

export interface TestHooks {
  /** Peer id -> HOST:PORT to use instead of the peer's advertised peer address. */
  readonly peerRoutes: ReadonlyMap<string, string>;
  readonly injectedBug: InjectedBug | undefined;
  /** Bytes per snapshot piece (CAIRN_TEST_SNAPSHOT_PIECE_BYTES): small, to test streaming. */
  readonly snapshotPieceBytes: number;
  /**
   * CAIRN_TEST_HOLD_PUT_COMMIT=<file>: a chunked put of a key under `hold/` stores its
   * chunks, forgets they are in flight, then waits (bounded) until the file exists before it
   * proposes its manifest, so a test can run the garbage collector in between and have it
   * take them (test/cluster/garbage.test.ts).
   */
  readonly holdPutCommitUntilFile: string | undefined;
}

const knownBugs: readonly InjectedBug[] = [
  'stale-reads',
  'early-put-ack',
  'wait-all-copies',
  'fence-unchecked',
];

export function readTestHooks(environment: NodeJS.ProcessEnv = process.env): TestHooks {
  const routesText = environment['CAIRN_TEST_PEER_ROUTES'];
  const routes = new Map<string, string>();
  if (routesText !== undefined && routesText !== '') {
    const parsed = JSON.parse(routesText) as Record<string, unknown>;
    for (const [peer, address] of Object.entries(parsed))
      if (typeof address === 'string') routes.set(peer, address);
  }
  const bugText = environment['CAIRN_TEST_INJECT_BUG'];
  const injectedBug = knownBugs.find((bug) => bug === bugText);
  if (bugText !== undefined && bugText !== '' && injectedBug === undefined) {
    throw new Error(
      `CAIRN_TEST_INJECT_BUG must be one of ${knownBugs.join(', ')}, got "${bugText}"`,
    );
  }
  const pieceText = environment['CAIRN_TEST_SNAPSHOT_PIECE_BYTES'];
  const snapshotPieceBytes =
    pieceText === undefined || pieceText === ''
      ? limits.raftSnapshotPieceBytesMax
      : Number(pieceText);
  if (
    !Number.isSafeInteger(snapshotPieceBytes) ||
    snapshotPieceBytes < 64 ||
    snapshotPieceBytes > limits.raftSnapshotPieceBytesMax
  )
    throw new Error(
      `CAIRN_TEST_SNAPSHOT_PIECE_BYTES must be an integer in [64, ${limits.raftSnapshotPieceBytesMax}]`,
    );
  const hold = environment['CAIRN_TEST_HOLD_PUT_COMMIT'];
  return {
    peerRoutes: routes,
    injectedBug,
    snapshotPieceBytes,
    holdPutCommitUntilFile: hold === undefined || hold === '' ? undefined : hold,
  };
}

const heldPutKeyPrefix = 'hold/';
const holdPollMilliseconds = 20;
const holdMillisecondsMax = 120_000;

/** The wait of CAIRN_TEST_HOLD_PUT_COMMIT: until `file` exists, at most holdMillisecondsMax. */
export async function holdPutCommit(file: string, key: string): Promise<void> {
  if (!key.startsWith(heldPutKeyPrefix)) return;
  for (let waited = 0; waited < holdMillisecondsMax; waited += holdPollMilliseconds) {
    if (existsSync(file)) return;
    await new Promise((resolve) => setTimeout(resolve, holdPollMilliseconds));
  }
}

/**
 * CAIRN_TEST_HISTORY_REVISIONS: the retained history keeps this many revisions instead of
 * historyRetentionRevisionsDefault, so a test sees replaced manifests' chunks become
 * garbage without writing 10,000 revisions first. Every node of a test cluster gets the
 * same environment, so apply stays deterministic across the group.
 */
export function testHistoryRetention(
  environment: NodeJS.ProcessEnv = process.env,
): RetentionPolicy | undefined {
  const text = environment['CAIRN_TEST_HISTORY_REVISIONS'];
  if (text === undefined || text === '') return undefined;
  const revisionsMax = Number(text);
  if (!Number.isSafeInteger(revisionsMax) || revisionsMax < 1)
    throw new Error(`CAIRN_TEST_HISTORY_REVISIONS must be a positive integer, got "${text}"`);
  return { ...defaultRetentionPolicy, revisionsMax };
}
