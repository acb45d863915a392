// Members, their addresses and the placement rings, as the meta state records them.
// Read again only after an entry that may change them (or a snapshot): reading them on
// every applied batch cost a range scan and a ring build per small put (BENCHMARKS.md).

import type { MemberAddressing } from '../api/index.js';
import {
  currentRing,
  members as metaMembers,
  settledRing,
  type MetaReader,
} from '../meta/index.js';
import { Ring } from '../placement/index.js';

export interface MembershipSource {
  reader(): MetaReader;
  /** Founding or joined-with members, until the meta state lists them. */
  knownBeforeRecorded(): readonly MemberAddressing[];
  /** Where a peer is reached: its advertised address, or a test proxy. */
  routeOf(memberId: string, advertised: string): string;
}

export class MembershipView {
  /** Counts applied entries (and snapshots) that may have changed the members or rings. */
  private generation = 0;
  private membersCache: { generation: number; members: MemberAddressing[] } | undefined;
  private ringCache: { generation: number; rings: Ring[] } | undefined;

  constructor(private readonly source: MembershipSource) {}

  invalidate(): void {
    this.generation++;
  }

  members(): MemberAddressing[] {
    const generation = this.generation;
    if (this.membersCache?.generation === generation) return this.membersCache.members;
    const recorded = metaMembers(this.source.reader());
    const members =
      recorded.length > 0
        ? recorded.map((member) => ({
            id: member.id,
            clientAddress: member.clientAddress,
            peerAddress: member.peerAddress,
            zone: member.zone,
            weight: member.weight,
          }))
        : [...this.source.knownBeforeRecorded()];
    this.membersCache = { generation, members };
    return members;
  }

  member(memberId: string): MemberAddressing | undefined {
    return this.members().find((member) => member.id === memberId);
  }

  /** The peer address to dial for a member (routed), or undefined if unknown. */
  peerAddressOf(memberId: string): string | undefined {
    const member = this.member(memberId);
    return member === undefined ? undefined : this.source.routeOf(memberId, member.peerAddress);
  }

  /** The current ring first, then the settled one while an epoch migrates. */
  rings(): Ring[] {
    const generation = this.generation;
    if (this.ringCache?.generation === generation) return this.ringCache.rings;
    const reader = this.source.reader();
    const rings: Ring[] = [];
    const current = currentRing(reader);
    const settled = settledRing(reader);
    if (current !== undefined) rings.push(Ring.fromDescription(current));
    if (settled !== undefined && current !== undefined && settled.epoch !== current.epoch)
      rings.push(Ring.fromDescription(settled));
    this.ringCache = { generation, rings };
    return rings;
  }
}
