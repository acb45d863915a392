// The registry of families the state machine dispatches over. Checked when loaded: wire
// tags and command types are unique, and no family's keys overlap another's.

import { assert } from '../util/assert.js';
import { authFamily, authKeys } from './auth/index.js';
import { clusterFamily, clusterKeys } from './cluster/index.js';
import { eventKeys, eventsFamily } from './events/index.js';
import type { AnyCommandDefinition, MetaFamily } from './family.js';
import { garbageFamily, garbageKeys } from './garbage/index.js';
import { leaseKeys, leasesFamily } from './leases/index.js';
import { lockKeys, locksFamily } from './locks/index.js';
import { objectKeys, objectsFamily } from './objects/index.js';
import { progressKey } from './progress.js';
import { txnFamily, txnMetaKeys } from './txn/index.js';

export const families: readonly MetaFamily[] = [
  clusterFamily,
  objectsFamily,
  txnFamily,
  eventsFamily,
  leasesFamily,
  locksFamily,
  garbageFamily,
  authFamily,
];

/** Tags of the envelope commands the state machine itself applies (commands.ts). */
export const envelopeTags = { noop: 0, raiseRevisionBase: 8, batch: 9 } as const;

/**
 * Keys outside every family: the group's progress, and the Raft configuration that
 * src/node/meta-state-machine.ts keeps in the same store.
 */
export const reservedKeys: readonly string[] = [progressKey, 'z/'];

const byType = new Map<string, AnyCommandDefinition>();
const byTag = new Map<number, AnyCommandDefinition>();
const envelopeTagValues = new Set<number>(Object.values(envelopeTags));

for (const family of families) {
  for (const definition of family.commands) {
    assert(!byType.has(definition.type), `command type ${definition.type} is defined once`);
    assert(
      !byTag.has(definition.tag) && !envelopeTagValues.has(definition.tag),
      `command tag ${definition.tag} is used once`,
    );
    assert(definition.tag > 0 && definition.tag < 0xff, 'a command tag fits one byte');
    byType.set(definition.type, definition);
    byTag.set(definition.tag, definition);
  }
}

/** Every owned key or prefix with its owner, checked not to overlap. */
export const keyOwners: readonly { readonly key: string; readonly owner: string }[] = [
  ...families.flatMap((family) => family.ownedKeys.map((key) => ({ key, owner: family.name }))),
  ...reservedKeys.map((key) => ({ key, owner: 'group' })),
];
for (const left of keyOwners) {
  for (const right of keyOwners) {
    if (left === right) continue;
    assert(!right.key.startsWith(left.key), `meta keys ${left.key} and ${right.key} overlap`);
  }
}

export const commandTagMax = Math.max(...byTag.keys(), ...envelopeTagValues);

export function definitionForType(type: string): AnyCommandDefinition | undefined {
  return byType.get(type);
}

export function definitionForTag(tag: number): AnyCommandDefinition | undefined {
  return byTag.get(tag);
}

/** The family that owns a meta key, or undefined for keys nobody owns. */
export function ownerOfKey(key: string): string | undefined {
  return keyOwners.find((owned) => key.startsWith(owned.key))?.owner;
}

/** The whole key layout (each family's keys and the group's), for tests and tools. */
export const metaKeys = {
  progress: progressKey,
  ...clusterKeys,
  ...objectKeys,
  txn: txnMetaKeys,
  ...eventKeys,
  ...leaseKeys,
  ...lockKeys,
  garbage: garbageKeys,
  auth: authKeys,
} as const;
