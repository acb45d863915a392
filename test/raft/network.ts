// A tiny hand-driven network of RaftNodes for scenario tests: messages are queued
// and delivered only when a test says so; partitions drop them. The driver loop
// here follows the Ready contract: persist, then send, then apply, then advance.
// Every application is checked: no two nodes apply different entries at an index.

import { RaftNode } from '../../src/raft/raft.js';
import { MemoryLogStorage } from '../../src/raft/memory-storage.js';
import type { ConfState, Entry, Message, RaftConfig, ReadState } from '../../src/raft/types.js';
import { Prng } from '../../src/util/prng.js';

export const groupId = 'g1';

export interface Member {
  node: RaftNode;
  storage: MemoryLogStorage;
  appliedIndex: number;
  applied: Entry[];
  readStates: ReadState[];
  crashed: boolean;
}

export type ConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'storage' | 'prng' | 'appliedIndex'>>;

export class Network {
  readonly members = new Map<string, Member>();
  /** Messages sent and not yet delivered, in order. */
  queue: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly appliedTermAt = new Map<number, number>();
  private readonly prng: Prng;
  private readonly overrides: ConfigOverrides;
  /** Optional filter: return false to drop a message. */
  filter: (message: Message) => boolean = () => true;
  /** Optional rewrite of a message on the wire (after the filter). */
  rewrite: (message: Message) => Message = (message) => message;

  constructor(
    ids: readonly string[],
    options: { seed?: number; overrides?: ConfigOverrides; learners?: readonly string[] } = {},
  ) {
    this.prng = new Prng(options.seed ?? 1);
    this.overrides = options.overrides ?? {};
    const confState: ConfState = { voters: [...ids], learners: [...(options.learners ?? [])] };
    for (const id of [...ids, ...(options.learners ?? [])])
      this.addMember(id, MemoryLogStorage.bootstrap(confState));
  }

  /** A node with the given storage (a fresh MemoryLogStorage for a joiner). */
  addMember(id: string, storage: MemoryLogStorage): Member {
    const member: Member = {
      node: this.createNode(id, storage, 0),
      storage,
      appliedIndex: 0,
      applied: [],
      readStates: [],
      crashed: false,
    };
    member.appliedIndex = member.node.status().applied;
    this.members.set(id, member);
    return member;
  }

  private createNode(id: string, storage: MemoryLogStorage, appliedIndex: number): RaftNode {
    return new RaftNode({
      id,
      groupId,
      electionTimeoutTicks: 10,
      heartbeatTicks: 1,
      prng: this.prng.fork(),
      storage,
      appliedIndex,
      maxSizePerMessageBytes: 1024 * 1024,
      inflightMessagesMax: 256,
      inflightBytesMax: 16 * 1024 * 1024,
      preVote: true,
      checkQuorum: true,
      ...this.overrides,
    });
  }

  member(id: string): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  node(id: string): RaftNode {
    return this.member(id).node;
  }

  /** Lose everything not persisted, then start again from storage (the applied state machine survives). */
  restart(id: string): void {
    const member = this.member(id);
    member.node = this.createNode(id, member.storage, member.appliedIndex);
    member.crashed = false;
    this.queue = this.queue.filter((message) => message.to !== id && message.from !== id);
  }

  crash(id: string): void {
    this.member(id).crashed = true;
    this.queue = this.queue.filter((message) => message.to !== id);
  }

  isolate(id: string): void {
    this.cut.add(id);
  }

  heal(): void {
    this.cut.clear();
  }

  private delivers(message: Message): boolean {
    if (this.cut.has(message.from) !== this.cut.has(message.to)) return false;
    const target = this.members.get(message.to);
    return target !== undefined && !target.crashed && this.filter(message);
  }

  /** Run the Ready loop of one node until it has nothing more to do. */
  process(id: string): void {
    const member = this.member(id);
    for (let round = 0; round < 1000 && !member.crashed && member.node.hasReady(); round++) {
      const ready = member.node.ready();
      if (ready.snapshot !== undefined) member.storage.applySnapshot(ready.snapshot);
      member.storage.append(ready.entries);
      if (ready.hardState !== undefined) member.storage.setHardState(ready.hardState);
      for (const message of ready.messages) {
        checkDurable(member, message);
        this.queue.push(message);
      }
      if (ready.snapshot !== undefined)
        member.appliedIndex = Math.max(member.appliedIndex, ready.snapshot.metadata.index);
      for (const entry of ready.committedEntries) this.apply(member, entry);
      member.readStates.push(...ready.readStates);
      member.node.advance(ready);
    }
  }

  private apply(member: Member, entry: Entry): void {
    if (entry.index <= member.appliedIndex)
      throw new Error(`re-applied ${entry.index} on ${member.node.id}`);
    const term = this.appliedTermAt.get(entry.index);
    if (term !== undefined && term !== entry.term) {
      throw new Error(
        `safety: index ${entry.index} applied with term ${term} and term ${entry.term}`,
      );
    }
    this.appliedTermAt.set(entry.index, entry.term);
    member.appliedIndex = entry.index;
    member.applied.push(entry);
  }

  processAll(): void {
    for (const id of this.members.keys()) this.process(id);
  }

  /** Deliver queued messages (and what they cause) until quiet, at most `roundsMax` rounds. */
  settle(roundsMax = 100): void {
    for (let round = 0; round < roundsMax; round++) {
      this.processAll();
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const message of batch)
        if (this.delivers(message)) this.member(message.to).node.step(this.rewrite(message));
    }
    throw new Error(`network did not settle in ${roundsMax} rounds`);
  }

  tick(ids: readonly string[] = [...this.members.keys()]): void {
    for (const id of ids) if (!this.member(id).crashed) this.member(id).node.tick();
  }

  /** Tick everyone and settle, `count` times. */
  tickAndSettle(count: number, ids?: readonly string[]): void {
    for (let i = 0; i < count; i++) {
      this.tick(ids);
      this.settle();
    }
  }

  /** Tick until some node leads (among the live, connected), bounded. */
  electLeader(ticksMax = 200): string {
    for (let i = 0; i < ticksMax; i++) {
      this.tick();
      this.settle();
      const leader = this.leaders()[0];
      if (leader !== undefined) return leader;
    }
    throw new Error(`no leader after ${ticksMax} ticks`);
  }

  /** Make `id` campaign now by ticking only it until it leads. */
  campaign(id: string, ticksMax = 100): void {
    for (let i = 0; i < ticksMax; i++) {
      this.tick([id]);
      this.settle();
      if (this.node(id).status().role === 'leader') return;
    }
    throw new Error(`${id} did not become leader in ${ticksMax} ticks`);
  }

  leaders(): string[] {
    return [...this.members.values()]
      .filter((member) => !member.crashed && member.node.status().role === 'leader')
      .map((member) => member.node.id);
  }
}

/** Replies that promise durability go out only once what they vouch for is persisted. */
function checkDurable(member: Member, message: Message): void {
  if (message.groupId !== groupId)
    throw new Error(`message without the group id: ${JSON.stringify(message.groupId)}`);
  if (
    message.type === 'appendResponse' &&
    !message.reject &&
    message.index > member.storage.lastIndex()
  ) {
    throw new Error(
      `${message.from} acknowledged ${message.index} with only ${member.storage.lastIndex()} persisted`,
    );
  }
  if (message.type === 'voteResponse' && !message.reject) {
    const hardState = member.storage.hardStateValue();
    if (hardState.vote !== message.to || hardState.term !== message.term)
      throw new Error(`${message.from} granted a vote it has not persisted`);
  }
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

/** The payloads of normal, non-empty applied entries. */
export function appliedTexts(member: Member): string[] {
  return member.applied
    .filter((entry) => entry.type === 'normal' && entry.data.byteLength > 0)
    .map((entry) => text(entry.data));
}
