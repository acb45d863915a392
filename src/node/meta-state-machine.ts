// The meta group's state machine on the node's LMDB state store: normal entries are
// meta commands (src/meta), confChange entries update the Raft configuration kept in
// the same store, so a snapshot of the store carries both (its index, term and the
// configuration at that index).
//
// A conf change may carry a meta command as its context (the member record of a join,
// the role of a promotion, the removal of a member): the configuration and the meta
// state change in the one transaction of that entry, so no crash or leader change can
// leave one without the other. Raft's core applies a conf change whenever Raft's rules
// allow it, so the context follows the same rule here: applied when the change is,
// skipped (result `rejected`) when the change does not fit the configuration.

import type { ConfChange, ConfState, Entry, Snapshot } from '../raft/index.js';
import { applyConfChange, confChangeProblem, decodeConfChange } from '../raft/index.js';
import {
  applyEntryDataReporting,
  type MetaChange,
  type MetaEntry,
  type MetaReader,
  type MetaResult,
  type MetaTransaction,
  type RetentionPolicy,
} from '../meta/index.js';
import type {
  AppliedStateStore as StateStore,
  StateWriter,
} from '../storage/applied-state-store.js';
import type { SnapshotFiles } from '../storage/snapshot-files.js';
import { decodeSnapshotReference, encodeSnapshotReference } from '../storage/snapshot-reference.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { AppliedStateMachine } from './raft-driver.js';
import { testHistoryRetention } from './test-hooks.js';

/** Outside the meta key families (src/meta/keys.ts), so the two never collide. */
const raftConfigurationKey = 'z/raft-configuration';
/** Without snapshot files (the simulator) a snapshot is held in memory, up to this size. */
const inlineSnapshotBytesMax = limits.raftSnapshotInMemoryBytesMax;

export interface MetaStateMachineOptions {
  /**
   * Called with the changes of each applied entry that changed meta state, in index
   * order, once the batch is written (the feed of a later watch).
   */
  readonly onChanges?: (index: number, changes: readonly MetaChange[]) => void;
  /**
   * Where snapshots are written and read, in pieces of `pieceBytes`: a snapshot is then
   * a file, and the Raft snapshot only references it (snapshot-reference.ts). Without
   * it (the simulator) a snapshot's state is held in memory.
   */
  readonly snapshots?: { readonly files: SnapshotFiles; readonly pieceBytes: number };
  /** How much history apply keeps (default: the limits', or CAIRN_TEST_HISTORY_REVISIONS). */
  readonly retention?: RetentionPolicy;
}

/** A snapshot begun at one applied index; `save` writes it (while writes go on). */
export interface BegunCapture {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
  /** Writes the snapshot file; resolves with the Raft snapshot data (the reference). */
  save(): Promise<Uint8Array>;
}

export class MetaStateMachine implements AppliedStateMachine {
  private readonly retention: RetentionPolicy | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly options: MetaStateMachineOptions = {},
  ) {
    this.retention = options.retention ?? testHistoryRetention();
  }

  private applyOptions(): { retention?: RetentionPolicy } {
    return this.retention === undefined ? {} : { retention: this.retention };
  }

  /** Applies committed entries; the result of each meta command (a normal entry or a conf change's context) by index. */
  async apply(entries: readonly Entry[]): Promise<Map<number, unknown>> {
    const results = new Map<number, unknown>();
    const changed: { index: number; changes: readonly MetaChange[] }[] = [];
    await this.store.applyBatch(entries, (entry, writer) => {
      const transaction = metaTransactionOver(writer);
      const applied =
        entry.type === 'confChange'
          ? applyConfChangeEntry(entry, transaction, this.retention)
          : entry.data.length === 0
            ? undefined // a new leader's empty entry
            : applyEntryDataReporting(entry.data, entry.index, transaction, this.applyOptions());
      if (applied === undefined) return;
      results.set(entry.index, applied.result);
      if (applied.changes.length > 0)
        changed.push({ index: entry.index, changes: applied.changes });
    });
    const { onChanges } = this.options;
    if (onChanges !== undefined)
      for (const { index, changes } of changed) onChanges(index, changes);
    return results;
  }

  async installSnapshot(snapshot: Snapshot): Promise<void> {
    const reference = decodeSnapshotReference(snapshot.data);
    const { snapshots } = this.options;
    let pieces: AsyncIterable<Uint8Array> = singlePiece(snapshot.data);
    if (reference !== null) {
      // The peer server steps a snapshot message only once its file arrived whole.
      assert(snapshots !== undefined, 'a snapshot reference needs snapshot files');
      pieces = snapshots.files.read(snapshots.files.pathOf(reference), snapshots.pieceBytes);
    }
    const identity = await this.store.installSnapshot(
      pieces,
      `snapshot ${snapshot.metadata.index}`,
    );
    assert(
      identity.index === snapshot.metadata.index,
      'the snapshot stream holds the state at its index',
    );
  }

  /** Records the founding configuration as the state at index 1 (bootstrap). */
  async writeFoundingState(confState: ConfState): Promise<void> {
    await this.store.applyBatch([{ index: 1, term: 1 }], (_entry, writer) => {
      writer.put(raftConfigurationKey, new TextEncoder().encode(JSON.stringify(confState)));
    });
    await this.store.flush();
  }

  /** Makes every applied entry durable; call before deleting Raft log entries. */
  async flush(): Promise<void> {
    await this.store.flush();
  }

  /**
   * Opens a consistent read of the state at the applied index now (call it while no
   * batch is being applied); the returned `save` streams it to a snapshot file in
   * pieces, and may run while later batches are applied.
   */
  beginCapture(): BegunCapture {
    const { snapshots } = this.options;
    assert(snapshots !== undefined, 'a streamed capture needs snapshot files');
    const { identity, pieces } = this.store.createSnapshot(snapshots.pieceBytes);
    const confState = this.confState();
    const save = async (): Promise<Uint8Array> => {
      const saved = await snapshots.files.save(boundedPieces(pieces, snapshots.pieceBytes));
      return encodeSnapshotReference(saved.reference);
    };
    return { index: identity.index, term: identity.term, confState, save };
  }

  /** The state at the applied index as a snapshot: a file reference, or inline bytes. */
  async capture(): Promise<{
    index: number;
    term: number;
    confState: ConfState;
    data: Uint8Array;
  }> {
    const { snapshots } = this.options;
    if (snapshots !== undefined) {
      // At a restart the newest file often is the state at the applied index already.
      const latest = await snapshots.files.latest();
      const index = this.store.appliedIndex();
      if (latest !== null && latest.identity.index === index) {
        const reference = await snapshots.files.describe(latest.path);
        if (reference.term === this.store.appliedTerm())
          return {
            index,
            term: reference.term,
            confState: this.confState(),
            data: encodeSnapshotReference(reference),
          };
      }
      const begun = this.beginCapture();
      const data = await begun.save();
      return { index: begun.index, term: begun.term, confState: begun.confState, data };
    }
    const { identity, pieces } = this.store.createSnapshot();
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const piece of pieces) {
      total += piece.length;
      if (total > inlineSnapshotBytesMax)
        throw new CairnError(
          'CAIRN_ERR_LIMIT_EXCEEDED',
          `the meta state exceeds ${inlineSnapshotBytesMax} bytes, too large for a snapshot in memory`,
        );
      parts.push(piece);
    }
    return {
      index: identity.index,
      term: identity.term,
      confState: this.confState(),
      data: Buffer.concat(parts, total),
    };
  }

  /** The meta state at one applied index, held until `close` (writes go on beside it). */
  openReadView(): { reader: MetaReader; appliedIndex: number; close(): void } {
    const openView = this.store.openReadView?.bind(this.store);
    if (openView === undefined)
      throw new CairnError('CAIRN_ERR_UNAVAILABLE', 'this state store has no consistent read view');
    const view = openView();
    return {
      reader: metaReaderOver(view),
      appliedIndex: view.appliedIndex,
      close: () => view.close(),
    };
  }

  confState(): ConfState {
    return readConfState(this.reader());
  }

  reader(): MetaReader {
    return metaReaderOver(this.store);
  }
}

/**
 * The configuration change of one entry and, in the same transaction, its context (a
 * meta command); the context's result, or undefined when the change carries none.
 */
function applyConfChangeEntry(
  entry: Entry,
  transaction: MetaTransaction,
  retention: RetentionPolicy | undefined,
): { result: MetaResult; changes: readonly MetaChange[] } | undefined {
  const change: ConfChange = decodeConfChange(entry.data);
  const before = readConfState(transaction);
  // The same rule as the core's (applyConfChange leaves an invalid change out).
  const problem = confChangeProblem(before, change);
  if (problem === null) {
    const next = applyConfChange(before, change);
    transaction.put(raftConfigurationKey, new TextEncoder().encode(JSON.stringify(next)));
  }
  if (change.context === undefined) return undefined;
  if (problem !== null) {
    const message = `the membership change does not apply: ${problem}`;
    return { result: { type: 'rejected', message }, changes: [] };
  }
  const confChange = { type: change.type, nodeId: change.nodeId };
  return applyEntryDataReporting(change.context, entry.index, transaction, {
    confChange,
    ...(retention === undefined ? {} : { retention }),
  });
}

function readConfState(reader: MetaReader): ConfState {
  const bytes = reader.get(raftConfigurationKey);
  if (bytes === undefined) return { voters: [], learners: [] };
  return JSON.parse(new TextDecoder().decode(bytes)) as ConfState;
}

/** The pieces as produced, each asserted within the piece limit (the memory bound). */
async function* boundedPieces(
  pieces: AsyncIterable<Uint8Array>,
  pieceBytes: number,
): AsyncGenerator<Uint8Array> {
  for await (const piece of pieces) {
    assert(piece.length <= pieceBytes, `a snapshot piece holds at most ${pieceBytes} bytes`);
    yield piece;
  }
}

async function* singlePiece(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function rangeInPages(
  range: (
    prefix: string,
    options: { after?: string; limit: number },
  ) => { key: string; value: Uint8Array }[],
  prefix: string,
  after: string | undefined,
  limit: number,
): MetaEntry[] {
  const result: MetaEntry[] = [];
  let cursor = after;
  for (let page = 0; result.length < limit && page < 1_000_000; page++) {
    const size = Math.min(limits.listPageKeysMax, limit - result.length);
    const entries = range(prefix, {
      ...(cursor === undefined ? {} : { after: cursor }),
      limit: size,
    });
    result.push(...entries);
    if (entries.length < size) break;
    cursor = (entries[entries.length - 1] as MetaEntry).key;
  }
  return result;
}

function metaReaderOver(store: Pick<StateStore, 'get' | 'rangeByPrefix'>): MetaReader {
  return {
    get: (key) => store.get(key),
    rangeEntries: (prefix, after, limit) =>
      rangeInPages((p, o) => store.rangeByPrefix(p, o), prefix, after, limit),
  };
}

function metaTransactionOver(writer: StateWriter): MetaTransaction {
  return {
    get: (key) => writer.get(key),
    put: (key, value) => writer.put(key, value),
    delete: (key) => void writer.delete(key),
    rangeEntries: (prefix, after, limit) =>
      rangeInPages((p, o) => writer.rangeByPrefix(p, o), prefix, after, limit),
  };
}
