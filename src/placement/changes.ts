// Ring changes: the membership and weight edits an operator makes (join, leave,
// drain, reweight). Each returns a new validated description with epoch + 1; the
// meta state machine commits it, and the rebalance moves what diffRings reports.

import { assertNever } from '../util/assert.js';
import { InvalidArgumentError, NotFoundError } from '../util/errors.js';
import { createRingDescription } from './description.js';
import type { MemberState, RingDescription, RingMember } from './description.js';

export type RingChange =
  | { readonly kind: 'add-member'; readonly member: RingMember }
  | { readonly kind: 'remove-member'; readonly memberId: string }
  | { readonly kind: 'set-state'; readonly memberId: string; readonly state: MemberState }
  | { readonly kind: 'set-weight'; readonly memberId: string; readonly weight: number }
  | { readonly kind: 'set-zone'; readonly memberId: string; readonly zone: string }
  | { readonly kind: 'set-replication-factor'; readonly replicationFactor: number };

/** Applies one change; throws InvalidArgumentError or NotFoundError and leaves the input untouched. */
export function applyRingChange(description: RingDescription, change: RingChange): RingDescription {
  const epoch = description.epoch + 1;
  const settings = description.settings;
  switch (change.kind) {
    case 'add-member': {
      if (description.members.some((member) => member.id === change.member.id)) {
        throw new InvalidArgumentError(`member "${change.member.id}" is already in the ring`, {
          member: change.member.id,
        });
      }
      return createRingDescription({
        epoch,
        settings,
        members: [...description.members, change.member],
      });
    }
    case 'remove-member': {
      requireMember(description, change.memberId);
      return createRingDescription({
        epoch,
        settings,
        members: description.members.filter((member) => member.id !== change.memberId),
      });
    }
    case 'set-state':
      return withMember(description, change.memberId, (member) => ({
        ...member,
        state: change.state,
      }));
    case 'set-weight':
      // A new weight replaces any calibrated count: the operator's intent wins.
      return withMember(description, change.memberId, (member) => ({
        id: member.id,
        zone: member.zone,
        weight: change.weight,
        state: member.state,
      }));
    case 'set-zone':
      return withMember(description, change.memberId, (member) => ({
        ...member,
        zone: change.zone,
      }));
    case 'set-replication-factor':
      return createRingDescription({
        epoch,
        settings: { ...settings, replicationFactor: change.replicationFactor },
        members: description.members,
      });
    default:
      return assertNever(change, 'ring change');
  }
}

function requireMember(description: RingDescription, memberId: string): RingMember {
  const member = description.members.find((each) => each.id === memberId);
  if (member === undefined) throw new NotFoundError(`ring member "${memberId}"`);
  return member;
}

function withMember(
  description: RingDescription,
  memberId: string,
  edit: (member: RingMember) => RingMember,
): RingDescription {
  requireMember(description, memberId);
  const members = description.members.map((member) =>
    member.id === memberId ? edit(member) : member,
  );
  return createRingDescription({
    epoch: description.epoch + 1,
    settings: description.settings,
    members,
  });
}
