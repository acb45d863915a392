// The meta group's state machine on the node's LMDB state store: normal entries are
// meta commands (src/meta), confChange entries update the Raft configuration kept in
// the same store, so a snapshot of the store carries both (its index, term and the
// configuration at that index).

import type { ConfState, Entry, Snapshot } from '../raft/index.js';
import { applyConfChange, decodeConfChange } from '../raft/index.js';
import {
  applyEntryData,
  type MetaEntry,
  type MetaReader,
  type MetaTransaction,
} from '../meta/index.js';
import type {
  AppliedStateStore as StateStore,
  StateWriter,
} from '../storage/applied-state-store.js';
import { assert } from '../util/assert.js';
import { CairnError } from '../util/errors.js';
import { limits } from '../util/limits.js';
import type { AppliedStateMachine } from './raft-driver.js';

/** Outside the meta key families (src/meta/keys.ts), so the two never collide. */
const raftConfigurationKey = 'z/raft-configuration';
const snapshotBytesMax = limits.requestPeerSnapshotBodyBytesMax - 64 * 1024;

export class MetaStateMachine implements AppliedStateMachine {
  constructor(private readonly store: StateStore) {}

  async apply(entries: readonly Entry[]): Promise<Map<number, unknown>> {
    const results = new Map<number, unknown>();
    await this.store.applyBatch(entries, (entry, writer) => {
      const transaction = metaTransactionOver(writer);
      if (entry.type === 'confChange') {
        const next = applyConfChange(readConfState(transaction), decodeConfChange(entry.data));
        transaction.put(raftConfigurationKey, new TextEncoder().encode(JSON.stringify(next)));
        return;
      }
      if (entry.data.length === 0) return; // a new leader's empty entry
      results.set(entry.index, applyEntryData(entry.data, entry.index, transaction));
    });
    return results;
  }

  async installSnapshot(snapshot: Snapshot): Promise<void> {
    const identity = await this.store.installSnapshot(
      singlePiece(snapshot.data),
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

  /** The whole state at the applied index, as one snapshot payload. */
  async capture(): Promise<{
    index: number;
    term: number;
    confState: ConfState;
    data: Uint8Array;
  }> {
    const { identity, pieces } = this.store.createSnapshot();
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const piece of pieces) {
      total += piece.length;
      if (total > snapshotBytesMax)
        throw new CairnError(
          'CAIRN_ERR_LIMIT_EXCEEDED',
          `the meta state exceeds ${snapshotBytesMax} bytes; snapshots of this size are not supported yet`,
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

  confState(): ConfState {
    return readConfState(this.reader());
  }

  reader(): MetaReader {
    return metaReaderOver(this.store);
  }
}

function readConfState(reader: MetaReader): ConfState {
  const bytes = reader.get(raftConfigurationKey);
  if (bytes === undefined) return { voters: [], learners: [] };
  return JSON.parse(new TextDecoder().decode(bytes)) as ConfState;
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

function metaReaderOver(store: StateStore): MetaReader {
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
