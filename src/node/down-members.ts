// Down members (issue 13): the leader notes when it last heard from each member (a
// peer answered a Raft batch), marks one down in the meta group once it was silent
// longer than the cluster's down-after, and up again as soon as it answers. A new
// leader starts every member's clock at its own election, so leadership changes never
// mark a member down early. Placement then routes around a down member (new ring
// epoch, src/meta/cluster/settings.ts), and the rebalance passes re-replicate.

import {
  type MetaCommand,
  type MetaReader,
  type MetaResult,
  readClusterSettings,
  readDownMembers,
  readIdentity,
  readMembers,
} from '../meta/index.js';
import { assert } from '../util/assert.js';

/** A member heard from within this long is up (several heartbeats' worth). */
const heardRecentlyMilliseconds = 3_000;
/** An answer after this much silence means the member is back (it may lack copies). */
const returnedAfterSilenceMilliseconds = 5_000;

export interface DownMembersGroup {
  readonly nodeId: string;
  isLeader(): boolean;
  reader(): MetaReader;
  propose(command: MetaCommand): Promise<MetaResult>;
}

interface Heard {
  /** performance.now() of the last answer (for elapsed time). */
  monotonic: number;
  /** Date.now() of the same moment (shown by status). */
  wallClock: number;
}

export class DownMemberTracker {
  private readonly heardFrom = new Map<string, Heard>();
  private leaderSince: Heard | undefined;

  constructor(
    private readonly group: DownMembersGroup,
    private readonly log: (event: string, fields?: Record<string, unknown>) => void,
    private readonly now: () => Heard = () => ({
      monotonic: performance.now(),
      wallClock: Date.now(),
    }),
    /** A member answered after a silence: a repair pass may owe it copies. */
    private readonly onReturned: (memberId: string) => void = () => undefined,
  ) {}

  /** A peer answered (a Raft batch round trip). */
  heard(memberId: string): void {
    const now = this.now();
    const previous = this.heardFrom.get(memberId);
    this.heardFrom.set(memberId, now);
    if (
      previous !== undefined &&
      now.monotonic - previous.monotonic > returnedAfterSilenceMilliseconds
    )
      this.onReturned(memberId);
  }

  /** When the member was last heard from, or undefined if never since this node started. */
  lastHeard(memberId: string): Heard | undefined {
    return this.heardFrom.get(memberId);
  }

  /** Leader duty: at most one mark per run, so a proposal failure cannot loop. */
  async duty(): Promise<void> {
    if (!this.group.isLeader()) {
      this.leaderSince = undefined;
      return;
    }
    const now = this.now();
    this.leaderSince ??= now;
    const reader = this.group.reader();
    const identity = readIdentity(reader);
    if (identity === undefined) return;
    const downAfter = readClusterSettings(reader, identity.replicationFactor).downAfterMilliseconds;
    const down = new Set(readDownMembers(reader).map((member) => member.id));
    for (const member of readMembers(reader)) {
      if (member.id === this.group.nodeId || member.state === 'gone') continue;
      const heard = this.later(this.heardFrom.get(member.id), this.leaderSince);
      const silentMilliseconds = now.monotonic - heard.monotonic;
      assert(silentMilliseconds >= 0, 'time runs forward');
      const isDown = down.has(member.id);
      if (!isDown && silentMilliseconds > downAfter) {
        await this.mark(member.id, true, heard.wallClock, silentMilliseconds);
        return;
      }
      if (isDown && silentMilliseconds < heardRecentlyMilliseconds) {
        await this.mark(member.id, false, heard.wallClock, silentMilliseconds);
        return;
      }
    }
  }

  private later(heard: Heard | undefined, leaderSince: Heard): Heard {
    return heard === undefined || heard.monotonic < leaderSince.monotonic ? leaderSince : heard;
  }

  private async mark(id: string, down: boolean, lastHeard: number, silent: number) {
    const result = await this.group.propose({
      type: 'setMemberDown',
      id,
      down,
      lastHeardAtMilliseconds: Math.max(0, Math.round(lastHeard)),
    });
    this.log(down ? 'member-down' : 'member-up', {
      member: id,
      silentMilliseconds: Math.round(silent),
      result: result.type === 'rejected' ? result.message : result.type,
    });
  }
}
