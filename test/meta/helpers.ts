// Shared fixtures for the meta tests: a seeded generator of valid commands and a
// bootstrapped store.
import { createHash } from 'node:crypto';
import type {
  ManifestChunk,
  MemberSpec,
  MetaCommand,
  ObjectValue,
  WriteCondition,
} from '../../src/meta/commands.js';
import { applyCommand } from '../../src/meta/state-machine.js';
import { MemoryMetaStore } from '../../src/meta/store.js';
import { memberStates } from '../../src/placement/index.js';
import type { Prng } from '../../src/util/prng.js';

export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function member(id: string, extra: Partial<MemberSpec> = {}): MemberSpec {
  return {
    id,
    clientAddress: `127.0.0.1:${7000 + id.length}`,
    peerAddress: `127.0.0.1:${8000 + id.length}`,
    zone: 'zone-a',
    weight: 1,
    role: 'voter',
    ...extra,
  };
}

export const bootstrapThree: MetaCommand = {
  type: 'bootstrapCluster',
  clusterId: 'cluster-1',
  replicationFactor: 3,
  vnodesPerWeightUnit: 16,
  members: [member('n1'), member('n2', { zone: 'zone-b' }), member('n3', { zone: 'zone-c' })],
};

/** A store with bootstrapThree applied at index 1. */
export function bootstrappedStore(): MemoryMetaStore {
  const store = new MemoryMetaStore();
  const result = applyCommand(bootstrapThree, 1, store);
  if (result.type !== 'ok') throw new Error(`bootstrap failed: ${JSON.stringify(result)}`);
  return store;
}

export function inline(text: string): ObjectValue {
  return { kind: 'inline', bytes: new TextEncoder().encode(text) };
}

/** A manifest of `names.length` chunks named by the SHA-256 of each name, chunk size 100. */
export function manifest(names: readonly string[], lastSize = 100): ObjectValue {
  const chunks: ManifestChunk[] = names.map((name, index) => ({
    sha256: sha256Of(name),
    size: index === names.length - 1 ? lastSize : 100,
  }));
  const size = (names.length - 1) * 100 + lastSize;
  return { kind: 'manifest', size, sha256: sha256Of(names.join('+')), chunkSizeBytes: 100, chunks };
}

const keyAlphabet = ['a', 'b', '/', 'z', 'é', '日', '😀', '\uffff', '-', '0'];

export function randomKey(prng: Prng, lengthMax = 6): string {
  let key = '';
  const length = prng.nextIntegerInclusive(1, lengthMax);
  for (let index = 0; index < length; index++) key += prng.pick(keyAlphabet);
  return key;
}

function randomBytes(prng: Prng, lengthMax: number): Uint8Array {
  const bytes = new Uint8Array(prng.nextIntegerInclusive(0, lengthMax));
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = prng.nextIntegerInclusive(0, 255);
  return bytes;
}

function randomSha256(prng: Prng, pool: number): string {
  return sha256Of(`chunk-${prng.nextIntegerInclusive(0, pool - 1)}`);
}

export function randomValue(prng: Prng): ObjectValue {
  if (prng.chance(0.5)) return { kind: 'inline', bytes: randomBytes(prng, 40) };
  const chunkSizeBytes = prng.nextIntegerInclusive(1, 1000);
  const count = prng.nextIntegerInclusive(1, 5);
  const chunks: ManifestChunk[] = [];
  for (let index = 0; index < count; index++) {
    const size =
      index === count - 1 ? prng.nextIntegerInclusive(1, chunkSizeBytes) : chunkSizeBytes;
    chunks.push({ sha256: randomSha256(prng, 12), size });
  }
  const size = chunks.reduce((total, chunk) => total + chunk.size, 0);
  return { kind: 'manifest', size, sha256: randomSha256(prng, 1000), chunkSizeBytes, chunks };
}

function randomCondition(prng: Prng, versionMax: number): WriteCondition | undefined {
  const choice = prng.nextIntegerInclusive(0, 3);
  if (choice === 0) return { ifAbsent: true };
  if (choice === 1) return { ifVersion: prng.nextIntegerInclusive(0, versionMax) };
  return undefined;
}

function randomRequestId(prng: Prng): string {
  return prng.chance(0.3) ? '' : `req-${prng.nextIntegerInclusive(0, 40)}`;
}

/** A valid command of any kind; object commands use `keys` so they collide often. */
export function randomCommand(prng: Prng, keys: readonly string[], versionMax = 50): MetaCommand {
  const kind = prng.nextIntegerInclusive(0, 9);
  const id = `n${prng.nextIntegerInclusive(1, 6)}`;
  switch (kind) {
    case 0:
      return { type: 'noop' };
    case 1:
      return {
        type: 'addMember',
        ...member(id, {
          weight: prng.nextIntegerInclusive(1, 4) / 2,
          role: prng.chance(0.5) ? 'voter' : 'learner',
        }),
      };
    case 2: {
      const update: {
        type: 'updateMember';
        id: string;
        weight?: number;
        zone?: string;
        state?: 'active' | 'draining' | 'gone';
        role?: 'voter' | 'learner';
      } = { type: 'updateMember', id };
      if (prng.chance(0.5)) update.weight = prng.nextIntegerInclusive(1, 8) / 4;
      if (prng.chance(0.3)) update.zone = prng.pick(['zone-a', 'zone-b', 'zone-c']);
      if (prng.chance(0.3)) update.state = prng.pick(memberStates);
      if (
        prng.chance(0.3) ||
        (update.weight === undefined && update.zone === undefined && update.state === undefined)
      )
        update.role = prng.chance(0.5) ? 'voter' : 'learner';
      return update;
    }
    case 3:
      return { type: 'removeMember', id };
    case 4:
      return { type: 'settleEpoch', epoch: prng.nextIntegerInclusive(1, 6) };
    case 5:
    case 6:
    case 7: {
      const condition = randomCondition(prng, versionMax);
      const key = prng.pick(keys);
      const value = randomValue(prng);
      const base = {
        type: 'putObject' as const,
        key,
        value,
        requestId: randomRequestId(prng),
        ...(value.kind === 'manifest' ? { writeStartIndex: prng.nextIntegerInclusive(1, 9) } : {}),
      };
      return condition === undefined ? base : { ...base, condition };
    }
    default: {
      const condition = randomCondition(prng, versionMax);
      const base = {
        type: 'deleteObject' as const,
        key: prng.pick(keys),
        requestId: randomRequestId(prng),
      };
      return condition === undefined ? base : { ...base, condition };
    }
  }
}

/** Every stored entry as [key, hex value] pairs, for comparing two stores. */
export function dump(store: MemoryMetaStore): [string, string][] {
  return [...store.entries()].map((entry) => [entry.key, Buffer.from(entry.value).toString('hex')]);
}
